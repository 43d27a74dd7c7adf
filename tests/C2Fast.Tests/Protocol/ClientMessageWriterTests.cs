using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using C2Fast.Protocol;

namespace C2Fast.Tests.Protocol;

public class ClientMessageWriterTests
{
    private static readonly DateTime Now = new(2024, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void TryWriteSubscriptionRequest_SpecExample_ExactBytes()
    {
        string json = Write(ClientMessageWriter.Default, SubscriptionAction.Subscribe, SubscriptionChannel.StrategySignal, 12345678, "my-sub-001", null);

        Assert.Equal(
            """{"msg_type":"subscription.request","request_id":"my-sub-001","timestamp":"2024-01-01T12:00:00Z","payload":{"action":"subscribe","channel":"strategy.signal","strategy_id":12345678}}""",
            json);
    }

    [Fact]
    public void TryWriteSubscriptionRequest_ResumeFromDefault_DecimalString()
    {
        string json = Write(ClientMessageWriter.Default, SubscriptionAction.Subscribe, SubscriptionChannel.StrategySignal, 12345678, "my-sub-001", 98765);

        using var doc = JsonDocument.Parse(json);
        JsonElement root = doc.RootElement;
        Assert.Equal("subscription.request", root.GetProperty("msg_type").GetString());
        Assert.Equal("my-sub-001", root.GetProperty("request_id").GetString());
        Assert.Equal("2024-01-01T12:00:00Z", root.GetProperty("timestamp").GetString());
        JsonElement payload = root.GetProperty("payload");
        Assert.Equal("subscribe", payload.GetProperty("action").GetString());
        Assert.Equal("strategy.signal", payload.GetProperty("channel").GetString());
        Assert.Equal(12345678, payload.GetProperty("strategy_id").GetInt64());
        Assert.Equal(JsonValueKind.String, payload.GetProperty("resume_from").ValueKind);
        Assert.Equal("98765", payload.GetProperty("resume_from").GetString());
        Assert.EndsWith("""
            "strategy_id":12345678,"resume_from":"98765"}}
            """, json, StringComparison.Ordinal);
    }

    [Fact]
    public void TryWriteSubscriptionRequest_ResumeFromNumberChoice_JsonNumber()
    {
        var writer = new ClientMessageWriter(ResumeFromFormat.Number);

        string json = Write(writer, SubscriptionAction.Subscribe, SubscriptionChannel.StrategySignal, 1, "r", 0);

        using var doc = JsonDocument.Parse(json);
        JsonElement resume = doc.RootElement.GetProperty("payload").GetProperty("resume_from");
        Assert.Equal(JsonValueKind.Number, resume.ValueKind);
        Assert.Equal(0, resume.GetInt64());
        Assert.Equal(ResumeFromFormat.Number, writer.ResumeFromFormat);
    }

    [Fact]
    public void TryWriteSubscriptionRequest_UnsubscribePositions_ParsesBack()
    {
        string json = Write(ClientMessageWriter.Default, SubscriptionAction.Unsubscribe, SubscriptionChannel.StrategyPositions, long.MaxValue, "a.b:c_d-9", null);

        using var doc = JsonDocument.Parse(json);
        JsonElement payload = doc.RootElement.GetProperty("payload");
        Assert.Equal("unsubscribe", payload.GetProperty("action").GetString());
        Assert.Equal("strategy.positions", payload.GetProperty("channel").GetString());
        Assert.Equal(long.MaxValue, payload.GetProperty("strategy_id").GetInt64());
        Assert.False(payload.TryGetProperty("resume_from", out _));
        Assert.Equal("a.b:c_d-9", doc.RootElement.GetProperty("request_id").GetString());
    }

    [Fact]
    public void TryWriteSubscriptionRequest_EmptyRequestId_FieldOmitted()
    {
        string json = Write(ClientMessageWriter.Default, SubscriptionAction.Subscribe, SubscriptionChannel.StrategySignal, 5, "", 7);

        using var doc = JsonDocument.Parse(json);
        Assert.False(doc.RootElement.TryGetProperty("request_id", out _));
        Assert.Equal("7", doc.RootElement.GetProperty("payload").GetProperty("resume_from").GetString());
    }

    [Fact]
    public void TryWriteSubscriptionRequest_OutputParsedByEnvelopeParser_RoundTrips()
    {
        byte[] bytes = Encoding.UTF8.GetBytes(Write(ClientMessageWriter.Default, SubscriptionAction.Subscribe, SubscriptionChannel.StrategySignal, 42, "req-1", 9));

        Assert.Equal(OperationStatus.Done, EnvelopeParser.Parse(bytes, out Envelope e, out _));
        Assert.Equal(MessageType.Unknown, e.Type);
        Assert.True(EnvelopeParser.TextEquals(bytes, e.MsgType, ProtocolNames.SubscriptionRequest));
        Assert.True(EnvelopeParser.TextEquals(bytes, e.RequestId, "req-1"u8));
        Assert.Equal(42, e.StrategyId);
    }

    [Fact]
    public void TryWriteSubscriptionRequest_LargestInputs_FitInMaxLength()
    {
        string requestId = new('x', ClientMessageWriter.MaxRequestIdLength);
        byte[] destination = new byte[ClientMessageWriter.MaxSubscriptionRequestLength];

        Assert.True(ClientMessageWriter.Default.TryWriteSubscriptionRequest(
            destination, SubscriptionAction.Subscribe, SubscriptionChannel.StrategySignal, long.MaxValue,
            Encoding.ASCII.GetBytes(requestId), Now, long.MaxValue, out int written));
        Assert.True(written <= ClientMessageWriter.MaxSubscriptionRequestLength);
        Assert.True(new ClientMessageWriter(ResumeFromFormat.Number).TryWriteSubscriptionRequest(
            destination, SubscriptionAction.Unsubscribe, SubscriptionChannel.StrategyPositions, long.MaxValue,
            Encoding.ASCII.GetBytes(requestId), Now, null, out written));
    }

    [Fact]
    public void TryWriteSubscriptionRequest_DestinationTooSmall_FalseAndNothingWritten()
    {
        string expected = Write(ClientMessageWriter.Default, SubscriptionAction.Subscribe, SubscriptionChannel.StrategySignal, 12345678, "my-sub-001", 98765);

        for (int size = 0; size < expected.Length; size++)
        {
            byte[] destination = new byte[size];
            Assert.False(ClientMessageWriter.Default.TryWriteSubscriptionRequest(
                destination, SubscriptionAction.Subscribe, SubscriptionChannel.StrategySignal, 12345678, "my-sub-001"u8, Now, 98765, out int written));
            Assert.Equal(0, written);
            Assert.All(destination, b => Assert.Equal(0, b));
        }

        byte[] exact = new byte[expected.Length];
        Assert.True(ClientMessageWriter.Default.TryWriteSubscriptionRequest(
            exact, SubscriptionAction.Subscribe, SubscriptionChannel.StrategySignal, 12345678, "my-sub-001"u8, Now, 98765, out int exactWritten));
        Assert.Equal(expected.Length, exactWritten);
        Assert.Equal(expected, Encoding.UTF8.GetString(exact));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(long.MinValue)]
    public void TryWriteSubscriptionRequest_NonPositiveStrategyId_Throws(long strategyId)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Write(ClientMessageWriter.Default, SubscriptionAction.Subscribe, SubscriptionChannel.StrategySignal, strategyId, "r", null));
        Assert.Equal("strategyId", ex.ParamName);
    }

    [Theory]
    [InlineData("x", true)]
    [InlineData("my-sub-001", true)]
    [InlineData("A.b_C:d-9", true)]
    [InlineData("12345678901234567890123456789012345678901234567890", true)]
    [InlineData("123456789012345678901234567890123456789012345678901", false)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("quote\"", false)]
    [InlineData("back\\slash", false)]
    [InlineData("é", false)]
    [InlineData("tab\t", false)]
    [InlineData("slash/", false)]
    public void IsValidRequestId_Candidate_Expected(string requestId, bool expected)
    {
        Assert.Equal(expected, ClientMessageWriter.IsValidRequestId(Encoding.UTF8.GetBytes(requestId)));
    }

    [Theory]
    [InlineData("123456789012345678901234567890123456789012345678901")]
    [InlineData("has space")]
    [InlineData("quote\"")]
    [InlineData("é")]
    public void TryWriteSubscriptionRequest_InvalidRequestId_Throws(string requestId)
    {
        var ex = Assert.Throws<ArgumentException>(() => Write(ClientMessageWriter.Default, SubscriptionAction.Subscribe, SubscriptionChannel.StrategySignal, 1, requestId, null));
        Assert.Equal("requestId", ex.ParamName);
    }

    [Fact]
    public void TryWriteSubscriptionRequest_ResumeFromRules_Enforced()
    {
        Assert.Equal("resumeFrom", Assert.Throws<ArgumentOutOfRangeException>(
            () => Write(ClientMessageWriter.Default, SubscriptionAction.Subscribe, SubscriptionChannel.StrategySignal, 1, "r", -1)).ParamName);
        Assert.Equal("resumeFrom", Assert.Throws<ArgumentException>(
            () => Write(ClientMessageWriter.Default, SubscriptionAction.Subscribe, SubscriptionChannel.StrategyPositions, 1, "r", 5)).ParamName);
        Assert.Equal("resumeFrom", Assert.Throws<ArgumentException>(
            () => Write(ClientMessageWriter.Default, SubscriptionAction.Unsubscribe, SubscriptionChannel.StrategySignal, 1, "r", 5)).ParamName);
    }

    [Fact]
    public void TryWriteSubscriptionRequest_UndefinedEnums_Throw()
    {
        Assert.Equal("action", Assert.Throws<ArgumentOutOfRangeException>(
            () => Write(ClientMessageWriter.Default, (SubscriptionAction)9, SubscriptionChannel.StrategySignal, 1, "r", null)).ParamName);
        Assert.Equal("channel", Assert.Throws<ArgumentOutOfRangeException>(
            () => Write(ClientMessageWriter.Default, SubscriptionAction.Subscribe, (SubscriptionChannel)9, 1, "r", null)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClientMessageWriter((ResumeFromFormat)9));
    }

    [Fact]
    public void WriteSubscriptionRequest_BufferWriter_AdvancesByBytesWritten()
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write("prefix"u8);

        int written = ClientMessageWriter.Default.WriteSubscriptionRequest(
            buffer, SubscriptionAction.Subscribe, SubscriptionChannel.StrategySignal, 12345678, "my-sub-001"u8, Now, 98765);

        Assert.Equal(6 + written, buffer.WrittenCount);
        using var doc = JsonDocument.Parse(buffer.WrittenMemory[6..]);
        Assert.Equal("98765", doc.RootElement.GetProperty("payload").GetProperty("resume_from").GetString());
    }

    [Fact]
    public void WriteHeartbeatAck_BufferWriter_StampedBody()
    {
        var buffer = new ArrayBufferWriter<byte>();

        int written = ClientMessageWriter.WriteHeartbeatAck(buffer, Now);

        Assert.Equal(HeartbeatAck.BodyLength, written);
        Assert.Equal("""{"msg_type":"heartbeat.ack","timestamp":"2024-01-01T12:00:00Z"}""", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void Write_SteadyStateSpanAndReusedBufferWriter_ZeroBytesAllocated()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        byte[] destination = new byte[ClientMessageWriter.MaxSubscriptionRequestLength];

        long allocated = Measure(buffer, destination);

        Assert.Equal(0, allocated);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Measure(ArrayBufferWriter<byte> buffer, byte[] destination)
    {
        long before = 0;
        long total = 0;
        for (int i = 0; i < 2_200; i++)
        {
            if (i == 200)
            {
                before = GC.GetAllocatedBytesForCurrentThread();
            }

            buffer.ResetWrittenCount();
            total += ClientMessageWriter.Default.WriteSubscriptionRequest(
                buffer, SubscriptionAction.Subscribe, SubscriptionChannel.StrategySignal, 12345678, "my-sub-001"u8, DateTime.UtcNow, i);
            total += ClientMessageWriter.WriteHeartbeatAck(buffer, DateTime.UtcNow);
            ClientMessageWriter.Default.TryWriteSubscriptionRequest(
                destination, SubscriptionAction.Unsubscribe, SubscriptionChannel.StrategyPositions, 12345678, "my-sub-002"u8, DateTime.UtcNow, null, out int written);
            total += written;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(total > 0);
        return allocated;
    }

    private static string Write(ClientMessageWriter writer, SubscriptionAction action, SubscriptionChannel channel, long strategyId, string requestId, long? resumeFrom)
    {
        byte[] destination = new byte[ClientMessageWriter.MaxSubscriptionRequestLength];
        Assert.True(writer.TryWriteSubscriptionRequest(destination, action, channel, strategyId, Encoding.UTF8.GetBytes(requestId), Now, resumeFrom, out int written));
        return Encoding.UTF8.GetString(destination, 0, written);
    }
}
