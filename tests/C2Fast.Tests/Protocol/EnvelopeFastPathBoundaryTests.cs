using System.Buffers;
using System.Globalization;
using System.Text;
using C2Fast.Protocol;
using C2Fast.Tests.TestData;

namespace C2Fast.Tests.Protocol;

/// <summary>
/// The fast path's block-wise and word-wise steps at every boundary they have: strings found 16
/// bytes per compare (and by the buffer's last 16 bytes near its end), digit runs 8 bytes per
/// step, envelope names and <c>strategy_id</c> matched as one 16-byte pattern, the key memo of
/// arrays of records, the fused <c>,"</c> step, and the padded copy of messages under 64 bytes.
/// </summary>
/// <remarks>
/// Every input is judged by <see cref="Judge"/>: whatever the fast path accepts, the reader path
/// must accept with the same envelope; the verdict must not change when the bytes are followed
/// by bytes that would continue a string, a number or an object; and on Linux the same bytes
/// flush against an inaccessible page at either end must be judged the same way (a read past
/// the message faults).
/// </remarks>
public class EnvelopeFastPathBoundaryTests
{
    private static readonly object GuardLock = new();
    private static readonly byte[] Trailers = "\"0}\\ a"u8.ToArray();
    private static readonly byte[] MutationBytes = "{}[]\":,\\ 0123456789-.eEtrufalsn\u0001"u8.ToArray();
    private static GuardedMemory? s_guard;

    [Fact]
    public void TryParseFast_StringEndingAtEveryDistanceFromTheEnd_JudgedLikeTheReader()
    {
        string[] contexts =
        [
            """{"msg_type":"x","id":"{0}"}""",
            """{"msg_type":"x","payload":{"s":"{0}"}}""",
            """{"msg_type":"x","payload":{"a":[{"k":"{0}"}]}}""",
            """{"msg_type":"x","payload":{"{0}":1}}""",
        ];
        foreach (string context in contexts)
        {
            // An escaped name directly in the payload might spell strategy_id: declined, so only values must be accepted.
            bool isName = context.Contains("\"{0}\":", StringComparison.Ordinal);
            for (int length = 0; length <= 40; length++)
            {
                string text = Text(length);
                for (int trailing = 0; trailing <= 2; trailing++)
                {
                    string ws = new(' ', trailing);
                    Assert.True(Judge(Message(context, text) + ws), $"{context} length {length}");
                    Judge(Message(context, text).Replace("\"}", "}", StringComparison.Ordinal) + ws); // unterminated
                    for (int at = 0; at < length; at++)
                    {
                        Assert.True(Judge(Message(context, text.Insert(at, "\\n")) + ws) || isName, $"escape at {at}");
                        Assert.True(Judge(Message(context, text.Insert(at, "\\u00e9")) + ws) || isName, $"\\u escape at {at}");
                        Judge(Message(context, text.Insert(at, "\\u00g9")) + ws);
                        Judge(Message(context, text.Insert(at, "\\x")) + ws);
                        Judge(Message(context, text[..at] + "\u0001" + text[(at + 1)..]) + ws);
                        Judge(Message(context, text[..at] + "\\") + ws); // escapes the closing quote
                        Judge(Message(context, text[..at] + "\\u00") + ws); // a \u cut short
                    }
                }
            }
        }
    }

