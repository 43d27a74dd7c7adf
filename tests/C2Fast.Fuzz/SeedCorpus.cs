using System.Buffers.Binary;
using System.Text;

namespace C2Fast.Fuzz;

/// <summary>
/// The hand-made seed corpus, as code: valid inputs of every kind and near-misses (one rule broken each), small
/// enough for AFL to mutate quickly. <c>C2Fast.Fuzz seeds DIR</c> writes DIR/&lt;target&gt;/&lt;name&gt;; the files under
/// corpus/ were written by it (re-run it after changing this file, and commit the result).
/// </summary>
internal static class SeedCorpus
{
    private const string Heartbeat = """{"msg_type":"heartbeat","id":"msg_5f3e2a1b","timestamp":"2024-01-01T12:00:30Z","v":4}""";
    private const string Connected = """{"msg_type":"connection.connected","id":"msg_0a1b2c3d","timestamp":"2024-01-01T12:00:00Z","v":4}""";
    private const string SubscriptionAck = """{"msg_type":"subscription.ack","id":"msg_77aa","request_id":"my-sub-001","timestamp":"2024-01-01T12:00:01Z","v":4,"payload":{"action":"subscribe","channel":"strategy.signal","strategy_id":12345678}}""";
    private const string Signal = """{"msg_type":"strategy.signal","id":"msg_9c8d7e6f","seq_id":98765,"timestamp":"2024-01-01T12:00:05Z","v":4,"payload":{"strategy_id":12345678,"signal_id":555001,"action":"BTO","symbol":"AAPL","quantity":100,"order_type":"limit","limit_price":187.25,"stop_price":null,"tif":"day"}}""";
    private const string Positions = """{"msg_type":"strategy.positions","id":"msg_a0b1","timestamp":"2024-01-01T12:00:06Z","v":4,"payload":{"strategy_id":12345678,"positions":[{"symbol":"AAPL","quantity":100,"avg_price":187.25},{"symbol":"MSFT","quantity":-50,"avg_price":410.5}]}}""";
    private const string Gap = """{"msg_type":"gap","id":"msg_ffee","timestamp":"2024-01-01T12:00:07Z","v":4,"payload":{"strategy_id":null,"channel":"strategy.signal:12345678","from":"98765","message":"Replay limit of 1000 messages exceeded"}}""";
    private const string Error = """{"msg_type":"error","id":"msg_e001","request_id":"my-sub-001","timestamp":"2024-01-01T12:00:02Z","v":4,"payload":{"code":"FORBIDDEN","field":"StrategyId","message":"Not authorized to subscribe to Strategy"}}""";

    public static void Write(string directory)
    {
        Emit(directory, "frame-header", FrameHeaders());
        Emit(directory, "close-frame", ClosePayloads());
        Emit(directory, "utf8", Utf8Texts());
        Emit(directory, "envelope", Envelopes());
        Emit(directory, "handshake-response", Responses());
        Emit(directory, "checkpoint", CheckpointFiles());
        Emit(directory, "receive-path", Streams());
    }

    private static void Emit(string directory, string target, IEnumerable<(string Name, byte[] Bytes)> seeds)
    {
        string folder = Path.Combine(directory, target);
        Directory.CreateDirectory(folder);
        foreach ((string name, byte[] bytes) in seeds)
        {
            File.WriteAllBytes(Path.Combine(folder, name), bytes);
        }
    }

    private static byte[] B(params int[] bytes) => bytes.Select(b => (byte)b).ToArray();

