using System.Buffers;
using System.Text;
using C2Fast.Protocol;

namespace C2Fast.Tests.Protocol;

/// <summary>
/// The envelope parser's fast path (a validating byte scanner) against its reader path
/// (<see cref="System.Text.Json.Utf8JsonReader"/>, the authority on every error). The contract is
/// one-sided: whenever the fast path accepts a message, the reader path must accept it too and
/// produce the identical envelope; when the fast path declines, the reader path decides.
/// </summary>
public class EnvelopeFastPathTests
{
    [Theory]
    [MemberData(nameof(ProtocolSamples.All), MemberType = typeof(ProtocolSamples))]
    public void TryParseFast_EverySpecMessage_AcceptsWithTheReaderPathsEnvelope(string json, string expectedType)
    {
        byte[] bytes = ProtocolSamples.Utf8(json);

        // The common shapes must really take the fast path, or it buys nothing.
        Assert.True(EnvelopeParser.TryParseFast(bytes, out Envelope fast));
        Assert.Equal(OperationStatus.Done, EnvelopeParser.ParseWithReader(bytes, out Envelope slow, out _));
        Assert.Equal(slow, fast);
        Assert.Equal(expectedType, fast.Type.ToString());
    }

    [Theory]
    // Whitespace everywhere it is allowed, escapes in values, nested containers, every literal.
    [InlineData(" \t\r\n{ \"msg_type\" : \"strategy.signal\" , \"seq_id\" : 7 , \"payload\" : { \"strategy_id\" : 5 , \"x\" : [ 1 , -2.5e+3 , true , false , null , { } , [ ] ] } } \n")]
    [InlineData("""{"msg_type":"error","request_id":"a\"b\\c\/d\b\f\n\r\t\u00e9\uD800","payload":{"message":"\u0041"}}""")]
    [InlineData("""{"payload":{"strategy_id":null},"msg_type":"gap"}""")]
    [InlineData("""{"msg_type":"heartbeat","id":null,"request_id":null,"timestamp":null,"seq_id":null,"v":null,"payload":null}""")]
    [InlineData("""{"msg_type":"strategy.signal","seq_id":0,"v":2147483647,"payload":{}}""")]
    [InlineData("""{"msg_type":"x","extra":{"a":{"b":{"c":[[[["deep"]]]]}}},"n":-0.0E-0}""")]
    [InlineData("""{"msg_type":"strategy.signal","seq_id":9223372036854775807,"payload":{"strategy_id":999999999999999999}}""")]
    [InlineData("{\"msg_type\":\"strategy.signal\",\"payload\":{\"note\":\"caf\u00e9 \u2603 \U0001F600\"}}")]
    public void TryParseFast_ValidUnusualMessages_AgreesWithReaderPath(string json)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(json);

