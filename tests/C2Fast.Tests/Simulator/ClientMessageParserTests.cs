using System.Text;
using C2Fast.Simulator;
using C2Fast.Simulator.Protocol;

namespace C2Fast.Tests.Simulator;

public class ClientMessageParserTests
{
    private static readonly C2SimulatorOptions Options = new();
    private static readonly DateTimeOffset Now = new(2024, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static ClientMessage Parse(string json) => ClientMessageParser.Parse(Encoding.UTF8.GetBytes(json), Options, Now);

    private static string Request(string payload, string timestamp = "2024-01-01T12:00:10Z", string requestId = "\"r1\"") =>
        "{\"msg_type\":\"subscription.request\",\"request_id\":" + requestId + ",\"timestamp\":\"" + timestamp + "\",\"payload\":{" + payload + "}}";

    [Fact]
    public void Parse_ValidSubscribe_ReturnsRequest()
    {
        var message = Parse(Request("""
            "action":"subscribe","channel":"strategy.signal","strategy_id":12345678,"resume_from":"98765"
            """));

        Assert.Equal(ClientMessageKind.Subscription, message.Kind);
        Assert.Equal(new SubscriptionRequest("r1", "subscribe", "strategy.signal", 12345678, 98765), message.Request);
    }

    [Theory]
    [InlineData("\"98765\"")]
    [InlineData("98765")]
    public void Parse_ResumeFromStringOrNumber_BothAccepted(string resumeFrom)
    {
        var message = Parse(Request("\"action\":\"subscribe\",\"channel\":\"strategy.signal\",\"strategy_id\":1,\"resume_from\":" + resumeFrom));

        Assert.Equal(98765, message.Request!.ResumeFrom);
    }

    [Fact]
    public void Parse_HeartbeatAckWithAnyPayload_IsAck()
    {
        Assert.Equal(ClientMessageKind.HeartbeatAck, Parse("""{"msg_type":"heartbeat.ack","timestamp":"2024-01-01T12:00:01Z"}""").Kind);
        Assert.Equal(ClientMessageKind.HeartbeatAck, Parse("""{"payload":[1,2],"msg_type":"heartbeat.ack"}""").Kind);
    }

    [Theory]
    [InlineData("\"action\":\"subscribe\",\"channel\":\"strategy.signal\"", "StrategyId")]
    [InlineData("\"action\":\"subscribe\",\"channel\":\"strategy.signal\",\"strategy_id\":\"12\"", "StrategyId")]
    [InlineData("\"action\":\"subscribe\",\"channel\":\"strategy.signal\",\"strategy_id\":1.5", "StrategyId")]
    [InlineData("\"channel\":\"strategy.signal\",\"strategy_id\":1", "Action")]
    [InlineData("\"action\":\"\",\"channel\":\"strategy.signal\",\"strategy_id\":1", "Action")]
    [InlineData("\"action\":\"subscribe\",\"strategy_id\":1", "Channel")]
    [InlineData("\"action\":\"subscribe\",\"channel\":\"strategy.signal\",\"strategy_id\":1,\"resume_from\":\"abc\"", "ResumeFrom")]
    public void Parse_MissingOrMalformedField_MandatoryError(string payload, string field)
    {
        var message = Parse(Request(payload));

        Assert.Equal(ClientMessageKind.Rejected, message.Kind);
        var error = Assert.Single(message.Errors);
        Assert.Equal(("MANDATORY_PARAM_EMPTY_OR_MALFORMED", field), (error.Code, error.Field));
        Assert.Equal("r1", message.RequestId);
    }

    [Theory]
    [InlineData("\"action\":\"follow\",\"channel\":\"strategy.signal\",\"strategy_id\":1", "Action")]
    [InlineData("\"action\":\"subscribe\",\"channel\":\"strategy.orders\",\"strategy_id\":1", "Channel")]
    [InlineData("\"action\":\"subscribe\",\"channel\":\"strategy.signal\",\"strategy_id\":0", "StrategyId")]
    [InlineData("\"action\":\"subscribe\",\"channel\":\"strategy.signal\",\"strategy_id\":-5", "StrategyId")]
    [InlineData("\"action\":\"subscribe\",\"channel\":\"strategy.signal\",\"strategy_id\":1,\"resume_from\":-1", "ResumeFrom")]
    [InlineData("\"action\":\"subscribe\",\"channel\":\"strategy.positions\",\"strategy_id\":1,\"resume_from\":5", "ResumeFrom")]
    public void Parse_OutOfRangeField_InvalidParameter(string payload, string field)
    {
        var error = Assert.Single(Parse(Request(payload)).Errors);

        Assert.Equal(("INVALID_PARAMETER", field), (error.Code, error.Field));
    }

    [Fact]
    public void Parse_RequestIdOver50Characters_InvalidParameter()
    {
        var message = Parse(Request("\"action\":\"subscribe\",\"channel\":\"strategy.signal\",\"strategy_id\":1", requestId: $"\"{new string('x', 51)}\""));

        var error = Assert.Single(message.Errors);
        Assert.Equal(("INVALID_PARAMETER", "RequestId"), (error.Code, error.Field));
    }

    [Theory]
    [InlineData("2024-01-01T12:01:01Z")]
    [InlineData("2024-01-01T11:58:59Z")]
    [InlineData("2024-01-01T13:00:30+01:00")] // 12:00:30Z: an offset is accepted
    [InlineData("2024-01-01T12:00:30.123456+00:00")] // Python isoformat()
    public void Parse_TimestampSkew_InvalidParameterOnlyBeyondOneMinute(string timestamp)
    {
        var message = Parse(Request("\"action\":\"subscribe\",\"channel\":\"strategy.signal\",\"strategy_id\":1", timestamp));

        var skewed = Math.Abs((DateTimeOffset.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture) - Now).TotalSeconds) > 60;
        if (skewed)
        {
            var error = Assert.Single(message.Errors);
            Assert.Equal(("INVALID_PARAMETER", "Timestamp"), (error.Code, error.Field));
        }
        else
        {
            Assert.Equal(ClientMessageKind.Subscription, message.Kind);
        }
    }

    [Fact]
    public void Parse_SeveralBadFields_ReportsEveryError()
    {
        var message = Parse(Request("\"action\":\"follow\",\"channel\":\"nope\",\"strategy_id\":0", timestamp: "2020-01-01T00:00:00Z"));

        Assert.Equal(["Timestamp", "Action", "Channel", "StrategyId"], message.Errors.Select(e => e.Field));
        Assert.All(message.Errors, e => Assert.Equal("INVALID_PARAMETER", e.Code));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"request_id\":\"r9\"}")]
    [InlineData("{\"msg_type\":\"strategy.follow\",\"request_id\":\"r9\"}")]
    public void Parse_BadMessage_RejectedWithoutThrowing(string json)
    {
        var message = Parse(json);

        Assert.Equal(ClientMessageKind.Rejected, message.Kind);
        Assert.NotEmpty(message.Errors);
    }

    [Fact]
    public void Parse_UnknownMsgType_InvalidParameterEchoingRequestId()
    {
        var message = Parse("""{"msg_type":"strategy.follow","request_id":"r9"}""");

        var error = Assert.Single(message.Errors);
        Assert.Equal(("INVALID_PARAMETER", "MsgType"), (error.Code, error.Field));
        Assert.Equal("r9", message.RequestId);
    }
}