    private static byte[] U(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    // frame-header: limit selector, then header bytes.
    private static IEnumerable<(string, byte[])> FrameHeaders() =>
    [
        ("text-5", B(0, 0x81, 0x05)),
        ("binary-126", B(0, 0x82, 0x7E, 0x00, 0x7E)),
        ("binary-65536", B(0, 0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0)),
        ("continuation", B(0, 0x00, 0x10)),
        ("ping-empty", B(0, 0x89, 0x00)),
        ("close-2", B(0, 0x88, 0x02)),
        ("pong-125", B(0, 0x8A, 0x7D)),
        ("prefix-1", B(0, 0x81)),
        ("prefix-16bit", B(0, 0x81, 0x7E, 0x01)),
        ("rsv1", B(0, 0xC1, 0x05)),
        ("reserved-opcode", B(0, 0x83, 0x00)),
        ("fragmented-ping", B(0, 0x09, 0x00)),
        ("masked", B(0, 0x81, 0x85, 1, 2, 3, 4)),
        ("control-126", B(0, 0x89, 0x7E, 0x00, 0x7E)),
        ("nonminimal-16", B(0, 0x81, 0x7E, 0x00, 0x10)),
        ("nonminimal-64", B(0, 0x81, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF)),
        ("msb-64", B(0, 0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0)),
        ("too-big-for-125", B(1, 0x81, 0x7E, 0x00, 0x7E)),
        ("max-zero", B(6, 0x81, 0x01)),
    ];

    private static byte[] Close(int code, string reason = "") => Cat(B(code >> 8, code & 0xFF), U(reason));

    private static IEnumerable<(string, byte[])> ClosePayloads() =>
    [
        ("empty", []),
        ("1000", Close(1000)),
        ("1000-reason", Close(1000, "normal closure")),
        ("4000-utf8", Close(4000, "fermé – 😀")),
        ("3000", Close(3000)),
        ("4999", Close(4999)),
        ("1011", Close(1011, "server error")),
        ("one-byte", B(0x03)),
        ("1005-invalid", Close(1005)),
        ("1004-invalid", Close(1004)),
        ("5000-invalid", Close(5000)),
        ("bad-utf8", Cat(Close(1000), B(0xC3))),
        ("long-reason", Close(1001, new string('x', 123))),
    ];

    // utf8: chunk plan, then text.
    private static IEnumerable<(string, byte[])> Utf8Texts() =>
    [
        ("ascii-whole", Cat(B(0), U("hello, world"))),
        ("mixed-1-2", Cat(B(2, 1, 2), U("aκ😀€z"))),
        ("emoji-bytewise", Cat(B(3, 1, 1, 1), U("😀"))),
        ("empty-chunks", Cat(B(3, 0, 2, 0), U("éèê"))),
        ("surrogate", Cat(B(0), B(0xED, 0xA0, 0x80))),
        ("overlong", Cat(B(0), B(0xC0, 0x80))),
        ("overlong-3", Cat(B(1, 1), B(0xE0, 0x80, 0x80))),
        ("truncated", Cat(B(1, 2), B(0x61, 0xE2, 0x82))),
        ("above-max", Cat(B(0), B(0xF4, 0x90, 0x80, 0x80))),
        ("max", Cat(B(2, 2, 2), B(0xF4, 0x8F, 0xBF, 0xBF))),
        ("lone-continuation", Cat(B(0), B(0x61, 0x80, 0x62))),
        ("f5", Cat(B(0), B(0xF5, 0x80, 0x80, 0x80))),
    ];

    private static IEnumerable<(string, byte[])> Envelopes() =>
    [
        ("heartbeat", U(Heartbeat)),
        ("connected", U(Connected)),
        ("subscription-ack", U(SubscriptionAck)),
        ("signal", U(Signal)),
        ("positions", U(Positions)),
        ("gap", U(Gap)),
        ("error", U(Error)),
        ("unknown-type", U("""{"msg_type":"future.type","seq_id":1,"payload":[1,2,{"a":null}]}""")),
        ("minimal", U("""{"msg_type":"heartbeat"}""")),
        ("whitespace", U(" {\r\n \"msg_type\" : \"heartbeat\" ,\t\"v\" : 4 } \n")),
        ("escaped-type", U("""{"msg_type":"heart\u0062eat","id":"a\"b\\c\/\n"}""")),
        ("escaped-name", U("""{"msg_\u0074ype":"gap","payload":{"strategy_\u0069d":7}}""")),
        ("duplicate-field", U("""{"msg_type":"heartbeat","msg_type":"gap"}""")),
        ("seq-negative", U("""{"msg_type":"strategy.signal","seq_id":-1,"payload":{"strategy_id":1}}""")),
        ("seq-fraction", U("""{"msg_type":"strategy.signal","seq_id":1.5,"payload":{"strategy_id":1}}""")),
        ("seq-exponent", U("""{"msg_type":"strategy.signal","seq_id":1e3,"payload":{"strategy_id":1}}""")),
        ("seq-max", U("""{"msg_type":"strategy.signal","seq_id":9223372036854775807,"payload":{"strategy_id":9223372036854775807}}""")),
        ("seq-overflow", U("""{"msg_type":"strategy.signal","seq_id":9223372036854775808,"payload":{"strategy_id":1}}""")),
        ("strategy-twice", U("""{"msg_type":"strategy.signal","payload":{"strategy_id":1,"strategy_id":2}}""")),
        ("strategy-zero", U("""{"msg_type":"strategy.positions","payload":{"strategy_id":0}}""")),
        ("payload-array", U("""{"msg_type":"heartbeat","payload":[]}""")),
        ("deep", U("""{"msg_type":"x","a":[[[[[[[[[[{"b":[[[]]]}]]]]]]]]]]}""")),
        ("not-object", U("""["msg_type","heartbeat"]""")),
        ("truncated", U("""{"msg_type":"heartbeat","id":"ms""")),
        ("trailing", U("""{"msg_type":"heartbeat"}{}""")),
        ("lone-surrogate", U("""{"msg_type":"heartbeat","x\ud800":1}""")),
        ("surrogate-pair", U("""{"msg_type":"heartbeat","id":"\ud83d\ude00"}""")),
        ("literals", U("""{"msg_type":"x","t":true,"f":false,"n":null,"v":null,"id":null}""")),
        ("missing-type", U("""{"id":"msg_1","v":4}""")),
        ("type-number", U("""{"msg_type":4}""")),
    ];

    private const string Accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    private static byte[] Response(string head, string body = "") => U(head.Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n" + body);

    private static IEnumerable<(string, byte[])> Responses() =>
    [
        ("101", Response($"HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: {Accept}\n", "\u0081\u0000")),
        ("101-lists", Response($"HTTP/1.1 101 OK\nupgrade:  WebSocket \nconnection: keep-alive, upgrade\nsec-websocket-accept:{Accept}\nSec-WebSocket-Extensions:\n")),
        ("101-extension", Response($"HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: {Accept}\nSec-WebSocket-Extensions: permessage-deflate\n")),
        ("101-subprotocol", Response($"HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: {Accept}\nSec-WebSocket-Protocol: chat\n")),
        ("101-wrong-accept", Response("HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\n")),
        ("101-two-accepts", Response($"HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: {Accept}\nSec-WebSocket-Accept: {Accept}\n")),
        ("101-no-upgrade", Response($"HTTP/1.1 101 Switching Protocols\nConnection: Upgrade\nSec-WebSocket-Accept: {Accept}\n")),
        ("101-http10", Response($"HTTP/1.0 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: {Accept}\n")),
        ("401", Response("HTTP/1.1 401 Unauthorized\nX-WS-Error: invalid_api_key\nContent-Type: application/json\nContent-Length: 27\n", """{"error":"invalid api key"}""")),
        ("429", Response("HTTP/1.1 429 Too Many Requests\nRetry-After: 30\nContent-Length: 0\n")),
        ("503-chunked", Response("HTTP/1.1 503 Service Unavailable\nTransfer-Encoding: gzip, chunked\n", "5\r\nbusy!\r\n0\r\n\r\n")),
        ("no-reason", Response("HTTP/1.1 200\nContent-Length: 2\n", "ok")),
        ("obs-fold", Response("HTTP/1.1 400 Bad\nX-WS-Error: a\n  b\n")),
        ("no-colon", Response("HTTP/1.1 400 Bad\nJunk\n")),
        ("bad-status", Response("HTTP/2 101\n")),
        ("bad-content-length", Response("HTTP/1.1 200 OK\nContent-Length: 1x\n")),
        ("incomplete", U("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n")),
    ];

    private static IEnumerable<(string, byte[])> CheckpointFiles() =>
    [
        ("valid", U("{\n  \"version\": 1,\n  \"strategies\": {\n    \"101\": 12345,\n    \"102\": 9\n  }\n}\n")),
        ("empty-map", U("""{"version":1,"strategies":{}}""")),
        ("bom", Cat(B(0xEF, 0xBB, 0xBF), U("""{"version":1,"strategies":{"7":0}}"""))),
        ("extra-members", U("""{"strategies":{"1":2},"comment":{"x":[1,{"y":null}]},"version":1}""")),
        ("max", U("""{"version":1,"strategies":{"9223372036854775807":9223372036854775807}}""")),
        ("escaped-id", U("""{"version":1,"strategies":{"\u0031\u0030\u0031":5}}""")),
        ("version-2", U("""{"version":2,"strategies":{}}""")),
        ("version-twice", U("""{"version":1,"version":1,"strategies":{}}""")),
        ("no-version", U("""{"strategies":{}}""")),
        ("duplicate-id", U("""{"version":1,"strategies":{"5":1,"5":2}}""")),
        ("leading-zero", U("""{"version":1,"strategies":{"05":1}}""")),
        ("negative-seq", U("""{"version":1,"strategies":{"5":-1}}""")),
        ("fraction-seq", U("""{"version":1,"strategies":{"5":1.0}}""")),
        ("id-overflow", U("""{"version":1,"strategies":{"9223372036854775808":1}}""")),
        ("trailing", U("""{"version":1,"strategies":{}} {}""")),
        ("truncated", U("""{"version":1,"strategies":{"101":12""")),
        ("not-object", U("[1]")),
    ];

    // receive-path: config byte, chunk plan, then the server's bytes.
    private static byte[] Frame(int opcode, byte[] payload, bool fin = true)
    {
        var header = new List<byte> { (byte)((fin ? 0x80 : 0) | opcode) };
        if (payload.Length < 126)
        {
            header.Add((byte)payload.Length);
        }
        else if (payload.Length <= 0xFFFF)
        {
            header.Add(126);
            header.Add((byte)(payload.Length >> 8));
            header.Add((byte)payload.Length);
        }
        else
        {
            header.Add(127);
            byte[] length = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)payload.Length);
            header.AddRange(length);
        }

        return [.. header, .. payload];
    }

