using System.Text.Json;
using C2Fast.Framing;
using C2Fast.Session;
using C2Fast.Tests.Infrastructure;
using C2Fast.Tests.TestData;
using C2Fast.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace C2Fast.Tests.Session;

/// <summary>
/// A backlog (the read loop fell behind the socket) is worked through in order: every heartbeat in it is answered
/// exactly once, every signal queued once and in order, and nothing that is not a heartbeat is answered.
/// </summary>
public class SessionMessageHandlerBacklogTests
{
    private static readonly C2FeedOptions Options = new() { Connection = new C2ConnectionOptions { CloseTimeout = TimeSpan.FromSeconds(1) } };

    private const string Heartbeat = """{"msg_type":"heartbeat","id":"msg_a1b2c3d4e5f6a1b2c3d4e5f6a7b8","timestamp":"2024-01-01T12:00:00Z","v":4}""";

    // Escaped: the fast path declines it and the reader's answer (a heartbeat) is what counts.
    private const string EscapedHeartbeat = """{"msg_type":"heart\u0062eat","id":"msg_a1b2c3d4e5f6a1b2c3d4e5f6a7b9","timestamp":"2024-01-01T12:00:00Z","v":4}""";

    private static string Signal(long seq, string symbol) =>
        $$$"""{"msg_type":"strategy.signal","id":"msg_a1b2c3d4e5f6a1b2c3d4e5f6a7b8","seq_id":{{{seq}}},"timestamp":"2024-01-01T12:00:00Z","v":4,"payload":{"strategy_id":101,"signal_id":{{{seq}}},"action":"BTO","symbol":"{{{symbol}}}","quantity":1,"order_type":"limit","limit_price":5010.5,"tif":"day"}}""";

    [Fact]
    public async Task Backlog_EachHeartbeatAnsweredExactlyOnce_SignalsQueuedInOrder()
    {
        const int Messages = 3000;
        var frames = new List<byte[]> { TestFrames.Text(Heartbeat) }; // its ack's flush holds the loop while the pump reads on
        int heartbeats = 1;
        var signals = new List<long>();
        for (int i = 1; i <= Messages; i++)
        {
            switch (i % 10)
            {
                case 0:
                    frames.Add(TestFrames.Text(i % 100 == 0 ? EscapedHeartbeat : Heartbeat));
                    heartbeats++;
                    break;
                case 5:
                    frames.Add(TestFrames.Text(Signal(i, "heartbeat"))); // names "heartbeat" but is a signal
                    signals.Add(i);
                    break;
                default:
                    frames.Add(TestFrames.Text(Signal(i, "ESZ6")));
                    signals.Add(i);
                    break;
            }
        }

        frames.Add(TestFrames.Close(1000));
        byte[] wire = TestFrames.Concat([.. frames]);
        Assert.True(wire.Length > 2 * WebSocketEngine.MaxBytesPerRead, $"{wire.Length} B");

        var gate = new TaskCompletionSource();
        var stream = new ScriptedStream(wire, 16 * 1024) { WriteGate = gate.Task };
        var context = new SessionContext(Options, null, new object(), NullLogger.Instance);
        await using TransportConnection transport = TransportConnection.FromStream(stream, new TransportSettings("test", 80, UseTls: false, ReceiveBufferSize: 16 * 1024));
        await using var engine = new WebSocketEngine(transport, EngineSettings.Default with { CloseTimeout = TimeSpan.FromSeconds(1) });
        Task<EngineOutcome> run = engine.RunAsync(new SessionMessageHandler(context));
        await stream.EndOfInput.WaitAsync(TimeSpan.FromSeconds(10)); // the whole wire is buffered behind the held first flush
        gate.SetResult();
        EngineOutcome result = await run.WaitAsync(TimeSpan.FromSeconds(30));
        await context.Events.DisposeAsync();

        Assert.Equal(1000, result.CloseCode);
        var queued = new List<long>();
        var reader = new PartitionReader(context.Queues!.Partition(0));
        while (reader.TryRead(out C2FeedMessage message))
        {
            using (message)
            {
                queued.Add(message.SeqId!.Value);
            }
        }

        Assert.Equal(signals, queued);
        List<List<string>> writes = ClientTextMessagesByWrite(stream);
        List<string> replies = writes.SelectMany(w => w).ToList();
        Assert.Equal(heartbeats, replies.Count);
        Assert.All(replies, r => Assert.Equal("heartbeat.ack", JsonDocument.Parse(r).RootElement.GetProperty("msg_type").GetString()));
        Assert.Equal(heartbeats, context.Counters.HeartbeatsAcknowledged);
        Assert.Equal(heartbeats, context.Counters.HeartbeatsReceived);

        // The backlog's acks leave as the loop gets to them, a batch per MaxBytesPerRead: never all held to its end.
        Assert.True(writes.Count(w => w.Count > 0) >= wire.Length / WebSocketEngine.MaxBytesPerRead, $"{writes.Count} writes for {wire.Length} B");
    }

    /// <summary>The client's text messages, grouped by the stream write that carried them.</summary>
    private static List<List<string>> ClientTextMessagesByWrite(ScriptedStream stream)
    {
        byte[] written = stream.Written.ToArray();
        var writes = new List<List<string>>();
        int offset = 0;
        foreach (int size in stream.WriteSizes)
        {
            var texts = new List<string>();
            int end = offset + size;
            while (offset < end && TestFrames.TryDecodeClientFrame(written.AsSpan(offset, end - offset), out TestFrame? frame, out int consumed))
            {
                if (frame!.Opcode == TestFrames.OpText)
                {
                    texts.Add(frame.PayloadText);
                }

                offset += consumed;
            }

            Assert.Equal(end, offset); // a write carries whole frames
            writes.Add(texts);
        }

        return writes;
    }
}
