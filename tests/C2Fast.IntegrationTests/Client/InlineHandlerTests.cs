using System.Text.Json;
using C2Fast.Simulator;

namespace C2Fast.IntegrationTests.Client;

/// <summary><see cref="C2FeedOptions.InlineHandler"/> against the local C2 simulator (real Kestrel, real sockets).</summary>
public class InlineHandlerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static C2SimulatorOptions Simulator(bool tls = false) => new()
    {
        Strategies = [101, 102],
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        HeartbeatGrace = TimeSpan.FromSeconds(2),
        UseTls = tls,
    };

    private static C2FeedOptions Options(C2Simulator simulator) => new()
    {
        Endpoint = simulator.Uri!,
        ApiKey = C2SimulatorOptions.DemoApiKey,
        Connection = new C2ConnectionOptions { TrustedCaCertificate = simulator.CaCertificate, CloseTimeout = TimeSpan.FromSeconds(2) },
        Heartbeat = new C2HeartbeatOptions { Interval = simulator.Options.HeartbeatInterval },
        Reconnect = new C2ReconnectOptions { BaseDelay = TimeSpan.FromMilliseconds(20) },
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PublishedSignals_HandedToTheHandlerInOrderOnTheLoop_HeartbeatsStillAcked(bool tls)
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator(tls));
        var seen = new List<(long Seq, long Strategy, string Symbol, long JsonSeq)>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var client = new C2FeedClient(Options(simulator), message =>
        {
            Assert.Equal(C2MessageType.Signal, message.Type);
            using JsonDocument raw = JsonDocument.Parse(message.Json);
            seen.Add((message.SeqId!.Value, message.StrategyId!.Value, message.GetSignal().Symbol ?? string.Empty, raw.RootElement.GetProperty("seq_id").GetInt64()));
            message.Dispose(); // allowed, and changes nothing: the message stays readable until the call returns
            Assert.Equal(C2MessageType.Signal, message.Type);
            if (seen.Count == 40)
            {
                all.TrySetResult();
            }
        });

        await client.ConnectAsync();
        await client.SubscribeAsync(C2Channel.Signal, 101);
        long last = simulator.PublishSignals(101, 40);
        await all.Task.WaitAsync(Timeout);
        await WaitUntilAsync(() => client.GetStatistics().HeartbeatsAcknowledged >= 2); // heartbeats every 200 ms

        Assert.Equal(Enumerable.Range((int)(last - 39), 40).Select(i => (long)i), seen.Select(s => s.Seq));
        Assert.All(seen, s => Assert.Equal(101, s.Strategy));
        Assert.All(seen, s => Assert.Equal(s.Seq, s.JsonSeq));
        Assert.All(seen, s => Assert.False(string.IsNullOrEmpty(s.Symbol)));
        C2FeedStatistics stats = client.GetStatistics();
        Assert.Equal(40, stats.MessagesDelivered);
        Assert.Equal(0, stats.QueuedMessages);
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task QueueReaders_InInlineMode_ThrowInvalidOperation()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator());
        await using var client = new C2FeedClient(Options(simulator), _ => { });

        Assert.Equal(C2DeliveryMode.Inline, client.Delivery);
        Assert.Empty(client.Partitions); // a getter that never throws: an inline client has no queues
        Assert.Throws<InvalidOperationException>(() => client.ReadAllAsync());
        Assert.Throws<InvalidOperationException>(() => { _ = client.RunConsumersAsync((_, _) => ValueTask.CompletedTask); }); // thrown at the call, not by the task
    }

    [Fact]
    public async Task MessageKeptPastTheCall_ThrowsObjectDisposed()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator());
        var kept = new TaskCompletionSource<C2FeedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var client = new C2FeedClient(Options(simulator), message => kept.TrySetResult(message));
        await client.ConnectAsync();
        await client.SubscribeAsync(C2Channel.Signal, 101);
        simulator.PublishSignals(101, 1);

        C2FeedMessage message = await kept.Task.WaitAsync(Timeout);

        var ex = Assert.Throws<ObjectDisposedException>(() => message.Type);
        Assert.Contains("only during the handler", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(() => message.Json);
    }

    [Fact]
    public async Task HandlerThrows_ClientCompletesWithHandlerFailed_NoReconnect_FailedSignalNotCommitted()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator());
        var store = new C2MemoryCheckpointStore();
        var handled = new List<long>();
        var boom = new InvalidOperationException("boom");
        var client = new C2FeedClient(Options(simulator) with { CheckpointStore = store }, message =>
        {
            if (handled.Count == 2)
            {
                throw boom;
            }

            handled.Add(message.SeqId!.Value);
        });
        int reconnecting = 0;
        client.Reconnecting += (_, _) => Interlocked.Increment(ref reconnecting);
        await client.ConnectAsync();
        await client.SubscribeAsync(C2Channel.Signal, 101);
        long last = simulator.PublishSignals(101, 5);

        var ex = await Assert.ThrowsAsync<C2FeedException>(() => client.Completion.WaitAsync(Timeout));
        await client.DisposeAsync(); // the final checkpoint save

        Assert.Equal(C2FeedError.HandlerFailed, ex.Error);
        Assert.False(ex.IsRetryable);
        Assert.Same(boom, ex.InnerException);
        Assert.Equal(0, Volatile.Read(ref reconnecting));
        Assert.Equal([last - 4, last - 3], handled);
        IReadOnlyDictionary<long, long> saved = await store.LoadAsync();
        Assert.Equal(last - 3, saved[101]); // the signal the handler threw on is not committed
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (!condition())
        {
            await Task.Delay(10, cts.Token);
        }
    }
}
