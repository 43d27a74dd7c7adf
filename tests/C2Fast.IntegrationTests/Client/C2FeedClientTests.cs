using System.Text.Json;
using C2Fast.Simulator;
using C2Fast.IntegrationTests.Infrastructure;

namespace C2Fast.IntegrationTests.Client;

/// <summary>The public client against the local C2 simulator (real Kestrel, real sockets).</summary>
public class C2FeedClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static C2SimulatorOptions Simulator(TimeSpan? heartbeat = null) => new()
    {
        Strategies = [101, 102],
        AllowedStrategies = [101, 102, 103],
        HeartbeatInterval = heartbeat ?? TimeSpan.FromSeconds(30),
        HeartbeatGrace = TimeSpan.FromSeconds(1),
    };

    private static C2FeedOptions Client(C2Simulator simulator) => new()
    {
        Endpoint = simulator.Uri!,
        ApiKey = C2SimulatorOptions.DemoApiKey,
        Connection = new C2ConnectionOptions { TrustedCaCertificate = simulator.CaCertificate, CloseTimeout = TimeSpan.FromSeconds(2) },
        Heartbeat = new C2HeartbeatOptions { Interval = simulator.Options.HeartbeatInterval, Grace = TimeSpan.FromSeconds(5) },
    };

    /// <summary>Polls until <paramref name="condition"/> holds (or fails the test after <see cref="Timeout"/>).</summary>
    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for: " + what);
            await Task.Delay(10);
        }
    }

    private static async Task<List<(long Strategy, long Seq, C2MessageType Type)>> ReadAsync(C2FeedClient client, int count)
    {
        var seen = new List<(long, long, C2MessageType)>();
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (C2FeedMessage message in client.ReadAllAsync(cts.Token))
        {
            using (message)
            {
                seen.Add((message.StrategyId ?? 0, message.SeqId ?? -1, message.Type));
            }

            if (seen.Count == count)
            {
                break;
            }
        }

        return seen;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Subscribe_PublishedSignals_DeliveredInOrderWithTypedPayload(bool tls)
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator() with { UseTls = tls });
        await using var client = new C2FeedClient(Client(simulator));
        var connected = new TaskCompletionSource<C2ConnectedEventArgs>();
        client.Connected += (_, e) => connected.TrySetResult(e);

        await client.ConnectAsync();
        await client.SubscribeAsync(C2Channel.Signal, 101);
        long last = simulator.PublishSignals(101, 50);

        var seen = new List<long>();
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (C2FeedMessage message in client.ReadAllAsync(cts.Token))
        {
            using (message)
            {
                Assert.Equal(C2MessageType.Signal, message.Type);
                Assert.Equal(101, message.StrategyId);
                C2Signal signal = message.GetSignal();
                Assert.Equal(101, signal.StrategyId);
                Assert.False(string.IsNullOrEmpty(signal.Symbol));
                using JsonDocument raw = JsonDocument.Parse(message.Json);
                Assert.Equal("strategy.signal", raw.RootElement.GetProperty("msg_type").GetString());
                Assert.Equal(message.SeqId, raw.RootElement.GetProperty("seq_id").GetInt64());
                seen.Add(message.SeqId!.Value);
            }

            if (seen.Count == 50)
            {
                break;
            }
        }

        Assert.Equal(Enumerable.Range((int)(last - 49), 50).Select(i => (long)i), seen);
        Assert.True(client.IsConnected);
        Assert.False(string.IsNullOrEmpty((await connected.Task.WaitAsync(Timeout)).ConnectionId));
        Assert.Equal(50, client.GetStatistics().MessagesDelivered);
    }

    [Fact]
    public async Task Subscribe_ForbiddenStrategy_ServerErrorWithCodeAndField()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator());
        await using var client = new C2FeedClient(Client(simulator));
        var errorEvent = new TaskCompletionSource<C2ServerErrorEventArgs>();
        client.ServerError += (_, e) => errorEvent.TrySetResult(e);
        await client.ConnectAsync();

        var ex = await Assert.ThrowsAsync<C2FeedException>(() => client.SubscribeAsync(C2Channel.Signal, 999));

        Assert.Equal(C2FeedError.ServerError, ex.Error);
        Assert.Equal("FORBIDDEN", ex.ServerCode);
        Assert.Equal("StrategyId", ex.ServerField);
        C2ServerErrorEventArgs e = await errorEvent.Task.WaitAsync(Timeout);
        Assert.Equal("FORBIDDEN", Assert.Single(e.Errors).Code);
        Assert.NotNull(e.RequestId);
        Assert.True(client.IsConnected); // an error message does not end the connection
    }

    [Fact]
    public async Task Subscribe_OverLimit_FailsBeforeSending()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator());
        await using var client = new C2FeedClient(Client(simulator) with { MaxSubscriptions = 2 });
        await client.ConnectAsync();
        await client.SubscribeAsync(C2Channel.Signal, 101);
        await client.SubscribeAsync(C2Channel.Positions, 101);
        long acksBefore = simulator.GetCounters().SubscriptionAcks;

        var ex = await Assert.ThrowsAsync<C2FeedException>(() => client.SubscribeAsync(C2Channel.Signal, 102));

        Assert.Equal(C2FeedError.SubscriptionLimitExceeded, ex.Error);
        await client.SubscribeAsync(C2Channel.Signal, 101); // re-subscribing an active pair is not a new one
        Assert.Equal(acksBefore + 1, simulator.GetCounters().SubscriptionAcks);
    }

    [Fact]
    public async Task ResumeFrom_ReplaysOnlyLaterSignals_ThenLive()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator() with { History = 50 });
        await using var client = new C2FeedClient(Client(simulator));
        await client.ConnectAsync();
        long lastHistory = simulator.GetLastSeqId(101);

        await client.SubscribeAsync(C2Channel.Signal, 101, resumeFrom: lastHistory - 10);
        long live = simulator.PublishSignal(101);
        var seen = await ReadAsync(client, 11);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => lastHistory - 9 + i).Append(live), seen.Select(s => s.Seq));
    }

    [Fact]
    public async Task ResumeFrom_MoreThan1000Missed_GapEventAndGapMessageAfterReplay()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator() with { History = 1500 });
        await using var client = new C2FeedClient(Client(simulator));
        var gap = new TaskCompletionSource<C2GapEventArgs>();
        client.GapDetected += (_, e) => gap.TrySetResult(e);
        await client.ConnectAsync();

        await client.SubscribeAsync(C2Channel.Signal, 101, resumeFrom: simulator.GetHistorySeqIds(101)[0]);
        var seen = await ReadAsync(client, 1001);

        Assert.Equal(1000, seen.Count(s => s.Type == C2MessageType.Signal));
        Assert.Equal(C2MessageType.Gap, seen[^1].Type);
        Assert.True(seen.Take(1000).Select(s => s.Seq).SequenceEqual(seen.Take(1000).Select(s => s.Seq).Order()));
        C2GapEventArgs e = await gap.Task.WaitAsync(Timeout);
        Assert.Equal(101, e.StrategyId);
        Assert.Equal("strategy.signal:101", e.Gap.Channel);
        Assert.Equal(1, client.GetStatistics().Gaps);
    }

    [Fact]
    public async Task Unsubscribe_StopsDelivery()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator());
        await using var client = new C2FeedClient(Client(simulator));
        await client.ConnectAsync();
        await client.SubscribeAsync(C2Channel.Signal, 101);
        await client.SubscribeAsync(C2Channel.Signal, 102);
        simulator.PublishSignal(101);
        Assert.Single(await ReadAsync(client, 1));

        await client.UnsubscribeAsync(C2Channel.Signal, 101);
        simulator.PublishSignals(101, 5);
        long marker = simulator.PublishSignal(102);

        var next = await ReadAsync(client, 1);
        Assert.Equal((102L, marker, C2MessageType.Signal), next[0]);
        Assert.Equal(0, client.GetStatistics().QueuedMessages);
    }

    [Fact]
    public async Task Positions_SnapshotTyped()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator());
        await using var client = new C2FeedClient(Client(simulator));
        await client.ConnectAsync();
        await client.SubscribeAsync(C2Channel.Positions, 102);
        simulator.PublishPositions(102);

        using var cts = new CancellationTokenSource(Timeout);
        C2FeedMessage message = await client.Partitions[0].ReadAsync(cts.Token);
        using (message)
        {
            Assert.Equal(C2MessageType.Positions, message.Type);
            Assert.Equal(102, message.GetPositions().StrategyId);
            Assert.Null(message.SeqId);
            Assert.Throws<InvalidOperationException>(() => message.GetSignal());
        }

        Assert.Throws<ObjectDisposedException>(() => message.Json);
    }

    [Fact]
    public async Task Heartbeats_AnsweredEvenWithStalledConsumer()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator(TimeSpan.FromMilliseconds(200)) with { SignalRate = 200 });
        await using var client = new C2FeedClient(Client(simulator));
        await client.ConnectAsync();
        await client.SubscribeAsync(C2Channel.Signal, 101);

        // Nobody reads the queue while at least seven heartbeat periods pass (over the server's grace).
        DateTime deadline = DateTime.UtcNow + Timeout;
        // The client counts an ack when it writes it; the server counts it when it has read it: wait for both.
        while ((client.GetStatistics().HeartbeatsAcknowledged < 7 || simulator.GetCounters().AcksReceived < 7) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        C2FeedStatistics stats = client.GetStatistics();
        Assert.True(client.IsConnected);
        Assert.Equal(0, stats.Reconnects); // never dropped for a missed heartbeat
        Assert.True(stats.HeartbeatsAcknowledged >= 7, $"{stats.HeartbeatsAcknowledged} heartbeats acked");
        Assert.True(stats.QueuedMessages > 100, $"{stats.QueuedMessages} queued");
        Assert.True(simulator.GetCounters().AcksReceived >= 7);
        Assert.Equal(stats.MessagesDelivered, stats.QueuedMessages);
    }

    [Fact]
    public async Task WaitPolicy_BudgetExceeded_PausesThenDeliversEverythingInOrder()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator());
        await using var client = new C2FeedClient(Client(simulator) with { Queues = Client(simulator).Queues with { MaxBufferedBytes = 16 * 1024 * 1024, Capacity = 50 } });
        await client.ConnectAsync();
        await client.SubscribeAsync(C2Channel.Signal, 101);

        long last = simulator.PublishSignals(101, 2000);
        // Consumers stalled: the queue fills and the loop pauses. Checked once the loop has paused, not after a
        // sleep; while nobody reads, the partition cannot get back to half full, so the pause holds.
        await EventuallyAsync(() => client.GetStatistics().BackpressurePauses > 0, "the read loop to pause");
        Assert.InRange(client.GetStatistics().QueuedMessages, 50, 51); // the channel's 50 + the one held back

        var seen = await ReadAsync(client, 2000);
        Assert.Equal(Enumerable.Range((int)(last - 1999), 2000).Select(i => (long)i), seen.Select(s => s.Seq));
        Assert.True(client.GetStatistics().BackpressurePauses > 0);
        Assert.Equal(0, client.GetStatistics().MessagesDropped);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WaitPolicy_LoopPausedPastTheHeartbeatWindow_PausedAcksKeepTheConnection(bool pausedAcks)
    {
        // The server closes (1008) 0.2 s + 0.2 s after the last ack. A paused loop reads nothing, so the heartbeats wait
        // behind the backlog: only the paused acks answer for the client (the control, without them, is closed).
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator(TimeSpan.FromMilliseconds(200)) with { HeartbeatGrace = TimeSpan.FromMilliseconds(200) });
        C2FeedOptions options = Client(simulator);
        await using var client = new C2FeedClient(options with
        {
            Heartbeat = options.Heartbeat with { PausedAckInterval = pausedAcks ? TimeSpan.FromMilliseconds(50) : TimeSpan.Zero },
            Reconnect = options.Reconnect with { Enabled = false },
            Queues = options.Queues with { Capacity = 50 },
        });
        await client.ConnectAsync();
        await client.SubscribeAsync(C2Channel.Signal, 101);

        long last = simulator.PublishSignals(101, 2000);
        await EventuallyAsync(() => client.GetStatistics().BackpressurePauses > 0, "the read loop to pause");
        long sentAtPause = simulator.GetCounters().HeartbeatsSent;

        // Nobody reads while ten heartbeats are sent: five times interval + grace.
        await EventuallyAsync(() => simulator.GetCounters().HeartbeatsSent >= sentAtPause + 10 || simulator.GetCounters().ServerClosesByCode.GetValueOrDefault(1008) > 0, "ten heartbeats, or the server's close");
        C2FeedStatistics stats = client.GetStatistics();
        long heartbeatCloses = simulator.GetCounters().ServerClosesByCode.GetValueOrDefault(1008);
        if (!pausedAcks)
        {
            // The control: without paused acks the server closes the stalled client (1008), so the checks below can fail.
            Assert.Equal(1, heartbeatCloses);
            Assert.Equal(0, stats.PausedAcks);
            return;
        }

        Assert.Equal(0, heartbeatCloses);
        Assert.True(client.IsConnected);
        Assert.True(stats.PausedAcks >= 10, $"{stats.PausedAcks} paused acks");

        var seen = await ReadAsync(client, 2000);
        Assert.Equal(Enumerable.Range((int)(last - 1999), 2000).Select(i => (long)i), seen.Select(s => s.Seq));
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task DropNewestPolicy_FullQueue_DropsCountedAndRaised()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator());
        await using var client = new C2FeedClient(Client(simulator) with { Queues = Client(simulator).Queues with { SlowConsumerPolicy = C2SlowConsumerPolicy.DropNewest, Capacity = 10 } });
        var dropped = new TaskCompletionSource<C2DropEventArgs>();
        client.MessagesDropped += (_, e) => dropped.TrySetResult(e);
        await client.ConnectAsync();
        await client.SubscribeAsync(C2Channel.Signal, 101);

        long last = simulator.PublishSignals(101, 100);
        C2DropEventArgs e = await dropped.Task.WaitAsync(Timeout);
        DateTime deadline = DateTime.UtcNow + Timeout;
        while (client.GetStatistics().MessagesDelivered < 100 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10); // let all 100 arrive while nobody reads
        }

        var seen = await ReadAsync(client, 10);

        Assert.True(e.SignalsDropped > 0);
        Assert.Equal(Enumerable.Range((int)(last - 99), 10).Select(i => (long)i), seen.Select(s => s.Seq)); // the oldest ten survive
        Assert.Equal(90, client.GetStatistics().MessagesDropped);
        Assert.Equal(90, client.GetStatistics().SignalsDropped);
    }

    [Fact]
    public async Task Partitions_RunConsumers_EachStrategyInOrder()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator());
        await using var client = new C2FeedClient(Client(simulator) with { Queues = Client(simulator).Queues with { Partitions = 2 } });
        await client.ConnectAsync();
        await client.SubscribeAsync(C2Channel.Signal, 101);
        await client.SubscribeAsync(C2Channel.Signal, 102);
        var perStrategy = new Dictionary<long, List<long>> { [101] = [], [102] = [] };
        var done = new TaskCompletionSource();
        using var cts = new CancellationTokenSource(Timeout);
        int total = 0;
        Task consumers = client.RunConsumersAsync((m, _) =>
        {
            lock (perStrategy)
            {
                perStrategy[m.StrategyId!.Value].Add(m.SeqId!.Value);
                if (++total == 400)
                {
                    done.TrySetResult();
                }
            }

            return ValueTask.CompletedTask;
        }, cts.Token);

        for (int i = 0; i < 200; i++)
        {
            simulator.PublishSignal(101);
            simulator.PublishSignal(102);
        }

        await done.Task.WaitAsync(Timeout);
        Assert.Equal(perStrategy[101].Order(), perStrategy[101]);
        Assert.Equal(perStrategy[102].Order(), perStrategy[102]);
        Assert.Equal(200, perStrategy[101].Count);
        await client.CloseAsync();
        await consumers.WaitAsync(Timeout);
    }

    [Fact]
    public async Task WrongKey_AuthenticationFailedAndCompletionFaults()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator());
        await using var client = new C2FeedClient(Client(simulator) with { ApiKey = "not-a-key" });

        var ex = await Assert.ThrowsAsync<C2FeedException>(() => client.ConnectAsync());

        Assert.Equal(C2FeedError.AuthenticationFailed, ex.Error);
        Assert.Equal("UNAUTHORIZED", ex.ServerCode);
        Assert.False(client.IsConnected);
        await Assert.ThrowsAsync<C2FeedException>(() => client.Completion);
    }

    [Fact]
    public async Task ServerClosesConnection_CompletionFaultsWithCloseStatusAndDisconnectedRaised()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator() with { Faults = new C2FaultPlan { CloseAfterMessages = 3, CloseCode = 1011 } });
        await using var client = new C2FeedClient(Client(simulator) with { Reconnect = Client(simulator).Reconnect with { Enabled = false } });
        var disconnected = new TaskCompletionSource<C2DisconnectedEventArgs>();
        client.Disconnected += (_, e) => disconnected.TrySetResult(e);
        await client.ConnectAsync();
        await client.SubscribeAsync(C2Channel.Signal, 101);
        simulator.PublishSignals(101, 5);

        var ex = await Assert.ThrowsAsync<C2FeedException>(() => client.Completion.WaitAsync(Timeout));

        Assert.Equal(C2FeedError.ConnectionClosed, ex.Error);
        Assert.Equal(1011, ex.CloseStatus);
        Assert.Equal(1011, (await disconnected.Task.WaitAsync(Timeout)).CloseStatus);
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task Close_Clean_CompletionSucceedsAndQueuedMessagesStayReadable()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(Simulator());
        await using var client = new C2FeedClient(Client(simulator));
        await client.ConnectAsync();
        await client.SubscribeAsync(C2Channel.Signal, 101);
        simulator.PublishSignals(101, 3);
        await EventuallyAsync(() => client.GetStatistics().QueuedMessages >= 3, "the three signals to be queued");

        await client.CloseAsync();
        await client.Completion.WaitAsync(Timeout);

        var remaining = new List<C2FeedMessage>();
        using var drain = new CancellationTokenSource(Timeout); // the queue ends with the client: never waits for more
        await foreach (C2FeedMessage m in client.ReadAllAsync(drain.Token))
        {
            remaining.Add(m);
            m.Dispose();
        }

        Assert.Equal(3, remaining.Count);
        await Assert.ThrowsAsync<C2FeedException>(() => client.SubscribeAsync(C2Channel.Signal, 102));
    }
}