        Assert.True(EnvelopeParser.TryParseFast(bytes, out Envelope fast));
        Assert.Equal(OperationStatus.Done, EnvelopeParser.ParseWithReader(bytes, out Envelope slow, out _));
        Assert.Equal(slow, fast);
    }

    [Theory]
    // Invalid JSON: every one must be declined (the reader path reports it).
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("""{"msg_type":"heartbeat",}""")]
    [InlineData("""{"msg_type":"heartbeat"}x""")]
    [InlineData("""{"msg_type":"heartbeat"}{}""")]
    [InlineData("""{"msg_type":"heartbeat" "v":4}""")]
    [InlineData("""{"msg_type":"heartbeat","x":01}""")]
    [InlineData("""{"msg_type":"heartbeat","x":1.}""")]
    [InlineData("""{"msg_type":"heartbeat","x":.5}""")]
    [InlineData("""{"msg_type":"heartbeat","x":1e}""")]
    [InlineData("""{"msg_type":"heartbeat","x":1E+}""")]
    [InlineData("""{"msg_type":"heartbeat","x":-}""")]
    [InlineData("""{"msg_type":"heartbeat","x":+1}""")]
    [InlineData("""{"msg_type":"heartbeat","x":1x}""")]
    [InlineData("""{"msg_type":"heartbeat","x":tru}""")]
    [InlineData("""{"msg_type":"heartbeat","x":truex}""")]
    [InlineData("""{"msg_type":"heartbeat","x":nul}""")]
    [InlineData("""{"msg_type":"heartbeat","x":"\x"}""")]
    [InlineData("""{"msg_type":"heartbeat","x":"\u12G4"}""")]
    [InlineData("""{"msg_type":"heartbeat","x":"\u12"}""")]
    [InlineData("""{"msg_type":"heartbeat","x":[1,]}""")]
    [InlineData("""{"msg_type":"heartbeat","x":[1 2]}""")]
    [InlineData("""{"msg_type":"heartbeat","x":{"a" 1}}""")]
    [InlineData("""{"msg_type":"heartbeat","x":{"a":1,}}""")]
    [InlineData("""{"msg_type":"heartbeat","x":{1:1}}""")]
    [InlineData("""{"msg_type":"heartbeat","x":[}""")]
    [InlineData("""{"msg_type":"heartbeat","x":{]}""")]
    [InlineData("""{"msg_type":"heartbeat","x":[[[]]""")]
    [InlineData("""{"msg_type":"heartbeat","x":'a'}""")]
    [InlineData("""{"msg_type":"heartbeat" /* c */}""")]
    [InlineData("{\"msg_type\":\"heart\tbeat\"}")]
    [InlineData("{\"msg_type\":\"heartbeat\"\u000b}")]
    [InlineData("""{"msg_type":"heartbeat","payload":{"strategy_id":1,}}""")]
    [InlineData("""{"msg_type":"heartbeat","payload":{"strategy_id":1""")]
    [InlineData("""{"msg_type":"heartbeat""")]
    [InlineData("""{"msg_type":"heartbeat\""")]
    public void TryParseFast_InvalidJson_Declines(string json)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(json);

        Assert.False(EnvelopeParser.TryParseFast(bytes, out _));
        Assert.Equal(OperationStatus.InvalidData, EnvelopeParser.Parse(bytes, out _, out _));
    }

    [Theory]
    // Valid or invalid, these need the reader path's judgement (escaped names, unusual values, duplicates).
    [InlineData("""{"msg\u005ftype":"heartbeat"}""", true)]
    [InlineData("""{"msg_type":"heart\u0062eat"}""", true)]
    [InlineData("""{"msg_type":"strategy.signal","payload":{"strategy\u005fid":5}}""", true)]
    [InlineData("""{"msg_type":"strategy.signal","seq_id":-1}""", false)]
    [InlineData("""{"msg_type":"strategy.signal","seq_id":1.0}""", false)]
    [InlineData("""{"msg_type":"strategy.signal","seq_id":1e3}""", false)]
    [InlineData("""{"msg_type":"strategy.signal","seq_id":"5"}""", false)]
    [InlineData("""{"msg_type":"strategy.signal","seq_id":9223372036854775808}""", false)]
    [InlineData("""{"msg_type":"strategy.signal","seq_id":10000000000000000000}""", false)]
    [InlineData("""{"msg_type":"strategy.signal","seq_id":99999999999999999999}""", false)]
    [InlineData("""{"msg_type":"strategy.signal","v":2147483648}""", false)]
    [InlineData("""{"msg_type":"strategy.signal","payload":{"strategy_id":0}}""", false)]
    [InlineData("""{"msg_type":"strategy.signal","payload":{"strategy_id":"5"}}""", false)]
    [InlineData("""{"msg_type":"subscription.ack","payload":{"strategy_id":-5}}""", true)]
    [InlineData("""{"msg_type":"strategy.signal","payload":{"strategy_id":5,"strategy_id":5}}""", false)]
    [InlineData("""{"msg_type":"heartbeat","msg_type":"heartbeat"}""", false)]
    [InlineData("""{"msg_type":4}""", false)]
    [InlineData("""{"msg_type":"strategy.signal","payload":[1]}""", false)]
    [InlineData("""{"msg_type":"future.thing","payload":"text"}""", true)]
    [InlineData("""{"msg_type":"heartbeat","id":5}""", false)]
    public void TryParseFast_UnusualInput_DeclinesAndReaderPathDecides(string json, bool readerAccepts)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(json);

        Assert.False(EnvelopeParser.TryParseFast(bytes, out _));
        OperationStatus expected = readerAccepts ? OperationStatus.Done : OperationStatus.InvalidData;
        Assert.Equal(expected, EnvelopeParser.Parse(bytes, out _, out _));
        Assert.Equal(expected, EnvelopeParser.ParseWithReader(bytes, out _, out _));
    }

    [Fact]
    public void TryParseFast_InvalidUtf8InsideString_MatchesReader()
    {
        // Neither path validates UTF-8 inside strings (framing does it for text frames): both accept.
        byte[] bytes = [.. "{\"msg_type\":\"x\",\"a\":\""u8, 0xC3, 0x28, 0xFF, .. "\"}"u8];

        Assert.True(EnvelopeParser.TryParseFast(bytes, out Envelope fast));
        Assert.Equal(OperationStatus.Done, EnvelopeParser.ParseWithReader(bytes, out Envelope slow, out _));
        Assert.Equal(slow, fast);
    }

    [Fact]
    public void TryParseFast_ControlCharacterOrEscapeAtEveryOffsetOfALongString_JudgedLikeTheReader()
    {
        // Strings are skipped 16 bytes at a time: a stop byte must be found in any lane and in the scalar tail.
        for (int length = 1; length <= 40; length++)
        {
            for (int at = 0; at < length; at++)
            {
                char[] text = new string('a', length).ToCharArray();
                text[at] = '\u0001';
                byte[] control = Encoding.UTF8.GetBytes("{\"msg_type\":\"x\",\"id\":\"" + new string(text) + "\"}");
                Assert.False(EnvelopeParser.TryParseFast(control, out _), $"control at {at} of {length}");
                Assert.Equal(EnvelopeError.InvalidJson, ParseError(control));

                string escaped = new string('a', at) + "\\n" + new string('a', length - at - 1);
                byte[] withEscape = Encoding.UTF8.GetBytes("{\"msg_type\":\"x\",\"id\":\"" + escaped + "\"}");
                Assert.True(EnvelopeParser.TryParseFast(withEscape, out Envelope fast), $"escape at {at} of {length}");
                Assert.True(fast.Id.IsEscaped);
                Assert.Equal(escaped.Length, fast.Id.Length);
                Assert.Equal(OperationStatus.Done, EnvelopeParser.ParseWithReader(withEscape, out Envelope slow, out _));
                Assert.Equal(slow, fast);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(64)]
    public void TryParseFast_NestingAtAndPastTheLimit_OnlyAcceptsWithinIt(int maxDepth)
    {
        for (int extra = 1; extra <= maxDepth + 1; extra++)
        {
            // Root (level 1) → "x" array (level 2) → nested arrays.
            string json = """{"msg_type":"x","x":""" + new string('[', extra) + new string(']', extra) + "}";
            byte[] bytes = Encoding.UTF8.GetBytes(json);
            bool within = 1 + extra <= maxDepth;

            OperationStatus slowStatus = EnvelopeParser.ParseWithReader(bytes, out Envelope slow, out EnvelopeError slowError, maxDepth);
            Assert.Equal(within ? OperationStatus.Done : OperationStatus.InvalidData, slowStatus);
            if (EnvelopeParser.TryParseFast(bytes, out Envelope fast, maxDepth))
            {
                Assert.True(within, $"depth {1 + extra} accepted with max {maxDepth}");
                Assert.Equal(slow, fast);
            }
            else if (!within)
            {
                Assert.Equal(EnvelopeError.DepthExceeded, slowError);
            }
        }
    }

    [Fact]
    public void TryParseFast_DeeperThanItsBitStack_DeclinesAndReaderAccepts()
    {
        string json = """{"msg_type":"x","x":""" + new string('[', 100) + new string(']', 100) + "}";
        byte[] bytes = Encoding.UTF8.GetBytes(json);

        Assert.False(EnvelopeParser.TryParseFast(bytes, out _, maxDepth: 200));
        Assert.Equal(OperationStatus.Done, EnvelopeParser.Parse(bytes, out _, out _, maxDepth: 200));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(20261125)]
    public void TryParseFast_SeededMutationsOfRealMessages_NeverAcceptsWhatTheReaderRejects(int seed)
    {
        // Every spec sample, mutated a few bytes at a time with JSON's own punctuation and random bytes:
        // most mutants are invalid or unusual, some stay valid. Each must be judged the same way.
        const int Iterations = 20_000;
        var random = new Random(seed);
        string[] samples = ProtocolSamples.AllMessages;
        int fastAccepted = 0, readerOnly = 0, bothRejected = 0;

        for (int i = 0; i < Iterations; i++)
        {
            byte[] bytes = Mutate(ProtocolSamples.Utf8(samples[random.Next(samples.Length)]), random);
            int maxDepth = random.Next(5) == 0 ? random.Next(1, 5) : EnvelopeParser.DefaultMaxDepth;

            OperationStatus slowStatus = EnvelopeParser.ParseWithReader(bytes, out Envelope slow, out EnvelopeError slowError, maxDepth);
            bool fast = EnvelopeParser.TryParseFast(bytes, out Envelope fastEnvelope, maxDepth);
            if (fast)
            {
                Assert.True(slowStatus == OperationStatus.Done, $"seed {seed} #{i}: fast accepted, reader said {slowError}: {Show(bytes)}");
                Assert.Equal(slow, fastEnvelope);
                fastAccepted++;
            }
            else if (slowStatus == OperationStatus.Done)
            {
                readerOnly++;
            }
            else
            {
                bothRejected++;
            }

            // The public entry point is the fast path with the reader behind it: same verdict as the reader alone.
            Assert.Equal(slowStatus, EnvelopeParser.Parse(bytes, out Envelope combined, out EnvelopeError combinedError, maxDepth));
            Assert.Equal(slowError, combinedError);
            Assert.Equal(slow, combined);
        }

        // The mutator must produce all three outcomes, or it proves little.
        Assert.True(fastAccepted > Iterations / 20, $"fast accepted {fastAccepted}");
        Assert.True(readerOnly > 0, $"reader only {readerOnly}");
        Assert.True(bothRejected > Iterations / 4, $"both rejected {bothRejected}");
    }

    private static byte[] Mutate(byte[] bytes, Random random)
    {
        ReadOnlySpan<byte> alphabet = "{}[]\":,\\ \t\n0123456789-+.eEtrufalsn/u"u8;
        var list = new List<byte>(bytes);
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits; e++)
        {
            int at = random.Next(list.Count + 1);
            byte b = random.Next(8) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            switch (random.Next(4))
            {
                case 0:
                    list.Insert(at, b);
                    break;
                case 1 when at < list.Count:
                    list.RemoveAt(at);
                    break;
                case 2 when at < list.Count:
                    list[at] = b;
                    break;
                default:
                    if (random.Next(4) == 0)
                    {
                        list.RemoveRange(at, list.Count - at); // truncation
                    }

                    break;
            }
        }

        return [.. list];
    }

    private static EnvelopeError ParseError(byte[] bytes)
    {
        EnvelopeParser.Parse(bytes, out _, out EnvelopeError error);
        return error;
    }

    private static string Show(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
