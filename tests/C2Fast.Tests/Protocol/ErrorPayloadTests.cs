using System.Text;
using C2Fast.Protocol;

namespace C2Fast.Tests.Protocol;

/// <summary>The payload of a server <c>error</c>: one entry, or every object of an <c>errors</c> array; anything else is empty.</summary>
public class ErrorPayloadTests
{
    private static ErrorEntry[] Parse(string payload) => ErrorPayload.Parse(Encoding.UTF8.GetBytes(payload));

    [Fact]
    public void Parse_SingleError_OneEntry()
    {
        ErrorEntry[] entries = Parse("""{"code":"FORBIDDEN","field":"StrategyId","message":"Not subscribed to this strategy"}""");

        Assert.Equal(new[] { new ErrorEntry("FORBIDDEN", "StrategyId", "Not subscribed to this strategy") }, entries);
    }

    [Fact]
    public void Parse_SingleErrorWithMissingOrNonStringFields_ThoseAreNull()
    {
        ErrorEntry[] entries = Parse("""{"code":403,"message":"No","field":null,"extra":[1,2]}""");

        Assert.Equal(new[] { new ErrorEntry(null, null, "No") }, entries);
    }

    [Fact]
    public void Parse_EmptyObject_OneEntryOfNulls()
    {
        Assert.Equal(new[] { new ErrorEntry(null, null, null) }, Parse("{}"));
    }

    [Fact]
    public void Parse_ErrorsArray_EveryObjectInOrderSkippingTheRest()
    {
        ErrorEntry[] entries = Parse("""
            {"code":"IGNORED","errors":[
              {"code":"INVALID","field":"Channel","message":"Unknown channel"},
              "not an object",
              42,
              null,
              [{"code":"NESTED"}],
              {"code":"LIMIT","message":"Too many subscriptions"}
            ]}
            """);

        Assert.Equal(
            new[] { new ErrorEntry("INVALID", "Channel", "Unknown channel"), new ErrorEntry("LIMIT", null, "Too many subscriptions") },
            entries);
    }

    [Fact]
    public void Parse_EmptyErrorsArray_Empty()
    {
        Assert.Empty(Parse("""{"code":"X","errors":[]}"""));
    }

    [Fact]
    public void Parse_ErrorsNotAnArray_TheObjectItself()
    {
        Assert.Equal(new[] { new ErrorEntry("X", null, null) }, Parse("""{"code":"X","errors":{"code":"Y"}}"""));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("""[{"code":"X"}]""")]
    [InlineData("\"FORBIDDEN\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("{")]
    [InlineData("{\"code\":")]
    [InlineData("not json")]
    [InlineData("{\"code\":\"X\"} trailing")]
    public void Parse_NotAnObjectOrNotJson_Empty(string payload)
    {
        Assert.Empty(Parse(payload));
    }

    [Fact]
    public void Parse_EscapedStrings_Decoded()
    {
        Assert.Equal(new[] { new ErrorEntry("FORBIDDEN", null, "caf\u00e9 \"q\"") }, Parse("""{"code":"FORB\u0049DDEN","message":"caf\u00e9 \"q\""}"""));
    }

    [Fact]
    public void Parse_LoneSurrogateEscapes_KeptAsRawJsonInsteadOfThrowing()
    {
        Assert.Equal(new[] { new ErrorEntry("\"\\ud800\"", "\"x\\udfff\"", "ok") }, Parse("""{"code":"\ud800","field":"x\udfff","message":"ok"}"""));
    }
}
