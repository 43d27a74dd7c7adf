using System.Text.Json;
using C2Fast.Dispatch;
using C2Fast.Framing;
using C2Fast.Session;
using C2Fast.Tests.Infrastructure;
using C2Fast.Tests.TestData;
using C2Fast.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace C2Fast.Tests.Dispatch;

/// <summary>
/// Heartbeats answered ahead of a backlog (the read loop fell behind the socket) are answered once:
/// not again when the loop gets to them, and nothing that is not a heartbeat is answered.
/// </summary>
public class FeedDispatcherLookaheadTests
{
    private static readonly C2FeedOptions Options = new() { CloseTimeout = TimeSpan.FromSeconds(1) };

    private const string Heartbeat = """{"msg_type":"heartbeat","id":"msg_a1b2c3d4e5f6a1b2c3d4e5f6a7b8","timestamp":"2024-01-01T12:00:00Z","v":4}""";

    // Escaped: the look-ahead's byte test does not see it, so the loop answers it.
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
        Assert.True(wire.Length > 4 * WebSocketConnection.BacklogLookaheadBytes, $"{wire.Length} B");

        var gate = new TaskCompletionSource();
        var stream = new ScriptedStream(wire, 16 * 1024) { WriteGate = gate.Task };
        var queues = new FeedQueues(Options);
        var events = new FeedEvents(new object(), NullLogger.Instance);
        var dispatcher = new FeedDispatcher(queues, new SequenceTracker(), new SubscriptionRegistry(), events, 64, NullLogger.Instance);
        await using WebSocketConnection connection = WebSocketConnection.Over(TransportConnection.FromStream(stream, 16 * 1024, readAheadBytes: 4 * 1024 * 1024), Options);
        Task<CloseResult> run = connection.RunAsync(dispatcher);
        await stream.EndOfInput.WaitAsync(TimeSpan.FromSeconds(10));
        gate.SetResult();
        CloseResult result = await run.WaitAsync(TimeSpan.FromSeconds(30));
        await events.DisposeAsync();

        Assert.Equal(1000, result.Code);
        var queued = new List<long>();
        while (queues.Reader(0).TryRead(out C2FeedMessage? message))
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

        // The backlog's plain heartbeats (all but the first read's few and the escaped ones) were answered
        // together, in the look-ahead's one write, before the loop handled the backlog.
        int escaped = Messages / 100;
        Assert.InRange(writes.Max(w => w.Count), heartbeats - escaped - 10, heartbeats - escaped);
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
