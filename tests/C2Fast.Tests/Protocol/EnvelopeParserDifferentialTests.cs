using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using C2Fast.Protocol;

using C2Fast.Tests.TestData;

namespace C2Fast.Tests.Protocol;

/// <summary>
/// A seeded random stream of envelopes (valid, semantically invalid, too deep, corrupted), each
/// judged by the parser — whole and split at random — and by a reference built on
/// <see cref="JsonDocument"/> that applies the same rules in document order.
/// </summary>
public class EnvelopeParserDifferentialTests
{
    private const int Iterations = 4000;

    private static readonly string[] KnownTypes =
    [
        "connection.connected", "connection.disconnected", "heartbeat", "subscription.ack",
        "strategy.signal", "strategy.positions", "gap", "error",
    ];

    private static readonly string[] OtherTypes = ["heartbeat.ack", "future.type", "", "Heartbeat", "strategy.signal "];

    private static readonly string[] UnknownNames = ["extra", "MSG_TYPE", "payload2", "ids", "s", "é", "strategy_id", "data"];

    [Theory]
    [InlineData(20240101)]
    [InlineData(7)]
    public void Parse_SeededRandomEnvelopes_AgreesWithJsonDocument(int seed)
    {
        var random = new Random(seed);
        int valid = 0, invalidJson = 0, otherErrors = 0, fastAccepted = 0;

        for (int i = 0; i < Iterations; i++)
        {
            string json = new Generator(random).Envelope();
            if (random.Next(10) == 0)
            {
                json = Corrupt(json, random);
            }

            byte[] bytes = Encoding.UTF8.GetBytes(json);
            int maxDepth = random.Next(4) == 0 ? random.Next(1, 7) : EnvelopeParser.DefaultMaxDepth;

            OperationStatus status = EnvelopeParser.Parse(bytes, out Envelope actual, out EnvelopeError error, maxDepth);
            Reference.Check(json, bytes, maxDepth, status, actual, error);

            // The fast path may decline anything, but what it accepts must match exactly.
            if (EnvelopeParser.TryParseFast(bytes, out Envelope fast, maxDepth))
            {
                Assert.Equal(OperationStatus.Done, status);
                Assert.Equal(actual, fast);
                fastAccepted++;
            }

            ReadOnlySequence<byte> split = Sequences.RandomSplit(bytes, random, maxCuts: 6);
            OperationStatus splitStatus = EnvelopeParser.Parse(split, out Envelope splitEnvelope, out EnvelopeError splitError, maxDepth);
            Assert.Equal(status, splitStatus);
            Assert.Equal(error, splitError);
            Assert.Equal(actual, splitEnvelope);

            if (status == OperationStatus.Done)
            {
                valid++;
            }
            else if (error == EnvelopeError.InvalidJson)
            {
                invalidJson++;
            }
            else
            {
                otherErrors++;
            }
        }

        // The generator must exercise every outcome, not just one.
        Assert.True(valid > Iterations / 3, $"valid {valid}");
        Assert.True(invalidJson > Iterations / 50, $"invalid JSON {invalidJson}");
        Assert.True(otherErrors > Iterations / 50, $"other errors {otherErrors}");
        Assert.True(fastAccepted > 10, $"fast path accepted {fastAccepted}"); // the generator favours escapes and oddities: most go to the reader
    }

    private static string Corrupt(string json, Random random)
    {
        int at = random.Next(json.Length + 1);
        return random.Next(3) switch
        {
            0 => json[..at],
            1 => json.Insert(at, "{}[]\":,x\\"[random.Next(9)].ToString()),
            _ => at < json.Length ? json.Remove(at, 1) : json + "}",
        };
    }

    /// <summary>Builds random envelope text: random field order, escapes, whitespace and nesting.</summary>
    private sealed class Generator(Random random)
    {
        private readonly StringBuilder _sb = new();

