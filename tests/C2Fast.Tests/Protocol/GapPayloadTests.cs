using System.Text;
using C2Fast.Protocol;

namespace C2Fast.Tests.Protocol;

/// <summary>The payload of a <c>gap</c>: fields of the wrong kind or missing are null, and the strategy falls back to the channel's id.</summary>
public class GapPayloadTests
{
    private static GapPayload Parse(string payload) => GapPayload.Parse(Encoding.UTF8.GetBytes(payload));

    [Fact]
    public void Parse_VendorExample_StrategyFromTheChannel()
    {
        GapPayload gap = Parse("""{"strategy_id":null,"channel":"strategy.signal:12345678","from":"98765","message":"Replay window exceeded"}""");

        Assert.Equal(new GapPayload(null, "strategy.signal:12345678", "98765", "Replay window exceeded"), gap);
        Assert.Equal(12345678, gap.Strategy);
    }

    [Fact]
    public void Parse_StrategyIdNumber_TakesPrecedenceOverTheChannel()
    {
        GapPayload gap = Parse("""{"strategy_id":101,"channel":"strategy.signal:202","from":5}""");

        Assert.Equal(101, gap.StrategyId);
        Assert.Equal(101, gap.Strategy);
    }

    [Fact]
    public void Parse_StrategyIdNumericString_Read()
    {
        GapPayload gap = Parse("""{"strategy_id":"101"}""");

        Assert.Equal(101, gap.StrategyId);
        Assert.Equal(101, gap.Strategy);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("\"0\"")]
    [InlineData("\"-5\"")]
    [InlineData("\"+5\"")]
    [InlineData("\" 5\"")]
    [InlineData("\"abc\"")]
    [InlineData("\"\"")]
    [InlineData("99999999999999999999")]
    [InlineData("true")]
    [InlineData("{}")]
    public void Parse_StrategyIdNotAPositiveInteger_Null(string value)
    {
        GapPayload gap = Parse($$"""{"strategy_id":{{value}},"channel":"strategy.signal:7"}""");

        Assert.Null(gap.StrategyId);
        Assert.Equal(7, gap.Strategy); // the channel still names it
    }

    [Theory]
    [InlineData("\"98765\"", "98765")]
    [InlineData("98765", "98765")]       // a number is kept as its text
    [InlineData("1.0e3", "1.0e3")]       // as written
    [InlineData("null", null)]
    [InlineData("true", null)]
    [InlineData("{\"seq\":1}", null)]
    public void Parse_From_StringOrNumberText(string value, string? expected)
    {
        Assert.Equal(expected, Parse($$"""{"from":{{value}}}""").From);
    }

    [Fact]
    public void Parse_MissingFields_AllNull()
    {
        GapPayload gap = Parse("{}");

        Assert.Equal(new GapPayload(null, null, null, null), gap);
        Assert.Null(gap.Strategy);
    }

    [Fact]
    public void Parse_ChannelAndMessageNotStrings_Null()
    {
        GapPayload gap = Parse("""{"channel":12345678,"message":["x"]}""");

        Assert.Null(gap.Channel);
        Assert.Null(gap.Message);
        Assert.Null(gap.Strategy);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("\"strategy.signal:5\"")]
    [InlineData("null")]
    public void Parse_InvalidJsonOrNotAnObject_AllNull(string payload)
    {
        GapPayload gap = Parse(payload);

        Assert.Equal(new GapPayload(null, null, null, null), gap);
        Assert.Null(gap.Strategy);
    }

    [Theory]
    [InlineData("strategy.signal:12345678", 12345678L)]
    [InlineData("strategy.positions:5", 5L)]
    [InlineData("a:b:9", 9L)]                          // the id after the last colon
    [InlineData(":42", 42L)]
    [InlineData("strategy.signal:9223372036854775807", long.MaxValue)]
    public void StrategyFromChannel_IdAfterTheLastColon(string channel, long expected)
    {
        Assert.Equal(expected, GapPayload.StrategyFromChannel(channel));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("strategy.signal")]                      // no colon
    [InlineData("12345678")]                             // no colon, even if numeric
    [InlineData("strategy.signal:")]                     // nothing after it
    [InlineData("strategy.signal:abc")]
    [InlineData("strategy.signal:12a")]
    [InlineData("strategy.signal:0")]
    [InlineData("strategy.signal:-5")]
    [InlineData("strategy.signal:+5")]
    [InlineData("strategy.signal: 5")]
    [InlineData("strategy.signal:9223372036854775808")]  // past long
    [InlineData("strategy.signal:5:")]
    public void StrategyFromChannel_NoPositiveIdAfterTheLastColon_Null(string? channel)
    {
        Assert.Null(GapPayload.StrategyFromChannel(channel));
    }

    [Fact]
    public void Parse_LoneSurrogateEscapes_KeptAsRawJsonInsteadOfThrowing()
    {
        GapPayload gap = Parse("""{"strategy_id":"\ud800","channel":"strategy.signal:\udfff","from":"\ud800","message":"m\ud800"}""");

        Assert.Equal(new GapPayload(null, "\"strategy.signal:\\udfff\"", "\"\\ud800\"", "\"m\\ud800\""), gap);
        Assert.Null(gap.Strategy);
    }
}
