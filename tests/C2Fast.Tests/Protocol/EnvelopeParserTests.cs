using System.Buffers;
using System.Text;
using C2Fast.Protocol;
using static C2Fast.Tests.Protocol.ProtocolSamples;

using C2Fast.Tests.TestData;

namespace C2Fast.Tests.Protocol;

public class EnvelopeParserTests
{
    // ---- every message type of the spec -------------------------------------------------

    [Theory]
    [MemberData(nameof(All), MemberType = typeof(ProtocolSamples))]
    public void Parse_SpecSample_RecognisesType(string json, string expectedType)
    {
        Envelope envelope = ParseValid(json);

        Assert.Equal(Enum.Parse<MessageType>(expectedType), envelope.Type);
        Assert.Equal(JsonDoc.GetString(json, "msg_type"), Text(json, envelope.MsgType));
    }

    [Fact]
    public void Parse_SpecEnvelope_EveryFieldCaptured()
    {
        Envelope e = ParseValid(SpecEnvelope);

        Assert.Equal(MessageType.Unknown, e.Type);
        Assert.Equal("string", Text(SpecEnvelope, e.MsgType));
        Assert.Equal("msg_…", Text(SpecEnvelope, e.Id));
        Assert.True(e.HasSeqId);
        Assert.Equal(98765, e.SeqId);
        Assert.Equal("my-req-1", Text(SpecEnvelope, e.RequestId));
        Assert.Equal("2024-01-01T12:00:00Z", Text(SpecEnvelope, e.Timestamp));
        Assert.True(e.HasVersion);
        Assert.Equal(4, e.Version);
        Assert.Equal("{}", Text(SpecEnvelope, e.Payload));
        Assert.False(e.HasStrategyId);
    }

    [Fact]
    public void Parse_Heartbeat_NoPayloadNoSeqIdNoStrategy()
    {
        Envelope e = ParseValid(Heartbeat);

        Assert.Equal(MessageType.Heartbeat, e.Type);
        Assert.Equal("msg_5f3e2a1b", Text(Heartbeat, e.Id));
        Assert.Equal("2024-01-01T12:00:30Z", Text(Heartbeat, e.Timestamp));
        Assert.Equal(4, e.Version);
        Assert.False(e.HasSeqId);
        Assert.False(e.Payload.IsPresent);
        Assert.False(e.RequestId.IsPresent);
        Assert.False(e.HasStrategyId);
    }

    [Fact]
    public void Parse_HeartbeatWithNullSeqId_HasSeqIdFalse()
    {
        Envelope e = ParseValid(HeartbeatWithNullSeqId);

        Assert.Equal(MessageType.Heartbeat, e.Type);
        Assert.False(e.HasSeqId);
        Assert.Equal(0, e.SeqId);
    }

    [Fact]
    public void Parse_StrategySignal_SeqIdStrategyIdAndPayloadRange()
    {
        Envelope e = ParseValid(StrategySignal);

        Assert.Equal(MessageType.StrategySignal, e.Type);
        Assert.Equal(98765, e.SeqId);
        Assert.True(e.HasStrategyId);
        Assert.Equal(12345678, e.StrategyId);
        Assert.Equal(JsonDoc.GetRaw(StrategySignal, "payload"), Text(StrategySignal, e.Payload));
        Assert.EndsWith("}}", StrategySignal, StringComparison.Ordinal);
        Assert.Equal(Utf8(StrategySignal).Length - 1, e.Payload.End);
    }

    [Fact]
    public void Parse_StrategyPositions_StrategyIdWithoutSeqId()
    {
        Envelope e = ParseValid(StrategyPositions);

        Assert.Equal(MessageType.StrategyPositions, e.Type);
        Assert.False(e.HasSeqId);
        Assert.Equal(12345678, e.StrategyId);
        Assert.Equal(JsonDoc.GetRaw(StrategyPositions, "payload"), Text(StrategyPositions, e.Payload));
    }

    [Fact]
    public void Parse_GapWithNullStrategyId_HasStrategyIdFalse()
    {
        Envelope e = ParseValid(Gap);

        Assert.Equal(MessageType.Gap, e.Type);
        Assert.False(e.HasStrategyId);
        Assert.Equal(0, e.StrategyId);
        Assert.Equal(JsonDoc.GetRaw(Gap, "payload"), Text(Gap, e.Payload));
    }

    [Fact]
    public void Parse_GapWithStrategyId_HasStrategyId()
    {
        const string json = """{"msg_type":"gap","payload":{"channel":"strategy.signal:12345678","from":"98765","strategy_id":12345678}}""";

        Envelope e = ParseValid(json);

        Assert.Equal(MessageType.Gap, e.Type);
        Assert.Equal(12345678, e.StrategyId);
    }