        public string Envelope()
        {
            var fields = new List<Action>();
            if (Chance(95))
            {
                fields.Add(() => Property("msg_type", () =>
                {
                    if (Chance(95))
                    {
                        StringValue(MsgType());
                    }
                    else
                    {
                        ScalarOrContainer();
                    }
                }));
            }

            AddOptional(fields, "id", () => StringValue("msg_" + random.Next().ToString("x", CultureInfo.InvariantCulture)));
            AddOptional(fields, "request_id", () => StringValue(RandomText()));
            AddOptional(fields, "timestamp", () => StringValue("2024-01-01T12:00:00Z"));
            AddOptional(fields, "seq_id", () => Number(Chance(90) ? random.NextInt64(0, long.MaxValue).ToString(CultureInfo.InvariantCulture) : WeirdNumber()));
            AddOptional(fields, "v", () => Number(Chance(95) ? "4" : WeirdNumber()));
            if (Chance(70))
            {
                fields.Add(() => Property("payload", Payload));
            }

            for (int i = random.Next(4); i > 0; i--)
            {
                string name = UnknownNames[random.Next(UnknownNames.Length)];
                fields.Add(() => Property(name, () => AnyValue(2)));
            }

            if (Chance(3) && fields.Count > 0)
            {
                fields.Add(fields[random.Next(fields.Count)]); // a duplicate
            }

            Shuffle(fields);
            Ws();
            _sb.Append('{');
            for (int i = 0; i < fields.Count; i++)
            {
                if (i > 0)
                {
                    _sb.Append(',');
                }

                fields[i]();
            }

            Ws();
            _sb.Append('}');
            Ws();
            return _sb.ToString();
        }

        private void AddOptional(List<Action> fields, string name, Action value)
        {
            int roll = random.Next(100);
            if (roll < 55)
            {
                fields.Add(() => Property(name, value));
            }
            else if (roll < 65)
            {
                fields.Add(() => Property(name, () => _sb.Append("null")));
            }
            else if (roll < 68)
            {
                fields.Add(() => Property(name, ScalarOrContainer));
            }
        }

        private void Payload()
        {
            int roll = random.Next(100);
            if (roll < 5)
            {
                _sb.Append("null");
                return;
            }

            if (roll < 10)
            {
                AnyValue(2);
                return;
            }

            var members = new List<Action>();
            for (int i = random.Next(5); i > 0; i--)
            {
                string name = UnknownNames[random.Next(UnknownNames.Length)] + "_p";
                members.Add(() => Property(name, () => AnyValue(3)));
            }

            if (Chance(80))
            {
                members.Add(() => Property("strategy_id", () =>
                {
                    int kind = random.Next(100);
                    if (kind < 80)
                    {
                        _sb.Append(random.NextInt64(1, long.MaxValue).ToString(CultureInfo.InvariantCulture));
                    }
                    else if (kind < 90)
                    {
                        _sb.Append("null");
                    }
                    else
                    {
                        ScalarOrContainer();
                    }
                }));
            }

            if (Chance(3) && members.Count > 0)
            {
                members.Add(members[random.Next(members.Count)]);
            }

            Shuffle(members);
            _sb.Append('{');
            for (int i = 0; i < members.Count; i++)
            {
                if (i > 0)
                {
                    _sb.Append(',');
                }

                members[i]();
            }

            Ws();
            _sb.Append('}');
        }

        private void Property(string name, Action value)
        {
            Ws();
            StringValue(name);
            Ws();
            _sb.Append(':');
            Ws();
            value();
            Ws();
        }

        private void AnyValue(int level)
        {
            int roll = random.Next(100);
            if (level < 9 && roll < 20)
            {
                _sb.Append('[');
                for (int i = random.Next(4); i > 0; i--)
                {
                    AnyValue(level + 1);
                    if (i > 1)
                    {
                        _sb.Append(',');
                    }
                }

                _sb.Append(']');
            }
            else if (level < 9 && roll < 40)
            {
                _sb.Append('{');
                for (int i = random.Next(4); i > 0; i--)
                {
                    Property(UnknownNames[random.Next(UnknownNames.Length)], () => AnyValue(level + 1));
                    if (i > 1)
                    {
                        _sb.Append(',');
                    }
                }

                _sb.Append('}');
            }
            else
            {
                Scalar();
            }
        }

        private void ScalarOrContainer()
        {
            if (Chance(70))
            {
                Scalar();
            }
            else
            {
                AnyValue(5);
            }
        }

        private void Scalar()
        {
            switch (random.Next(6))
            {
                case 0: StringValue(RandomText()); break;
                case 1: Number(WeirdNumber()); break;
                case 2: _sb.Append("true"); break;
                case 3: _sb.Append("false"); break;
                case 4: _sb.Append("null"); break;
                default: Number(random.Next(-1000, 1000).ToString(CultureInfo.InvariantCulture)); break;
            }
        }

        private void Number(string text) => _sb.Append(text);

        private string WeirdNumber() => random.Next(8) switch
        {
            0 => "-1",
            1 => "1.5",
            2 => "1e3",
            3 => "9223372036854775808",
            4 => "-0",
            5 => "2147483648",
            6 => "0.0",
            _ => "12345678901234567890123",
        };

        private string MsgType() => Chance(80) ? KnownTypes[random.Next(KnownTypes.Length)] : OtherTypes[random.Next(OtherTypes.Length)];