    [Fact]
    public void TryParseFast_NumberOfEveryLengthNearTheEnd_JudgedLikeTheReader()
    {
        string[] contexts =
        [
            """{"msg_type":"x","n":{0}}""",
            """{"msg_type":"x","payload":{"n":{0}}}""",
            """{"msg_type":"x","payload":{"a":[{0}]}}""",
            """{"msg_type":"x","payload":{"a":[{0},{0}]}}""",
        ];
        foreach (string context in contexts)
        {
            for (int digits = 1; digits <= 25; digits++)
            {
                string d = Digits(digits);
                string[] valid = [d, "-" + d, d + ".5", "0." + d, d + "e" + d, "-" + d + ".25E+3", d + "E-12", "0", "-0", "-0.0e0"];
                string[] invalid = ["0" + d, d + ".", d + ".e1", d + "e", d + "e+", "-", "-" + "0" + d, d + "x", d + "\u0001", "+" + d, "." + d, d + "-"];
                for (int trailing = 0; trailing <= 9; trailing++)
                {
                    string ws = new('\n', trailing);
                    foreach (string number in valid)
                    {
                        Assert.True(Judge(Message(context, number) + ws), $"{context} {number}");
                    }

                    foreach (string number in invalid)
                    {
                        Assert.False(Judge(Message(context, number) + ws), $"{context} {number}");
                    }
                }
            }
        }
    }

    [Fact]
    public void TryParseFast_RootAndPayloadIntegersOfEveryLength_JudgedLikeTheReader()
    {
        // With the range of plain integers the fast path takes in each place: seq_id any non-negative long,
        // v up to int.MaxValue, strategy_id a positive long (anything else goes to the reader).
        (string Context, ulong Min, ulong Max)[] contexts =
        [
            ("""{"msg_type":"strategy.signal","seq_id":{0}}""", 0, long.MaxValue),
            ("""{"seq_id":{0},"msg_type":"strategy.signal"}""", 0, long.MaxValue),
            ("""{"msg_type":"strategy.signal","v":{0}}""", 0, int.MaxValue),
            ("""{"msg_type":"strategy.signal","payload":{"strategy_id":{0}}}""", 1, long.MaxValue),
            ("""{"msg_type":"strategy.signal","payload":{"strategy_id":{0},"x":1}}""", 1, long.MaxValue),
        ];
        string[] numbers =
        [
            "9223372036854775807", "9223372036854775808", "2147483647", "2147483648", "18446744073709551615",
            "99999999999999999999", "0", "00", "01", "1.0", "1e3", "-1", "null", "nul", "true", "\"5\"",
        ];

        // A plain integer in the field's range is what the digit loop exists for: the fast path must take it,
        // or a fast path that declined everything would pass this test.
        static bool Takes(string number, ulong min, ulong max) =>
            number.All(char.IsAsciiDigit) && (number.Length == 1 || number[0] != '0')
            && ulong.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value) && value >= min && value <= max;

        int accepted = 0;
        foreach ((string context, ulong min, ulong max) in contexts)
        {
            for (int digits = 1; digits <= 21; digits++)
            {
                string number = Digits(digits);
                for (int trailing = 0; trailing <= 9; trailing++)
                {
                    bool fast = Judge(Message(context, number) + new string(' ', trailing));
                    Assert.True(fast || !Takes(number, min, max), $"declined {number} ({digits} digits, {trailing} trailing): {context}");
                    accepted += fast ? 1 : 0;
                }
            }

            foreach (string number in numbers)
            {
                bool fast = Judge(Message(context, number));
                Assert.True(fast || !Takes(number, min, max), $"declined {number}: {context}");
                accepted += fast ? 1 : 0;
            }
        }