    [Fact]
    public void Parse_SubscriptionAck_RequestIdAndEchoedStrategyId()
    {
        Envelope e = ParseValid(SubscriptionAck);

        Assert.Equal(MessageType.SubscriptionAck, e.Type);
        Assert.Equal("my-sub-001", Text(SubscriptionAck, e.RequestId));
        Assert.True(EnvelopeParser.TextEquals(Utf8(SubscriptionAck), e.RequestId, "my-sub-001"u8));
        Assert.Equal(12345678, e.StrategyId);
    }

    [Theory]
    [InlineData(nameof(Error))]
    [InlineData(nameof(ErrorArray))]
    public void Parse_Error_RequestIdAndPayload(string sample)
    {
        string json = sample == nameof(Error) ? Error : ErrorArray;

        Envelope e = ParseValid(json);

        Assert.Equal(MessageType.Error, e.Type);
        Assert.StartsWith("my-sub-00", Text(json, e.RequestId), StringComparison.Ordinal);
        Assert.Equal(JsonDoc.GetRaw(json, "payload"), Text(json, e.Payload));
    }

    [Theory]
    [InlineData("heartbeat.ack")]
    [InlineData("Heartbeat")]
    [InlineData("heartbeat ")]
    [InlineData("")]
    [InlineData("strategy.signals")]
    [InlineData("gap\u0000")]
    public void Parse_UnknownMsgType_UnknownWithRawBytes(string msgType)
    {
        string json = $$"""{"msg_type":{{System.Text.Json.JsonSerializer.Serialize(msgType)}},"payload":[1,2]}""";

        Envelope e = ParseValid(json);

        Assert.Equal(MessageType.Unknown, e.Type);
        Assert.Equal(msgType, Unescaped(json, e.MsgType));
        Assert.Equal("[1,2]", Text(json, e.Payload));
    }

    // ---- field order, escapes, unknown fields --------------------------------------------

    [Fact]
    public void Parse_FieldsInEveryOrder_SameValues()
    {
        string[] fields =
        [
            "\"msg_type\":\"strategy.signal\"", "\"id\":\"msg_1\"", "\"seq_id\":42", "\"request_id\":\"r-1\"",
            "\"timestamp\":\"2024-01-01T12:00:00Z\"", "\"v\":4", "\"payload\":{\"x\":[1,{\"y\":2}],\"strategy_id\":7,\"z\":null}",
        ];

        int count = 0;
        foreach (string[] order in Permutations(fields))
        {
            string json = "{" + string.Join(",", order) + "}";
            Envelope e = ParseValid(json);

            Assert.Equal(MessageType.StrategySignal, e.Type);
            Assert.Equal("msg_1", Text(json, e.Id));
            Assert.Equal(42, e.SeqId);
            Assert.Equal("r-1", Text(json, e.RequestId));
            Assert.Equal("2024-01-01T12:00:00Z", Text(json, e.Timestamp));
            Assert.Equal(4, e.Version);
            Assert.Equal(7, e.StrategyId);
            Assert.Equal("{\"x\":[1,{\"y\":2}],\"strategy_id\":7,\"z\":null}", Text(json, e.Payload));
            count++;
        }

        Assert.Equal(5040, count);
    }

    [Fact]
    public void Parse_PayloadBeforeMsgType_StrategyIdStillRead()
    {
        const string json = """{"payload":{"strategy_id":31},"seq_id":5,"msg_type":"strategy.signal"}""";

        Envelope e = ParseValid(json);

        Assert.Equal(MessageType.StrategySignal, e.Type);
        Assert.Equal(31, e.StrategyId);
        Assert.Equal(5, e.SeqId);
    }

    [Fact]
    public void Parse_InvalidStrategyIdBeforeMsgType_JudgedOnceTypeKnown()
    {
        Assert.Equal(EnvelopeError.InvalidStrategyId, ParseInvalid("""{"payload":{"strategy_id":"x"},"msg_type":"strategy.signal"}"""));

        Envelope e = ParseValid("""{"payload":{"strategy_id":"x"},"msg_type":"subscription.ack"}""");
        Assert.False(e.HasStrategyId);
    }

    [Fact]
    public void Parse_EscapedNames_StillMatch()
    {
        const string json =
            """{"msg\u005ftype":"strategy.signal","\u0069d":"msg_1","seq\u005Fid":9,"request\u005fid":"r","times\u0074amp":"t","\u0076":4,"p\u0061yload":{"strategy\u005fid":77}}""";

        Envelope e = ParseValid(json);

        Assert.Equal(MessageType.StrategySignal, e.Type);
        Assert.Equal("msg_1", Text(json, e.Id));
        Assert.Equal(9, e.SeqId);
        Assert.Equal("r", Text(json, e.RequestId));
        Assert.Equal("t", Text(json, e.Timestamp));
        Assert.Equal(4, e.Version);
        Assert.Equal(77, e.StrategyId);
    }