        private string RandomText()
        {
            const string pool = "abcXYZ019-_.:/ \"\\\n\té€";
            var text = new StringBuilder();
            for (int i = random.Next(12); i > 0; i--)
            {
                text.Append(pool[random.Next(pool.Length)]);
            }

            if (Chance(10))
            {
                text.Append("😀");
            }

            return text.ToString();
        }

        // Writes a JSON string, escaping what must be and, at random, what need not be.
        private void StringValue(string text)
        {
            _sb.Append('"');
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < text.Length)
                {
                    if (Chance(50))
                    {
                        _sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}\\u{(int)text[i + 1]:X4}");
                    }
                    else
                    {
                        _sb.Append(c).Append(text[i + 1]);
                    }

                    i++;
                }
                else if (c == '"' || c == '\\')
                {
                    _sb.Append('\\').Append(c);
                }
                else if (c == '\n')
                {
                    _sb.Append(Chance(50) ? "\\n" : "\\u000a");
                }
                else if (c < 0x20)
                {
                    _sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                }
                else if (c == '/' && Chance(50))
                {
                    _sb.Append("\\/");
                }
                else if (Chance(8))
                {
                    _sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
                }
                else
                {
                    _sb.Append(c);
                }
            }

            _sb.Append('"');
        }

        private void Ws()
        {
            if (Chance(20))
            {
                _sb.Append(" \t\r\n"[random.Next(4)]);
            }
        }

        private bool Chance(int percent) => random.Next(100) < percent;

        private void Shuffle<T>(List<T> list)
        {
            for (int i = list.Count - 1; i > 0; i--)
            {
                int j = random.Next(i + 1);
                (list[i], list[j]) = (list[j], list[i]);
            }
        }
    }

    /// <summary>The envelope rules, applied to a <see cref="JsonDocument"/> in document order.</summary>
    private static class Reference
    {
        public static void Check(string json, byte[] bytes, int maxDepth, OperationStatus status, Envelope actual, EnvelopeError error)
        {
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 4096 });
            }
            catch (JsonException)
            {
                // Not JSON: the parser may stop at an envelope rule before it reaches the bad byte,
                // but it must never accept the message.
                Assert.True(status == OperationStatus.InvalidData, $"accepted invalid JSON: {json}");
                return;
            }

            using (doc)
            {
                EnvelopeError expected = Evaluate(doc.RootElement, maxDepth, out Expected values);
                Assert.True(expected == error, $"expected {expected}, got {error} (maxDepth {maxDepth}) for {json}");
                Assert.Equal(expected == EnvelopeError.None ? OperationStatus.Done : OperationStatus.InvalidData, status);
                if (expected == EnvelopeError.None)
                {
                    // Depth within the limit ⇔ JsonDocument with the same limit accepts it.
                    Assert.True(JsonDoc.ParsesWithin(json, maxDepth), json);
                    Compare(values, bytes, actual, json);
                }
            }
        }

        private static EnvelopeError Evaluate(JsonElement root, int maxDepth, out Expected values)
        {
            values = new Expected();
            if (root.ValueKind != JsonValueKind.Object)
            {
                return EnvelopeError.NotAnObject;
            }

            var seen = new HashSet<string>();
            string? strategyState = "absent";
            foreach (JsonProperty property in root.EnumerateObject())
            {
                string name = property.Name;
                JsonElement value = property.Value;
                bool known = name is "msg_type" or "id" or "seq_id" or "request_id" or "timestamp" or "v" or "payload";
                if (known && !seen.Add(name))
                {
                    return EnvelopeError.DuplicateField;
                }

                switch (name)
                {
                    case "msg_type":
                        if (value.ValueKind != JsonValueKind.String)
                        {
                            return EnvelopeError.MsgTypeNotString;
                        }

                        values.MsgType = value.GetString();
                        break;
                    case "id":
                    case "request_id":
                    case "timestamp":
                        if (value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                        {
                            return name switch
                            {
                                "id" => EnvelopeError.InvalidId,
                                "request_id" => EnvelopeError.InvalidRequestId,
                                _ => EnvelopeError.InvalidTimestamp,
                            };
                        }

                        string? text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                        if (name == "id")
                        {
                            values.Id = text;
                        }
                        else if (name == "request_id")
                        {
                            values.RequestId = text;
                        }
                        else
                        {
                            values.Timestamp = text;
                        }

                        break;
                    case "seq_id":
                        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long seq) && seq >= 0)
                        {
                            values.SeqId = seq;
                        }
                        else if (value.ValueKind != JsonValueKind.Null)
                        {
                            return EnvelopeError.InvalidSeqId;
                        }

                        break;
                    case "v":
                        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int v))
                        {
                            values.Version = v;
                        }
                        else if (value.ValueKind != JsonValueKind.Null)
                        {
                            return EnvelopeError.InvalidVersion;
                        }

                        break;
                    case "payload":
                        if (value.ValueKind == JsonValueKind.Null)
                        {
                            break;
                        }

                        if (value.ValueKind == JsonValueKind.Object)
                        {
                            if (2 > maxDepth)
                            {
                                return EnvelopeError.DepthExceeded;
                            }

                            bool seenStrategy = false;
                            foreach (JsonProperty member in value.EnumerateObject())
                            {
                                if (member.Name == "strategy_id")
                                {
                                    JsonElement s = member.Value;
                                    strategyState = seenStrategy ? "invalid"
                                        : s.ValueKind == JsonValueKind.Null ? "absent"
                                        : s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out long id) && id > 0 ? id.ToString(CultureInfo.InvariantCulture)
                                        : "invalid";
                                    seenStrategy = true;
                                }

                                if (Depth(member.Value, 2) > maxDepth)
                                {
                                    return EnvelopeError.DepthExceeded;
                                }
                            }
                        }
                        else if (Depth(value, 1) > maxDepth)
                        {
                            return EnvelopeError.DepthExceeded;
                        }

                        values.Payload = value.GetRawText();
                        values.PayloadIsObject = value.ValueKind == JsonValueKind.Object;
                        break;
                    default:
                        if (Depth(value, 1) > maxDepth)
                        {
                            return EnvelopeError.DepthExceeded;
                        }

                        break;
                }
            }

            if (values.MsgType is null)
            {
                return EnvelopeError.MissingMsgType;
            }

            int typeIndex = Array.IndexOf(KnownTypes, values.MsgType);
            values.Type = typeIndex < 0 ? MessageType.Unknown : (MessageType)(typeIndex + 1);
            if (strategyState == "invalid" && values.Type is MessageType.StrategySignal or MessageType.StrategyPositions or MessageType.Gap)
            {
                return EnvelopeError.InvalidStrategyId;
            }

            if (values.Payload is not null && !values.PayloadIsObject && values.Type != MessageType.Unknown)
            {
                return EnvelopeError.InvalidPayload;
            }

            values.StrategyId = strategyState is "absent" or "invalid" ? null : long.Parse(strategyState!, CultureInfo.InvariantCulture);
            return EnvelopeError.None;
        }

        // Deepest container level inside value, whose parent container is at parentLevel.
        private static int Depth(JsonElement value, int parentLevel)
        {
            int level = parentLevel + 1;
            return value.ValueKind switch
            {
                JsonValueKind.Object => value.EnumerateObject().Select(p => Depth(p.Value, level)).DefaultIfEmpty(level).Max(),
                JsonValueKind.Array => value.EnumerateArray().Select(e => Depth(e, level)).DefaultIfEmpty(level).Max(),
                _ => parentLevel,
            };
        }

        private static void Compare(Expected expected, byte[] bytes, Envelope actual, string json)
        {
            Assert.True(expected.Type == actual.Type, json);
            Assert.Equal(expected.MsgType, Decode(bytes, actual.MsgType));
            Assert.Equal(expected.Id, Decode(bytes, actual.Id));
            Assert.Equal(expected.RequestId, Decode(bytes, actual.RequestId));
            Assert.Equal(expected.Timestamp, Decode(bytes, actual.Timestamp));
            Assert.Equal(expected.SeqId, actual.HasSeqId ? actual.SeqId : null);
            Assert.Equal(expected.Version, actual.HasVersion ? actual.Version : null);
            Assert.Equal(expected.StrategyId, actual.HasStrategyId ? actual.StrategyId : null);
            Assert.Equal(expected.Payload, actual.Payload.IsPresent ? Encoding.UTF8.GetString(actual.Payload.Slice(bytes)) : null);
        }

        private static string? Decode(byte[] bytes, ValueRange range)
        {
            if (!range.IsPresent)
            {
                return null;
            }

            byte[] destination = new byte[range.Length];
            Assert.Equal(OperationStatus.Done, EnvelopeParser.Unescape(bytes, range, destination, out int written));
            string text = Encoding.UTF8.GetString(destination, 0, written);
            Assert.True(EnvelopeParser.TextEquals(bytes, range, destination.AsSpan(0, written)));
            return text;
        }
    }

    private sealed class Expected
    {
        public MessageType Type { get; set; }

        public string? MsgType { get; set; }

        public string? Id { get; set; }

        public string? RequestId { get; set; }

        public string? Timestamp { get; set; }

        public long? SeqId { get; set; }

        public int? Version { get; set; }

        public long? StrategyId { get; set; }

        public string? Payload { get; set; }

        public bool PayloadIsObject { get; set; }
    }
}
