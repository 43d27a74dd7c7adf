using System.Text;
using C2Fast.Framing;
using C2Fast.Session;
using C2Fast.Tests.Infrastructure;
using C2Fast.Tests.TestData;
using C2Fast.Transport;
using Xunit.Abstractions;
using Microsoft.Extensions.Logging.Abstractions;

namespace C2Fast.Tests.Dispatch;

/// <summary>
/// Zero allocation per message in steady state: read loop + envelope parse + heartbeat ack +
/// lease + queue, over an in-memory stream. Measured as the difference between a short and a
/// long run, so per-connection setup cancels out and only per-message cost remains.
/// </summary>
public class SteadyStateAllocationTests(ITestOutputHelper output)
{
    private const int Short = 2_000;
    private const int Long = 22_000;

    private static readonly C2FeedOptions Options = new()
    {
        Tuning = new C2TuningOptions { MessagePoolSize = Long + 100 },
        Queues = new C2QueueOptions { Capacity = Long + 100, MaxBufferedBytes = 256L * 1024 * 1024 },
        Connection = new C2ConnectionOptions { CloseTimeout = TimeSpan.FromSeconds(1) },
    };

    // The default receive blocks (64 KiB): a connection then finds every block the pipe needs in the stash the last one left.
    private static readonly TransportSettings Transport = new("test", 80, UseTls: false, ReceiveBufferSize: 64 * 1024);

    private static byte[] Wire(int messages, long firstSeq)
    {
        var frames = new List<byte[]>(messages + 1);
        for (int i = 0; i < messages; i++)
        {
            string json = (i % 10) switch
            {
                0 => """{"msg_type":"heartbeat","id":"msg_a1b2c3d4e5f6a1b2c3d4e5f6a7b8","timestamp":"2024-01-01T12:00:00Z","v":4}""",
                1 => """{"msg_type":"strategy.positions","id":"msg_a1b2c3d4e5f6a1b2c3d4e5f6a7b8","timestamp":"2024-01-01T12:00:00Z","v":4,"payload":{"strategy_id":102,"positions":[{"symbol":"ESZ6","quantity":2,"avg_price":5012.25}]}}""",
                _ => $$$"""{"msg_type":"strategy.signal","id":"msg_a1b2c3d4e5f6a1b2c3d4e5f6a7b8","seq_id":{{{firstSeq + i}}},"timestamp":"2024-01-01T12:00:00Z","v":4,"payload":{"strategy_id":101,"signal_id":{{{i}}},"action":"BTO","symbol":"ESZ6","quantity":1,"order_type":"limit","limit_price":5010.5,"tif":"day"}}""",
            };
            frames.Add(TestFrames.Text(json));
        }

        frames.Add(TestFrames.Close(1000));
        return TestFrames.Concat([.. frames]);
    }

    private static long Run(SessionContext context, int messages, long firstSeq, Func<int>? inlineSeen = null)
    {
        byte[] wire = Wire(messages, firstSeq);
        var stream = new ScriptedStream(wire, 16 * 1024) { DiscardWrites = true };
        TransportConnection transport = TransportConnection.FromStream(stream, Transport);
        var engine = new WebSocketEngine(transport, EngineSettings.Default with { CloseTimeout = TimeSpan.FromSeconds(1) });
        var handler = new SessionMessageHandler(context);

        // The in-memory stream completes every read synchronously, so the whole loop runs on this
        // thread and the per-thread counter sees exactly its allocations (not the JIT's or the GC's).
        long before = GC.GetAllocatedBytesForCurrentThread();
        Task<EngineOutcome> loop = engine.RunAsync(handler);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(loop.IsCompleted, "the loop did not complete synchronously; the measurement would miss work");
        EngineOutcome result = loop.GetAwaiter().GetResult();

        Assert.Equal(1000, result.CloseCode);
        int drained = inlineSeen?.Invoke() ?? 0;
        if (context.Queues is { } queues)
        {
            var reader = new PartitionReader(queues.Partition(0));
            while (reader.TryRead(out C2FeedMessage message))
            {
                message.Dispose();
                drained++;
            }
        }

        Assert.Equal(messages - (messages / 10), drained); // heartbeats are answered, not queued
        engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
        transport.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return allocated;
    }

    [Fact]
    public async Task ReadLoopParseAckAndQueue_ZeroBytesPerMessage()
    {
        var context = new SessionContext(Options, null, new object(), NullLogger.Instance);
        Run(context, Long, 1);               // warm-up: pool, channel and JIT reach steady state
        long small = Run(context, Short, 1_000_000);
        long large = Run(context, Long, 2_000_000);

        double perMessage = (double)(large - small) / (Long - Short);
        output.WriteLine($"{small} B for {Short} messages, {large} B for {Long}: {perMessage:F3} B per message");
        Assert.True(perMessage < 1.0, $"{perMessage:F2} B per message ({small} B for {Short}, {large} B for {Long})");
        Assert.Equal(0, context.Queues!.QueuedBytes);
        await context.Events.DisposeAsync();
    }

    [Fact]
    public async Task ReadLoopParseAckAndInlineHandler_ZeroBytesPerMessage()
    {
        int seen = 0;
        long checksum = 0;
        var context = new SessionContext(
            Options,
            message =>
            {
                checksum += (long)message.Type + (message.SeqId ?? 0);
                seen++;
            },
            new object(),
            NullLogger.Instance);
        int Seen()
        {
            int count = seen;
            seen = 0;
            return count;
        }

        Run(context, Long, 1, Seen);
        long small = Run(context, Short, 1_000_000, Seen);
        long large = Run(context, Long, 2_000_000, Seen);

        double perMessage = (double)(large - small) / (Long - Short);
        output.WriteLine($"{small} B for {Short} messages, {large} B for {Long}: {perMessage:F3} B per message (checksum {checksum})");
        Assert.True(perMessage < 1.0, $"{perMessage:F2} B per message ({small} B for {Short}, {large} B for {Long})");
        Assert.Null(context.Queues); // nothing can be queued: every message went to the handler
        Assert.Equal((2 * (Long - (Long / 10))) + (Short - (Short / 10)), context.Counters.MessagesDelivered); // each one handed to the handler
        await context.Events.DisposeAsync();
    }
}