    [Theory]
    [InlineData("""heart\u0062eat""", "Heartbeat")]
    [InlineData("""\u0068\u0065\u0061\u0072\u0074\u0062\u0065\u0061\u0074""", "Heartbeat")]
    [InlineData("""strategy\u002esignal""", "StrategySignal")]
    [InlineData("""strategy\/signal""", "Unknown")]
    [InlineData("""\u0067ap""", "Gap")]
    [InlineData("""error\n""", "Unknown")]
    public void Parse_EscapedMsgType_MatchesUnescapedValue(string rawMsgType, string expectedType)
    {
        string json = $$"""{"msg_type":"{{rawMsgType}}","v":4}""";

        Envelope e = ParseValid(json);

        Assert.Equal(Enum.Parse<MessageType>(expectedType), e.Type);
        Assert.True(e.MsgType.IsEscaped);
        Assert.Equal(rawMsgType, Text(json, e.MsgType));
        Assert.Equal(JsonDoc.GetString(json, "msg_type"), Unescaped(json, e.MsgType));
    }

    [Fact]
    public void Parse_UnknownFieldsOfEveryKind_Skipped()
    {
        const string json = """
            {
              "extra_object": {"msg_type": "error", "payload": {"strategy_id": 1}, "deep": [[[{"a": [true, false, null]}]]]},
              "extra_array": [1, "two", {"three": 3}, [], {}],
              "extra_string": "with \"escapes\" \\ and \u00e9 and , } ] : chars",
              "extra_number": -1.5e+10, "extra_true": true, "extra_false": false, "extra_null": null,
              "msg_type" : "strategy.signal" ,
              "payload" : { "nested": {"strategy_id": 1}, "list": [{"strategy_id": 2}], "strategy_id" : 3 },
              "seq_id": 11
            }
            """;

        Envelope e = ParseValid(json);

        Assert.Equal(MessageType.StrategySignal, e.Type);
        Assert.Equal(3, e.StrategyId);
        Assert.Equal(11, e.SeqId);
        Assert.Equal(JsonDoc.GetRaw(json, "payload"), Text(json, e.Payload));
    }

    // ---- scalar fields ---------------------------------------------------------------------

    [Theory]
    [InlineData("", false, 0)]
    [InlineData(",\"seq_id\":null", false, 0)]
    [InlineData(",\"seq_id\":0", true, 0)]
    [InlineData(",\"seq_id\":98765", true, 98765)]
    [InlineData(",\"seq_id\":9223372036854775807", true, long.MaxValue)]
    public void Parse_SeqIdAbsentNullOrInteger_Accepted(string field, bool hasSeqId, long seqId)
    {
        Envelope e = ParseValid($$"""{"msg_type":"strategy.signal"{{field}}}""");

        Assert.Equal(hasSeqId, e.HasSeqId);
        Assert.Equal(seqId, e.SeqId);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("-9223372036854775808")]
    [InlineData("9223372036854775808")]
    [InlineData("99999999999999999999999999")]
    [InlineData("1.5")]
    [InlineData("1.0")]
    [InlineData("1e3")]
    [InlineData("1E+2")]
    [InlineData("\"98765\"")]
    [InlineData("true")]
    [InlineData("{}")]
    [InlineData("[1]")]
    public void Parse_SeqIdNotANonNegativeInteger_InvalidSeqId(string value)
    {
        Assert.Equal(EnvelopeError.InvalidSeqId, ParseInvalid($$"""{"msg_type":"strategy.signal","seq_id":{{value}}}"""));
    }

    [Theory]
    [InlineData("4.5")]
    [InlineData("2147483648")]
    [InlineData("\"4\"")]
    [InlineData("[]")]
    public void Parse_VersionNotAnInt_InvalidVersion(string value)
    {
        Assert.Equal(EnvelopeError.InvalidVersion, ParseInvalid($$"""{"msg_type":"heartbeat","v":{{value}}}"""));
    }

    [Fact]
    public void Parse_VersionNull_HasVersionFalse()
    {
        Assert.False(ParseValid("""{"msg_type":"heartbeat","v":null}""").HasVersion);
    }

    [Theory]
    [InlineData("id", "InvalidId")]
    [InlineData("request_id", "InvalidRequestId")]
    [InlineData("timestamp", "InvalidTimestamp")]
    public void Parse_StringFieldNotAString_TypedError(string name, string expected)
    {
        var error = Enum.Parse<EnvelopeError>(expected);

        Assert.Equal(error, ParseInvalid($$"""{"msg_type":"heartbeat","{{name}}":1}"""));
        Assert.Equal(error, ParseInvalid($$"""{"msg_type":"heartbeat","{{name}}":true}"""));
        Assert.Equal(error, ParseInvalid($$$"""{"msg_type":"heartbeat","{{{name}}}":{"a":1}}"""));
        Assert.Equal(MessageType.Heartbeat, ParseValid($$"""{"msg_type":"heartbeat","{{name}}":null}""").Type);
    }