        // 19 lengths for seq_id (twice) and strategy_id (twice), 10 for v, each with 10 trailings; plus the boundary numbers.
        Assert.True(accepted >= ((4 * 19) + 10) * 10, $"accepted {accepted}");
    }

    [Fact]
    public void TryParseFast_EnvelopeNamesExactAndNearMisses_JudgedLikeTheReader()
    {
        (string Name, string Value)[] fields =
        [
            ("msg_type", "\"heartbeat\""), ("id", "\"msg_1\""), ("seq_id", "5"), ("request_id", "\"r-1\""),
            ("timestamp", "\"2024-01-01T12:00:00Z\""), ("v", "4"), ("payload", """{"strategy_id":7}"""),
        ];
        foreach ((string name, string value) in fields)
        {
            string[] spellings =
            [
                $"\"{name}\":", $"\"{name}\" :", $"\"{name}\"\t:\n", $"\"{name}x\":", $"\"x{name}\":", $"\"{name[..^1]}\":",
                $"\"{char.ToUpperInvariant(name[0])}{name[1..]}\":", $"\"\\u{(int)name[0]:x4}{name[1..]}\":", $"\"{name}\":\"{name}\":",
            ];
            foreach (string spelling in spellings)
            {
                string member = spelling + value;
                string type = name == "msg_type" ? string.Empty : "\"msg_type\":\"x\",";
                Judge("{" + type + member + "}");
                Judge("{" + member + (name == "msg_type" ? string.Empty : ",\"msg_type\":\"x\"") + "}");

                // Last member within 16 bytes of the end: the pattern compare cannot load there.
                for (int trailing = 0; trailing <= 16; trailing++)
                {
                    Judge("{" + type + member + "}" + new string(' ', trailing));
                }
            }

            Assert.True(Judge(name == "msg_type" ? "{\"msg_type\":\"heartbeat\"}" : "{\"msg_type\":\"x\",\"" + name + "\":" + value + "}"), name);
        }
    }

    [Fact]
    public void TryParseFast_StrategyIdSpellings_JudgedLikeTheReader()
    {
        string[] spellings =
        [
            "\"strategy_id\":", "\"strategy_id\" :", "\"strategy_idx\":", "\"strategy_i\":", "\"Strategy_id\":", "\"xstrategy_id\":",
            "\"strategy\\u005fid\":", "\"strategy_id\"", "\"strategy_id\"::",
        ];
        string[] values = ["12345678", "null", "0", "-1", "1.5", "\"1\"", "{}", "9223372036854775807", "9223372036854775808"];
        foreach (string spelling in spellings)
        {
            foreach (string value in values)
            {
                // The plain spelling with a positive long or null is the shape the pattern compare is for: taken.
                bool plain = spelling is "\"strategy_id\":" or "\"strategy_id\" :" && value is "12345678" or "null" or "9223372036854775807";
                foreach (string type in new[] { "strategy.signal", "subscription.ack" })
                {
                    for (int trailing = 0; trailing <= 16; trailing += 4)
                    {
                        string ws = new(' ', trailing);
                        string head = "{\"msg_type\":\"" + type + "\",\"payload\":{";
                        Assert.True(Judge(head + spelling + value + "}}" + ws) || !plain, $"declined {spelling}{value} ({type}, {trailing} trailing)");
                        Assert.True(Judge(head + "\"a\":1," + spelling + value + ",\"b\":2}}" + ws) || !plain, $"declined a,{spelling}{value},b ({type}, {trailing} trailing)");
                        Judge(head + spelling + value + "," + spelling + value + "}}" + ws);
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TryParseFast_ArraysOfRecords_KeyMemoJudgedLikeTheReader(int seed)
    {
        // Elements repeat their keys, as positions do; now and then one differs by a byte, by its
        // length, by whitespace, an escape or a broken value, so a remembered key that matches
        // only in part must not be taken for the whole.
        var random = new Random(seed);
        string[] keys = ["symbol", "quantity", "avg_price", "s", "ab", "abc", "a_rather_long_key_name", "k\\u0031", "x\\\"y"];
        int accepted = 0;
        for (int i = 0; i < 1500; i++)
        {
            string[] shape = Enumerable.Range(0, random.Next(1, 7)).Select(_ => keys[random.Next(keys.Length)]).ToArray();
            var sb = new StringBuilder("{\"msg_type\":\"strategy.positions\",\"payload\":{\"strategy_id\":1,\"positions\":[");
            int elements = random.Next(1, 12);
            for (int e = 0; e < elements; e++)
            {
                sb.Append(e > 0 ? "," : string.Empty).Append('{');
                for (int k = 0; k < shape.Length; k++)
                {
                    string key = shape[k];
                    switch (random.Next(100))
                    {
                        case 0 or 1: key = key[..^1]; break;
                        case 2 or 3: key += "z"; break;
                        case 4 or 5: key = key.Length > 1 ? key[..^2] + "Q" + key[^1] : "Q"; break;
                        case 6: key = "\\u0061" + key; break;
                        case 7: key += "\\"; break; // escapes the closing quote: invalid
                        default: break;
                    }

                    string colon = random.Next(200) switch { 0 => " :", 1 => ": ", 2 => "", 3 => "::", _ => ":" };
                    string value = random.Next(200) switch
                    {
                        0 => "}",
                        1 or 2 => "[1,{\"symbol\":2}]",
                        3 or 4 => "{\"quantity\":-1}",
                        5 => "tru",
                        6 => "\"unterminated",
                        _ => random.Next(3) switch { 0 => "\"SYM" + random.Next(1000) + "\"", 1 => (random.Next(-5000, 5000) / 4.0).ToString(CultureInfo.InvariantCulture), _ => "null" },
                    };
                    sb.Append(k > 0 ? "," : string.Empty).Append('"').Append(key).Append('"').Append(colon).Append(value);
                }

                sb.Append('}');
            }

            if (Judge(sb.Append("]}}").ToString()))
            {
                accepted++;
            }
        }

        Assert.True(accepted > 200, $"accepted {accepted}");
    }

    [Fact]
    public void TryParseFast_PayloadMemberSeparators_JudgedLikeTheReader()
    {
        string[] separators = [",", ", ", ",\n", " ,", ",,", ",}", ",]", ";", ",\"\"", ", \t\r\n"];
        foreach (string separator in separators)
        {
            // A comma with or without whitespace around it is valid JSON: with strategy_id first (the fused ," step
            // then runs over the members after it) the fast path takes it at every distance from the end.
            bool valid = separator.Trim(' ', '\t', '\r', '\n') == ",";
            for (int trailing = 0; trailing <= 16; trailing += 2)
            {
                string ws = new(' ', trailing);
                Assert.True(Judge("""{"msg_type":"strategy.signal","payload":{"strategy_id":5""" + separator + "\"a\":\"b\"" + separator + "\"c\":1}}" + ws) || !valid, $"declined separator '{separator}', {trailing} trailing");
                Judge("""{"msg_type":"strategy.signal","payload":{"a":"b""" + separator + "\"strategy_id\":5}}" + ws);
                Judge("""{"msg_type":"strategy.signal","payload":{"a":null""" + separator + "}}" + ws);
            }
        }
    }

    [Fact]
    public void TryParseFast_MessagesOfEveryLengthAroundThePaddedCopy_JudgedLikeTheReader()
    {
        // Under 64 bytes the scanner works on a zero-padded copy: every length from the
        // shortest valid envelope up, and every prefix of each.
        for (int length = 0; length <= 60; length++)
        {
            string json = """{"msg_type":"x","payload":{"s":"{0}"}}""".Replace("{0}", Text(length), StringComparison.Ordinal);
            Assert.True(Judge(json));
            for (int cut = 0; cut < json.Length; cut++)
            {
                Assert.False(Judge(json[..cut]));
            }

            Judge(json + "\0");
            Judge("\0" + json);
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(2024)]
    public void TryParseFast_SeededMutantsOfRealMessages_NeverReadOutsideTheMessage(int seed)
    {
        var random = new Random(seed);
        string[] samples = [.. ProtocolSamples.AllMessages, Positions(random.Next(1, 40))];
        for (int i = 0; i < 10_000; i++)
        {
            byte[] bytes = ProtocolSamples.Utf8(samples[random.Next(samples.Length)]);
            var list = new List<byte>(bytes);
            for (int e = random.Next(1, 4); e > 0 && list.Count > 0; e--)
            {
                int at = random.Next(list.Count);
                byte b = MutationBytes[random.Next(MutationBytes.Length)];
                switch (random.Next(3))
                {
                    case 0: list.Insert(at, b); break;
                    case 1: list.RemoveAt(at); break;
                    default: list[at] = b; break;
                }
            }

            if (random.Next(4) == 0 && list.Count > 0)
            {
                int cut = random.Next(list.Count);
                list.RemoveRange(cut, list.Count - cut);
            }

            Judge([.. list], random.Next(5) == 0 ? random.Next(1, 5) : EnvelopeParser.DefaultMaxDepth);
        }
    }

    private static string Message(string context, string value) => context.Replace("{0}", value, StringComparison.Ordinal);

    private static string Text(int length) => string.Concat(Enumerable.Range(0, length).Select(i => (char)('a' + (i % 26))));

    private static string Digits(int count) => string.Concat(Enumerable.Range(0, count).Select(i => (char)('1' + (i % 9))));

    private static string Positions(int count)
    {
        var sb = new StringBuilder("""{"msg_type":"strategy.positions","id":"msg_a0b1","timestamp":"2024-01-01T12:00:06Z","v":4,"payload":{"strategy_id":12345678,"positions":[""");
        for (int i = 0; i < count; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $$"""{{(i > 0 ? "," : "")}}{"symbol":"SYM{{i:D3}}","quantity":{{(i * 37) - 1000}},"avg_price":{{100 + (i * 1.25)}}}""");
        }

        return sb.Append("]}}").ToString();
    }

    private static bool Judge(string json, int maxDepth = EnvelopeParser.DefaultMaxDepth) => Judge(Encoding.UTF8.GetBytes(json), maxDepth);

    // Returns whether the fast path accepted; asserts everything the contract and the bounds promise.
    private static bool Judge(byte[] bytes, int maxDepth = EnvelopeParser.DefaultMaxDepth)
    {
        string show = Encoding.UTF8.GetString(bytes);
        OperationStatus slowStatus = EnvelopeParser.ParseWithReader(bytes, out Envelope slow, out EnvelopeError slowError, maxDepth);
        bool fast = EnvelopeParser.TryParseFast(bytes, out Envelope fastEnvelope, maxDepth);
        if (fast)
        {
            Assert.True(slowStatus == OperationStatus.Done, $"fast accepted, reader said {slowError}: {show}");
            Assert.Equal(slow, fastEnvelope);
        }

        // Bytes after the message that would continue a string, a number, an escape or the root: never read.
        foreach (byte trailer in Trailers)
        {
            byte[] padded = [.. bytes, .. Enumerable.Repeat(trailer, 80)];
            Assert.True(fast == EnvelopeParser.TryParseFast(padded.AsSpan(0, bytes.Length), out Envelope again, maxDepth), $"trailer '{(char)trailer}' changed the verdict: {show}");
            Assert.Equal(fastEnvelope, again);
        }

        if (GuardedMemory.IsSupported)
        {
            lock (GuardLock)
            {
                s_guard ??= new GuardedMemory(64 * 1024);
                Assert.True(fast == EnvelopeParser.TryParseFast(s_guard.AtEnd(bytes), out Envelope atEnd, maxDepth), show);
                Assert.Equal(fastEnvelope, atEnd);
                Assert.True(fast == EnvelopeParser.TryParseFast(s_guard.AtStart(bytes), out Envelope atStart, maxDepth), show);
                Assert.Equal(fastEnvelope, atStart);
            }
        }

        // The entry point (fast path, then the reader) says what the reader says.
        Assert.Equal(slowStatus, EnvelopeParser.Parse(bytes, out Envelope combined, out EnvelopeError combinedError, maxDepth));
        Assert.Equal(slowError, combinedError);
        Assert.Equal(slow, combined);
        return fast;
    }
}