    private static byte[] Text(string text) => Frame(1, U(text));

    private static byte[] CloseFrame(int code, string reason = "") => Frame(8, Close(code, reason));

    private static byte[] Stream(int config, int[] chunks, params byte[][] frames)
        => Cat(B(config), B(chunks.Length), chunks.Select(c => (byte)c).ToArray(), Cat(frames));

    private static IEnumerable<(string, byte[])> Streams()
    {
        byte[] signal = U(Signal);
        yield return ("session", Stream(0, [], Text(Connected), Text(Heartbeat), Text(SubscriptionAck), Text(Signal), Text(Positions), Text(Gap), Text(Error), CloseFrame(1000, "bye")));
        yield return ("session-chunked", Stream(0, [1, 7, 3, 64], Text(Heartbeat), Text(Signal), Frame(9, U("ping")), Text(Heartbeat), CloseFrame(1001)));
        yield return ("duplicate-signal", Stream(0, [5], Text(Signal), Text(Signal), Text(Signal.Replace("98765", "98766", StringComparison.Ordinal)), CloseFrame(1000)));
        yield return ("fragments-ping", Stream(0, [2, 9], Frame(1, signal[..10], fin: false), Frame(9, U("p")), Frame(0, signal[10..40], fin: false), Frame(10, []), Frame(0, signal[40..], fin: true), CloseFrame(1000)));
        yield return ("utf8-split", Stream(0, [1], Frame(1, U("{\"msg_type\":\"x\",\"s\":\"é"), fin: false), Frame(0, U("😀\"}")), CloseFrame(1000)));
        yield return ("binary-eof", Stream(0, [], Frame(2, B(1, 2, 3)), Text(Heartbeat)));
        yield return ("eof-mid-frame", Stream(0, [], Text(Heartbeat)[..20]));
        yield return ("bad-utf8", Stream(0, [], Frame(1, B(0x7B, 0xC3, 0x28, 0x7D))));
        yield return ("too-big", Stream(1, [], Text(Heartbeat)));
        yield return ("too-big-fragments", Stream(1, [], Frame(1, U("{\"msg_type\""), fin: false), Frame(0, U(":\"x\"}"))));
        yield return ("reserved-opcode", Stream(0, [], Text(Heartbeat), Frame(3, [])));
        yield return ("masked", Stream(0, [], B(0x81, 0x81, 1, 2, 3, 4, 0x7A)));
        yield return ("continuation-alone", Stream(0, [], Frame(0, U("x"))));
        yield return ("data-inside-message", Stream(0, [], Frame(1, U("{"), fin: false), Text("{}")));
        yield return ("close-empty", Stream(0, [], Text(Heartbeat), Frame(8, [])));
        yield return ("close-bad-code", Stream(0, [], CloseFrame(1005)));
        yield return ("close-one-byte", Stream(0, [], Frame(8, B(3))));
        yield return ("close-bad-reason", Stream(0, [], Frame(8, B(3, 0xE8, 0xFF))));
        yield return ("long-frame-small-blocks", Stream(0x04, [200], Frame(1, U("{\"msg_type\":\"strategy.positions\",\"payload\":{\"strategy_id\":5,\"p\":\"" + new string('a', 300) + "\"}}")), CloseFrame(1000)));
        yield return ("depth-3", Stream(0x10, [], Text("""{"msg_type":"strategy.signal","seq_id":1,"payload":{"strategy_id":1,"a":{"b":{}}}}"""), Text(Heartbeat), CloseFrame(1000)));
        yield return ("garbage-text", Stream(0, [], Text("not json"), Text("{\"msg_type\":\"heartbeat\"}"), CloseFrame(4000, "done")));
    }
}