    [Fact]
    public void Parse_EmptyStrings_PresentWithLengthZero()
    {
        const string json = """{"msg_type":"","id":"","request_id":""}""";

        Envelope e = ParseValid(json);

        Assert.True(e.MsgType.IsPresent);
        Assert.Equal(0, e.MsgType.Length);
        Assert.True(e.Id.IsPresent);
        Assert.True(e.RequestId.IsPresent);
        Assert.False(e.Timestamp.IsPresent);
    }

    // ---- payload and strategy_id -------------------------------------------------------------

    [Theory]
    [InlineData("strategy.signal")]
    [InlineData("heartbeat")]
    public void Parse_PayloadNull_Absent(string type)
    {
        Envelope e = ParseValid($$"""{"msg_type":"{{type}}","payload":null}""");

        Assert.False(e.Payload.IsPresent);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("12")]
    [InlineData("true")]
    public void Parse_KnownTypeWithNonObjectPayload_InvalidPayload(string payload)
    {
        Assert.Equal(EnvelopeError.InvalidPayload, ParseInvalid($$"""{"msg_type":"strategy.signal","payload":{{payload}}}"""));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"te\\\"xt\"")]
    [InlineData("-12.5e3")]
    [InlineData("false")]
    public void Parse_UnknownTypeWithNonObjectPayload_RangeCoversValue(string payload)
    {
        string json = $$"""{"payload": {{payload}} ,"msg_type":"future.thing"}""";

        Envelope e = ParseValid(json);

        Assert.Equal(payload, Text(json, e.Payload));
    }

    [Theory]
    [InlineData("strategy.signal")]
    [InlineData("strategy.positions")]
    [InlineData("gap")]
    public void Parse_StrategyIdNotAPositiveInteger_InvalidStrategyIdForStrategyTypes(string type)
    {
        foreach (string value in new[] { "0", "-5", "1.5", "1e2", "\"12345678\"", "true", "{}", "[1]", "9223372036854775808" })
        {
            Assert.Equal(EnvelopeError.InvalidStrategyId, ParseInvalid($$$"""{"msg_type":"{{{type}}}","payload":{"strategy_id":{{{value}}}}}"""));
        }

        Assert.Equal(EnvelopeError.InvalidStrategyId, ParseInvalid($$$"""{"msg_type":"{{{type}}}","payload":{"strategy_id":1,"strategy_id":2}}"""));
    }

    [Fact]
    public void Parse_StrategyIdMalformedForOtherTypes_IgnoredNotAnError()
    {
        foreach (string type in new[] { "subscription.ack", "error", "whatever" })
        {
            Envelope e = ParseValid("{\"msg_type\":\"" + type + "\",\"payload\":{\"strategy_id\":{\"x\":1}}}");
            Assert.False(e.HasStrategyId);
        }
    }

    [Fact]
    public void Parse_SignalWithoutStrategyId_HasStrategyIdFalse()
    {
        Envelope e = ParseValid("""{"msg_type":"strategy.signal","seq_id":1,"payload":{"symbol":"AAPL"}}""");

        Assert.False(e.HasStrategyId);
    }

    // ---- invalid input -----------------------------------------------------------------------

    [Theory]
    [InlineData("", "InvalidJson")]
    [InlineData("   \r\n\t ", "InvalidJson")]
    [InlineData("{", "InvalidJson")]
    [InlineData("""{"msg_type":"heartbeat" """, "InvalidJson")]
    [InlineData("""{"msg_type":"heartbeat",}""", "InvalidJson")]
    [InlineData("""{"msg_type":"heartbeat"} x""", "InvalidJson")]
    [InlineData("""{"msg_type":"heartbeat"}{}""", "InvalidJson")]
    [InlineData("""{"msg_type":"heartbeat"}}""", "InvalidJson")]
    [InlineData("""{"msg_type":'heartbeat'}""", "InvalidJson")]
    [InlineData("""{msg_type:"heartbeat"}""", "InvalidJson")]
    [InlineData("""{"msg_type":"heartbeat" /* c */}""", "InvalidJson")]
    [InlineData("""{"msg_type":"heart\xbeat"}""", "InvalidJson")]
    [InlineData("{\"msg_type\":\"heart\tbeat\"}", "InvalidJson")]
    [InlineData("""{"msg_type":"heartbeat","seq_id":01}""", "InvalidJson")]
    [InlineData("""{"msg_type":"heartbeat","x":[1,2}""", "InvalidJson")]
    [InlineData("""{"msg_type":"heartbeat","x":tru}""", "InvalidJson")]
    [InlineData("""{"payload":{"a":1,},"msg_type":"heartbeat"}""", "InvalidJson")]
    [InlineData("[]", "NotAnObject")]
    [InlineData("""["msg_type","heartbeat"]""", "NotAnObject")]
    [InlineData("\"heartbeat\"", "NotAnObject")]
    [InlineData("42", "NotAnObject")]
    [InlineData("null", "NotAnObject")]
    [InlineData("{}", "MissingMsgType")]
    [InlineData("""{"id":"msg_1","payload":{"msg_type":"heartbeat"}}""", "MissingMsgType")]
    [InlineData("""{"MSG_TYPE":"heartbeat"}""", "MissingMsgType")]
    [InlineData("""{"msg_type":5}""", "MsgTypeNotString")]
    [InlineData("""{"msg_type":null}""", "MsgTypeNotString")]
    [InlineData("""{"msg_type":{"x":"heartbeat"}}""", "MsgTypeNotString")]
    [InlineData("""{"msg_type":["heartbeat"]}""", "MsgTypeNotString")]
    [InlineData("""{"msg_type":"heartbeat","msg_type":"strategy.signal"}""", "DuplicateField")]
    [InlineData("""{"msg_type":"heartbeat","msg\u005ftype":"heartbeat"}""", "DuplicateField")]
    [InlineData("""{"msg_type":"gap","seq_id":null,"seq_id":1}""", "DuplicateField")]
    [InlineData("""{"msg_type":"gap","payload":null,"payload":{}}""", "DuplicateField")]
    public void Parse_InvalidMessage_InvalidDataWithReason(string json, string expected)
    {
        var error = Enum.Parse<EnvelopeError>(expected);
        byte[] bytes = Utf8(json);

        Assert.Equal(error, ParseInvalid(bytes));
        Assert.Equal(error, ParseInvalid(Sequences.OneBytePerSegment(bytes)));
    }

    [Fact]
    public void Parse_InvalidUtf8InsideString_NotValidatedHere()
    {
        // Utf8JsonReader does not validate UTF-8 inside strings, so neither does the parser: text
        // frames are validated by the framing layer (RFC 6455 §8.1, close 1007) before they get here.
        byte[] bytes = [.. "{\"msg_type\":\"heartbeat\",\"x\":\""u8, 0xC3, 0x28, 0xFF, .. "\"}"u8];

        Assert.Equal(MessageType.Heartbeat, ParseValid(bytes).Type);
    }

    [Fact]
    public void Parse_EveryStrictPrefixOfEverySample_InvalidJson()
    {
        foreach (string json in AllMessages)
        {
            byte[] bytes = Utf8(json);
            for (int length = 0; length < bytes.Length; length++)
            {
                Assert.Equal(EnvelopeError.InvalidJson, ParseInvalid(bytes.AsSpan(0, length).ToArray()));
            }
        }
    }

    [Fact]
    public void Parse_AfterInvalidMessage_NextMessageUnaffected()
    {
        Assert.Equal(EnvelopeError.InvalidJson, ParseInvalid("{\"msg_type\":"));

        Assert.Equal(MessageType.Heartbeat, ParseValid(Heartbeat).Type);
    }

    // ---- depth -------------------------------------------------------------------------------

    [Theory]
    [InlineData(64, 64, true)]
    [InlineData(64, 65, false)]
    [InlineData(3, 3, true)]
    [InlineData(3, 4, false)]
    [InlineData(1, 1, true)]
    [InlineData(1, 2, false)]
    public void Parse_NestingInUnknownField_DepthLimitIsTheOption(int maxDepth, int nesting, bool ok)
    {
        // Root object is level 1; "x" adds levels 2..nesting of alternating arrays and objects.
        string json = """{"msg_type":"heartbeat","x":""" + Nest(nesting - 1) + "}";
        if (nesting == 1)
        {
            json = """{"msg_type":"heartbeat"}""";
        }

        OperationStatus status = EnvelopeParser.Parse(Utf8(json), out _, out EnvelopeError error, maxDepth);

        Assert.Equal(ok ? OperationStatus.Done : OperationStatus.InvalidData, status);
        Assert.Equal(ok ? EnvelopeError.None : EnvelopeError.DepthExceeded, error);
        Assert.Equal(ok, JsonDoc.ParsesWithin(json, maxDepth));
    }

    [Theory]
    [InlineData(1, """{"msg_type":"gap","payload":{}}""", false)]
    [InlineData(2, """{"msg_type":"gap","payload":{}}""", true)]
    [InlineData(2, """{"msg_type":"gap","payload":{"a":{}}}""", false)]
    [InlineData(2, """{"msg_type":"gap","payload":{"strategy_id":[]}}""", false)]
    [InlineData(3, """{"msg_type":"gap","payload":{"a":[]}}""", true)]
    [InlineData(2, """{"msg_type":"x","payload":[]}""", true)]
    [InlineData(2, """{"msg_type":"x","payload":[[]]}""", false)]
    public void Parse_NestingInPayload_DepthLimitIsTheOption(int maxDepth, string json, bool ok)
    {
        OperationStatus status = EnvelopeParser.Parse(Utf8(json), out _, out EnvelopeError error, maxDepth);

        Assert.Equal(ok ? EnvelopeError.None : EnvelopeError.DepthExceeded, error);
        Assert.Equal(ok, status == OperationStatus.Done);
        Assert.Equal(ok, JsonDoc.ParsesWithin(json, maxDepth));
    }

    [Fact]
    public void Parse_VeryDeepInput_DepthExceededNotStackOverflow()
    {
        string json = """{"msg_type":"heartbeat","x":""" + Nest(100_000) + "}";

        Assert.Equal(EnvelopeError.DepthExceeded, ParseInvalid(json));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(EnvelopeParser.MaxSupportedDepth + 1)]
    public void Parse_MaxDepthOutOfRange_Throws(int maxDepth)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EnvelopeParser.Parse(Utf8(Heartbeat), out _, out _, maxDepth));
        Assert.Throws<ArgumentOutOfRangeException>(() => EnvelopeParser.Parse(Sequences.SplitAt(Utf8(Heartbeat), 3), out _, out _, maxDepth));
    }

    // ---- multi-segment input -----------------------------------------------------------------

    [Fact]
    public void Parse_EverySampleSplitAtEveryOffset_SameAsWhole()
    {
        foreach (string json in AllMessages.Concat(TrickyMessages))
        {
            byte[] bytes = Utf8(json);
            Envelope whole = ParseValid(bytes);

            for (int i = 0; i <= bytes.Length; i++)
            {
                AssertSameParse(whole, bytes, Sequences.SplitAt(bytes, i));
            }

            AssertSameParse(whole, bytes, Sequences.OneBytePerSegment(bytes));
        }
    }

    [Fact]
    public void Parse_EverySampleSplitAtEveryPairOfOffsets_SameAsWhole()
    {
        foreach (string json in new[] { Heartbeat, TrickyMessages[1] })
        {
            byte[] bytes = Utf8(json);
            Envelope whole = ParseValid(bytes);

            for (int i = 0; i <= bytes.Length; i++)
            {
                for (int j = i; j <= bytes.Length; j++)
                {
                    AssertSameParse(whole, bytes, Sequences.SplitAt(bytes, i, j));
                }
            }
        }
    }

    [Fact]
    public void Parse_InsideGuardBytes_RangesRelativeToTheMessage()
    {
        foreach (string json in AllMessages)
        {
            byte[] bytes = Utf8(json);
            byte[] guarded = [.. "}]\"x"u8, .. bytes, .. "\"{["u8];

            Assert.Equal(ParseValid(bytes), ParseValid(guarded.AsSpan(4, bytes.Length).ToArray()));
            Assert.Equal(OperationStatus.Done, EnvelopeParser.Parse(guarded.AsSpan(4, bytes.Length), out Envelope inPlace, out _));
            Assert.Equal(ParseValid(bytes), inPlace);
        }
    }

    // ---- Unescape / TextEquals ---------------------------------------------------------------

    [Fact]
    public void Unescape_EscapedRequestId_DecodesIntoCallerSpan()
    {
        const string json = """{"msg_type":"subscription.ack","request_id":"my\u002dsub\/001 \"q\" \u00e9\ud83d\ude00"}""";
        byte[] bytes = Utf8(json);
        Envelope e = ParseValid(bytes);
        Span<byte> destination = stackalloc byte[e.RequestId.Length];

        Assert.True(e.RequestId.IsEscaped);
        Assert.Equal(OperationStatus.Done, EnvelopeParser.Unescape(bytes, e.RequestId, destination, out int written));
        Assert.Equal("my-sub/001 \"q\" é😀", Encoding.UTF8.GetString(destination[..written]));

        ReadOnlySequence<byte> split = Sequences.OneBytePerSegment(bytes);
        Assert.Equal(OperationStatus.Done, EnvelopeParser.Unescape(split, e.RequestId, destination, out written));
        Assert.Equal("my-sub/001 \"q\" é😀", Encoding.UTF8.GetString(destination[..written]));
    }

    [Fact]
    public void Unescape_UnescapedOrAbsentRange_CopiesOrWritesNothing()
    {
        byte[] bytes = Utf8(Heartbeat);
        Envelope e = ParseValid(bytes);
        Span<byte> destination = stackalloc byte[64];

        Assert.Equal(OperationStatus.Done, EnvelopeParser.Unescape(bytes, e.Id, destination, out int written));
        Assert.Equal("msg_5f3e2a1b", Encoding.UTF8.GetString(destination[..written]));
        Assert.Equal(OperationStatus.Done, EnvelopeParser.Unescape(bytes, e.RequestId, destination, out written));
        Assert.Equal(0, written);
    }

    /// <summary>
    /// An unescaped string is copied as it is, valid UTF-8 or not, whether the message is one span or segments (found by
    /// the envelope fuzz target, tests/C2Fast.Fuzz/findings/envelope/unescape-invalid-utf8-segments: the segments
    /// answered InvalidData).
    /// </summary>
    [Fact]
    public void Unescape_UnescapedInvalidUtf8_CopiedAlikeFromASpanAndFromSegments()
    {
        byte[] bytes = [.. "{\"msg_type\":\""u8, 0x8C, .. "\"}"u8];
        Envelope e = ParseValid(bytes);
        Span<byte> destination = stackalloc byte[8];

        Assert.Equal(OperationStatus.Done, EnvelopeParser.Unescape(bytes, e.MsgType, destination, out int written));
        Assert.Equal(new byte[] { 0x8C }, destination[..written].ToArray());
        Assert.Equal(OperationStatus.Done, EnvelopeParser.Unescape(Sequences.OneBytePerSegment(bytes), e.MsgType, destination, out written));
        Assert.Equal(new byte[] { 0x8C }, destination[..written].ToArray());
    }

    [Fact]
    public void Unescape_DestinationShorterThanRawLength_DestinationTooSmall()
    {
        byte[] bytes = Utf8(Heartbeat);
        Envelope e = ParseValid(bytes);

        Assert.Equal(OperationStatus.DestinationTooSmall, EnvelopeParser.Unescape(bytes, e.Id, new byte[e.Id.Length - 1], out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void Unescape_PayloadRange_InvalidData()
    {
        byte[] bytes = Utf8(StrategySignal);
        Envelope e = ParseValid(bytes);

        Assert.Equal(OperationStatus.InvalidData, EnvelopeParser.Unescape(bytes, e.Payload, new byte[bytes.Length], out _));
        Assert.Equal(OperationStatus.InvalidData, EnvelopeParser.Unescape(Sequences.SplitAt(bytes, 50), e.Payload, new byte[bytes.Length], out _));
    }

    [Fact]
    public void TextEquals_EscapedAndPlainRanges_ComparesDecodedText()
    {
        const string json = """{"msg_type":"subscription.ack","request_id":"my\u002dsub-001","id":"plain"}""";
        byte[] bytes = Utf8(json);
        Envelope e = ParseValid(bytes);
        ReadOnlySequence<byte> split = Sequences.OneBytePerSegment(bytes);

        Assert.True(EnvelopeParser.TextEquals(bytes, e.RequestId, "my-sub-001"u8));
        Assert.False(EnvelopeParser.TextEquals(bytes, e.RequestId, "my-sub-002"u8));
        Assert.True(EnvelopeParser.TextEquals(split, e.RequestId, "my-sub-001"u8));
        Assert.True(EnvelopeParser.TextEquals(bytes, e.Id, "plain"u8));
        Assert.True(EnvelopeParser.TextEquals(split, e.Id, "plain"u8));
        Assert.False(EnvelopeParser.TextEquals(bytes, e.Timestamp, ""u8));
    }

    // ---- helpers -----------------------------------------------------------------------------

    // Escapes, whitespace and long strings that make segment boundaries land everywhere interesting.
    internal static readonly string[] TrickyMessages =
    [
        """  { "p\u0061yload" : { "a" : [ 1 , { "strategy\u005fid" : 9 } ] , "strategy_id" : 4 } , "msg\u005ftype" : "strategy\u002esignal" , "seq_id" : 123456789012 , "request_id" : "r\"1\\" }  """,
        """{"msg_type":"gap","payload":{"strategy_id":null,"message":"\ud83d\ude00 \u00e9 \n\t\"x\""},"id":"msg_\u0041"}""",
        """{"v":4,"timestamp":"2024-01-01T12:00:00Z","msg_type":"heartbeat","id":"msg_5f3e2a1b","unknown":[{"a":{"b":[]}},-0.5e-3,"s"]}""",
    ];

    internal static Envelope ParseValid(string json) => ParseValid(Utf8(json));

    internal static Envelope ParseValid(byte[] bytes)
    {
        OperationStatus status = EnvelopeParser.Parse(bytes, out Envelope envelope, out EnvelopeError error);
        Assert.True(status == OperationStatus.Done, $"expected Done, got {status} ({error}) for {Encoding.UTF8.GetString(bytes)}");
        Assert.Equal(EnvelopeError.None, error);
        return envelope;
    }

    private static EnvelopeError ParseInvalid(string json) => ParseInvalid(Utf8(json));

    private static EnvelopeError ParseInvalid(byte[] bytes)
    {
        OperationStatus status = EnvelopeParser.Parse(bytes, out Envelope envelope, out EnvelopeError error);
        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Equal(default, envelope);
        return error;
    }

    private static EnvelopeError ParseInvalid(ReadOnlySequence<byte> sequence)
    {
        OperationStatus status = EnvelopeParser.Parse(sequence, out Envelope envelope, out EnvelopeError error);
        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Equal(default, envelope);
        return error;
    }

    private static void AssertSameParse(Envelope whole, byte[] bytes, ReadOnlySequence<byte> sequence)
    {
        OperationStatus status = EnvelopeParser.Parse(sequence, out Envelope split, out EnvelopeError error);
        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(EnvelopeError.None, error);
        Assert.Equal(whole, split);
        Assert.Equal(whole.Payload.Slice(bytes).ToArray(), whole.Payload.Slice(sequence).ToArray());
        Assert.Equal(whole.MsgType.Slice(bytes).ToArray(), split.MsgType.Slice(sequence).ToArray());
    }

    internal static string Text(string json, ValueRange range) => Encoding.UTF8.GetString(range.Slice(Utf8(json)));

    internal static string Unescaped(string json, ValueRange range)
    {
        byte[] bytes = Utf8(json);
        byte[] destination = new byte[range.Length];
        Assert.Equal(OperationStatus.Done, EnvelopeParser.Unescape(bytes, range, destination, out int written));
        return Encoding.UTF8.GetString(destination, 0, written);
    }

    private static string Nest(int levels)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < levels; i++)
        {
            sb.Append(i % 2 == 0 ? "[" : "{\"k\":");
        }

        sb.Append(levels > 0 ? "0" : "");

        for (int i = levels - 1; i >= 0; i--)
        {
            sb.Append(i % 2 == 0 ? "]" : "}");
        }

        return sb.ToString();
    }

    // ---- a truncated literal over segments (Utf8JsonReader throws IndexOutOfRangeException: dotnet/runtime#134448) --

    /// <summary>Found by the envelope fuzz target (tests/C2Fast.Fuzz/findings/envelope/truncated-literal-multisegment). Segments separated by |.</summary>
    [Theory]
    [InlineData("||n|")]
    [InlineData("t|")]
    [InlineData("{\"a\":[|tr|")]
    [InlineData("{\"msg_type\":|fals|")]
    [InlineData("{\"msg_type\":\"heartbeat\",\"v\":|nu|")]
    public void Parse_TruncatedLiteralBeforeAnEmptySegment_InvalidJsonNotAnException(string segments)
    {
        ReadOnlySequence<byte> message = Sequences.FromChunks(segments.Split('|').Select(Utf8).ToArray());

        Assert.Equal(EnvelopeError.InvalidJson, ParseInvalid(message));
    }

    // ---- lone surrogate escapes: well-formed JSON, but no UTF-16 text ------------------------

    [Theory]
    [InlineData("""{"msg_type":"strategy.signal\ud800","id":"x","seq_id":3,"payload":{"strategy_id":101}}""")]
    [InlineData("""{"msg_\udfff":"x","msg_type":"heartbeat"}""")]
    [InlineData("""{"\ud800":1,"msg_type":"heartbeat"}""")]
    public void Parse_LoneSurrogateInANameOrMsgType_InvalidStringNotAnException(string json)
    {
        Assert.Equal(EnvelopeError.InvalidString, ParseInvalid(json));
        Assert.Equal(EnvelopeError.InvalidString, ParseInvalid(Sequences.OneBytePerSegment(Utf8(json))));
    }

    [Fact]
    public void Parse_LoneSurrogateInsideThePayload_IsTheApplicationsAndParses()
    {
        Envelope envelope = ParseValid("""{"msg_type":"strategy.signal","seq_id":1,"payload":{"\udc00":"\ud800","strategy_id":101}}""");

        Assert.Equal(101, envelope.StrategyId);
    }

    [Theory]
    [InlineData("""{"msg_type":"connection.connected","id":"\ud800"}""", "id")]
    [InlineData("""{"msg_type":"subscription.ack","request_id":"\ud800","payload":{}}""", "request_id")]
    public void Parse_LoneSurrogateInAnIdValue_ParsesAndDecodesToTheRawText(string json, string field)
    {
        Envelope envelope = ParseValid(json);

        byte[] bytes = Utf8(json);
        ValueRange range = field == "id" ? envelope.Id : envelope.RequestId;
        Assert.Equal(@"\ud800", EnvelopeText.Decode(bytes, range));
        Assert.False(EnvelopeParser.TextEquals(bytes, range, "x"u8)); // equal to no text, and no exception
        Assert.False(EnvelopeParser.TextEquals(Sequences.OneBytePerSegment(bytes), range, "x"u8));
    }

    private static IEnumerable<string[]> Permutations(string[] items)
    {
        if (items.Length <= 1)
        {
            yield return items;
            yield break;
        }

        for (int i = 0; i < items.Length; i++)
        {
            string[] rest = [.. items[..i], .. items[(i + 1)..]];
            foreach (string[] tail in Permutations(rest))
            {
                yield return [items[i], .. tail];
            }
        }
    }
}
