using System.Diagnostics;
using System.Globalization;
using C2Fast.Simulator;
using C2Fast.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace C2Fast.IntegrationTests.Client;

/// <summary>
/// The real client through <see cref="TcpFaultProxy"/> in front of the simulator: network faults the server cannot
/// make by itself (half-open TCP, RST, quiet FIN, 1-byte segments, latency), mixed with the simulator's own fault
/// switches and real server restarts. Every test asserts the delivery guarantee: each signal exactly once and in
/// order per strategy (or a <c>gap</c> where more than the replay limit was missed).
/// </summary>
public class ProxyFaultTests(ITestOutputHelper output)
{
    /// <summary>A fault injected on the client's current connection.</summary>
    public enum Fault
    {
        /// <summary>The proxy closes both sides quietly (FIN, no close frame).</summary>
        ProxyCut,

        /// <summary>The proxy resets both sides (RST).</summary>
        ProxyReset,

        /// <summary>The proxy stops forwarding both ways with TCP open (half-open), past the client's silence limit.</summary>
        ProxyStall,

        /// <summary>The server closes with 1008 (simulator switch).</summary>
        ServerClose1008,

        /// <summary>The server stops sending anything, heartbeats included (simulator switch), past the silence limit.</summary>
        ServerStall,

        /// <summary>The server restarts (simulator stop, downtime, start on the same port with the same feeds).</summary>
        ServerRestart,
    }

    private static readonly TimeSpan Heartbeat = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan ClientGrace = TimeSpan.FromMilliseconds(300); // silence limit 0.5 s
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(3);               // a loaded 2-core machine

    private static C2SimulatorOptions Simulator(long[] strategies, TimeSpan? heartbeat = null) => new()
    {
        Strategies = strategies,
        History = 1, // every strategy has a seq_id to resume from before its first live signal
        HeartbeatInterval = heartbeat ?? Heartbeat,
        HeartbeatGrace = TimeSpan.FromMilliseconds(450), // the server's ack deadline; looser than the client's silence limit
        ShutdownTimeout = TimeSpan.FromMilliseconds(200),
        CloseHandshakeTimeout = TimeSpan.FromMilliseconds(300),
    };

    [Fact]
    public async Task HalfOpen_ProxyStallsBothWays_DetectedBySilenceAndReplaced_SignalsOnceInOrder()
    {
        await using ProxiedFeed feed = await ProxiedFeed.StartAsync(Simulator([101]), ClientGrace, output);
        feed.Simulator.PublishSignals(101, 5);
        await feed.WaitForAllPublishedAsync();
        TcpFaultProxyConnection halfOpen = feed.Proxy.Newest!;
        C2SimulatorConnection serverSide = CurrentServerConnection(feed);
        long accepted = feed.Proxy.GetCounters().ConnectionsAccepted;

        var clock = Stopwatch.StartNew();
        halfOpen.Stall(ProxyDirection.Both); // until released: both TCP connections stay open, nothing moves
        feed.Simulator.PublishSignals(101, 10); // held in the proxy; the server believes they were sent
        await feed.WaitUntilAsync(() => feed.Disconnects.Count == 1, "the client to give up on the silent connection");
        TimeSpan detected = clock.Elapsed;

        C2DisconnectedEventArgs lost = feed.Disconnects[0];
        Assert.Equal(C2FeedError.Timeout, lost.Error!.Error);
        Assert.True(halfOpen.IsOpen); // nothing closed TCP: the client decided on silence alone
        TimeSpan limit = Heartbeat + ClientGrace;
        Assert.True(detected <= limit + Slack, $"detected after {detected} (limit {limit})");

        await feed.WaitUntilAsync(() => feed.Connects == 2, "the replacement connection");
        feed.Simulator.PublishSignals(101, 5);
        await feed.WaitForAllPublishedAsync();

        (int signals, int gaps, _) = feed.AssertEverySignalOnceInOrderOrGap(1000, "half-open");
        Assert.Equal(20, signals);
        Assert.Equal(0, gaps);
        Assert.Equal(1, feed.Reconnects);
        Assert.Equal(accepted + 1, feed.Proxy.GetCounters().ConnectionsAccepted);

        // The server side of the dead connection is reaped by the server's own ack deadline (close 1008 after
        // interval + grace without an ack), not by anything the client could send through the dead path.
        await serverSide.Completion.WaitAsync(ProxiedFeed.WaitTimeout);
        Assert.Equal(1008, serverSide.CloseCode);

        halfOpen.Release(); // what was held now meets closed sockets
        await halfOpen.Completion.WaitAsync(ProxiedFeed.WaitTimeout);
        output.WriteLine($"half-open detected after {detected.TotalMilliseconds:F0} ms (limit {limit.TotalMilliseconds:F0} ms)");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OneByteWrites_WholeSession_HeartbeatsAckedSignalsIntact(bool tls)
    {
        await using ProxiedFeed feed = await ProxiedFeed.StartAsync(
            Simulator([101]) with { UseTls = tls }, ClientGrace, output, proxy => proxy.OneByteWrites = true);
        C2SimulatorConnection server = CurrentServerConnection(feed);

        for (int burst = 0; burst < 5; burst++)
        {
            feed.Simulator.PublishSignals(101, 6);
            long acks = server.AcksReceived;
            await EventuallyAsync(() => server.AcksReceived > acks, "a heartbeat acked between bursts"); // heartbeats keep flowing
        }

        await feed.WaitForAllPublishedAsync();

        (int signals, _, _) = feed.AssertEverySignalOnceInOrderOrGap(1000, tls ? "wss" : "ws");
        Assert.Equal(30, signals);
        Assert.Empty(feed.Disconnects);
        Assert.Equal(0, feed.ProtocolErrors);
        Assert.True(server.AcksReceived >= 5, $"{server.AcksReceived} acks");
        TcpFaultProxyCounters counters = feed.Proxy.GetCounters();
        Assert.Equal(counters.BytesDownstream, counters.WritesDownstream); // every byte its own write, TLS records too
        Assert.Equal(counters.BytesUpstream, counters.WritesUpstream);
        Assert.True(counters.BytesDownstream > 30 * 200, $"{counters.BytesDownstream} bytes");
    }

    [Fact]
    public async Task Delay_EveryChunkBothWays_NoReconnectEverySignalOnceInOrder()
    {
        await using ProxiedFeed feed = await ProxiedFeed.StartAsync(
            Simulator([101, 102]), ClientGrace, output, proxy => proxy.Delay = TimeSpan.FromMilliseconds(40));
        C2SimulatorConnection server = CurrentServerConnection(feed);

        for (int i = 0; i < 100; i++)
        {
            feed.Simulator.PublishSignal(101);
            feed.Simulator.PublishSignal(102);
            if (i % 10 == 0)
            {
                await Task.Delay(20); // spread over several chunks and heartbeats
            }
        }

        await feed.WaitForAllPublishedAsync();
        long acks = server.AcksReceived;
        await EventuallyAsync(() => server.AcksReceived >= acks + 2, "heartbeats acked through the delay");
        feed.Proxy.Delay = TimeSpan.Zero;
        feed.Simulator.PublishSignals(101, 5);
        await feed.WaitForAllPublishedAsync();

        (int signals, _, _) = feed.AssertEverySignalOnceInOrderOrGap(1000, "delay");
        Assert.Equal(205, signals);
        Assert.Empty(feed.Disconnects);
        Assert.Equal(0, feed.Reconnects);
    }

    [Theory]
    [InlineData(Fault.ProxyCut, C2FeedError.ConnectionLost, 0)]
    [InlineData(Fault.ProxyReset, C2FeedError.ConnectionLost, 0)]
    [InlineData(Fault.ProxyStall, C2FeedError.Timeout, 0)]
    [InlineData(Fault.ServerClose1008, C2FeedError.ConnectionClosed, 1008)]
    [InlineData(Fault.ServerStall, C2FeedError.Timeout, 0)]
    [InlineData(Fault.ServerRestart, C2FeedError.ConnectionClosed, 1001)]
    public async Task Fault_WhilePublishing_OneReconnectEverySignalOnceInOrder(Fault fault, C2FeedError expectedError, int expectedCloseStatus)
    {
        long[] strategies = [101, 102];
        await using ProxiedFeed feed = await ProxiedFeed.StartAsync(Simulator(strategies), ClientGrace, output);
        using var stop = new CancellationTokenSource();
        Task publisher = PublishAsync(feed.Simulator, strategies, TimeSpan.FromMilliseconds(5), stop.Token);
        await feed.WaitUntilAsync(() => feed.SignalCount() >= 20, "signals before the fault");

        await InjectAsync(feed, fault, new Random(1));
        await feed.WaitUntilAsync(() => feed.Disconnects.Count == 1, "the disconnect");
        int before = feed.SignalCount();
        await feed.WaitUntilAsync(() => feed.Connects == 2 && feed.SignalCount() >= before + 20, "signals after the reconnect");
        await stop.CancelAsync();
        await publisher;
        await feed.WaitForAllPublishedAsync();

        C2DisconnectedEventArgs lost = feed.Disconnects.Single();
        Assert.Equal(expectedError, lost.Error!.Error);
        Assert.Equal(expectedCloseStatus == 0 ? null : expectedCloseStatus, lost.CloseStatus);
        Assert.Equal(1, feed.Reconnects);
        (int signals, int gaps, _) = feed.AssertEverySignalOnceInOrderOrGap(1000, fault.ToString());
        Assert.Equal(0, gaps);
        output.WriteLine($"{fault}: {signals} signals, {feed.Client.GetStatistics().DuplicatesDiscarded} replayed duplicates discarded");
    }

    [Fact]
    public async Task HundredRandomFaults_ThroughProxy_EverySignalOnceInOrderOrGap()
    {
        int seed = Environment.GetEnvironmentVariable("C2FAST_CHAOS_SEED") is { Length: > 0 } text
            ? int.Parse(text, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        output.WriteLine($"seed {seed} (rerun with C2FAST_CHAOS_SEED={seed})");
        var random = new Random(seed);
        long[] strategies = [101, 102, 103];
        const int ReplayLimit = 50; // small, so the longer outages (stalls, some restarts) miss more than a replay holds
        var clock = Stopwatch.StartNew();
        await using ProxiedFeed feed = await ProxiedFeed.StartAsync(
            Simulator(strategies, TimeSpan.FromMilliseconds(150)) with { ReplayLimit = ReplayLimit },
            TimeSpan.FromMilliseconds(250), // silence limit 0.4 s
            output);
        using var stop = new CancellationTokenSource();
        Task publisher = PublishAsync(feed.Simulator, strategies, TimeSpan.FromMilliseconds(15), stop.Token);

        var kinds = new Dictionary<string, int>();
        var unexpected = new List<string>();
        int disruptive = 0;
        TimeSpan oneByteUntil = TimeSpan.Zero;
        TimeSpan delayUntil = TimeSpan.Zero;
        for (int i = 0; i < 100; i++)
        {
            if (clock.Elapsed >= oneByteUntil && feed.Proxy.OneByteWrites)
            {
                feed.Proxy.OneByteWrites = false;
                feed.Log("1-byte writes off");
            }

            if (clock.Elapsed >= delayUntil && feed.Proxy.Delay > TimeSpan.Zero)
            {
                feed.Proxy.Delay = TimeSpan.Zero;
                feed.Log("delay off");
            }

            int roll = random.Next(100);
            string kind;
            if (roll < 17)
            {
                kind = "1-byte writes";
                feed.Proxy.OneByteWrites = true;
                int ms = random.Next(100, 300);
                oneByteUntil = clock.Elapsed + TimeSpan.FromMilliseconds(ms);
                feed.Log($"fault #{i}: 1-byte writes for {ms} ms");
            }
            else if (roll < 34)
            {
                kind = "delay";
                feed.Proxy.Delay = TimeSpan.FromMilliseconds(random.Next(5, 30));
                int ms = random.Next(100, 300);
                delayUntil = clock.Elapsed + TimeSpan.FromMilliseconds(ms);
                feed.Log($"fault #{i}: delay {feed.Proxy.Delay.TotalMilliseconds} ms per chunk for {ms} ms");
            }
            else
            {
                Fault fault = roll switch
                {
                    < 53 => Fault.ProxyCut,
                    < 72 => Fault.ProxyReset,
                    < 88 => Fault.ServerClose1008,
                    < 91 => Fault.ProxyStall,
                    < 94 => Fault.ServerStall,
                    _ => Fault.ServerRestart,
                };
                kind = fault.ToString();

                // On the client's current connection (faults may land while it restores its subscriptions).
                await feed.WaitUntilAsync(() => feed.IsUp, $"a connection before fault #{i} (seed {seed})");
                int before = feed.Disconnects.Count;
                feed.Log($"fault #{i}: {fault} on proxy connection {feed.Proxy.Newest?.Id}, server connection {CurrentServerConnection(feed).Id}");
                await InjectAsync(feed, fault, random);
                await feed.WaitUntilAsync(() => feed.Disconnects.Count > before, $"the disconnect of fault #{i} {fault} (seed {seed})");
                C2DisconnectedEventArgs lost = feed.Disconnects[before];
                if (!IsExpected(fault, lost))
                {
                    unexpected.Add($"#{i} {fault}: {lost.Error?.Error} {lost.CloseStatus}");
                }

                disruptive++;
            }

            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            await Task.Delay(random.Next(0, 15)); // the next fault lands at a random point
        }

        feed.Proxy.OneByteWrites = false;
        feed.Proxy.Delay = TimeSpan.Zero;
        await stop.CancelAsync();
        await publisher;
        await feed.WaitUntilAsync(() => feed.IsUp, $"the last reconnect (seed {seed})");
        await feed.PublishUntilAllDeliveredAsync($"the last signals (seed {seed})"); // needs the restored subscriptions

        (int signals, int gaps, long skipped) = feed.AssertEverySignalOnceInOrderOrGap(ReplayLimit, $"seed {seed}");
        C2FeedStatistics stats = feed.Client.GetStatistics();
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: {string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Value} {k.Key}"))}");
        output.WriteLine($"{signals} signals delivered, {gaps} gaps skipping {skipped}, {stats.DuplicatesDiscarded} replayed duplicates discarded, {feed.Reconnects} reconnects, proxy accepted {feed.Proxy.GetCounters().ConnectionsAccepted}, simulator starts {feed.Simulator.Starts}");
        output.WriteLine("disconnects: " + string.Join(", ", feed.Disconnects.GroupBy(d => $"{d.Error?.Error} {d.CloseStatus}").Select(g => $"{g.Count()} × {g.Key}")));
        Assert.True(unexpected.Count == 0, $"seed {seed}: disconnects not caused by their fault: {string.Join("; ", unexpected)}");
        Assert.Equal(disruptive, feed.Disconnects.Count);  // nothing but the injected faults broke a connection
        Assert.Equal(disruptive, feed.Reconnects);          // and each one was replaced exactly once
        Assert.Equal(disruptive + 1, feed.Connects);
        Assert.Equal(gaps, stats.Gaps);
        Assert.Equal(0, feed.ProtocolErrors);
    }

    private static bool IsExpected(Fault fault, C2DisconnectedEventArgs lost) => fault switch
    {
        Fault.ProxyCut or Fault.ProxyReset => lost.Error?.Error == C2FeedError.ConnectionLost,
        Fault.ProxyStall or Fault.ServerStall => lost.Error?.Error == C2FeedError.Timeout,
        Fault.ServerClose1008 => lost.Error?.Error == C2FeedError.ConnectionClosed && lost.CloseStatus == 1008,

        // A 1001 close; or, if the close frame was still crawling through a 1-byte or delay period when the
        // shutdown timeout aborted the connection, a lost connection.
        _ => lost.Error?.Error is C2FeedError.ConnectionLost || (lost.Error?.Error == C2FeedError.ConnectionClosed && lost.CloseStatus == 1001),
    };

    private static async Task InjectAsync(ProxiedFeed feed, Fault fault, Random random)
    {
        switch (fault)
        {
            case Fault.ProxyCut:
                Assert.True(feed.Proxy.Newest!.Cut());
                break;
            case Fault.ProxyReset:
                Assert.True(feed.Proxy.Newest!.Reset());
                break;
            case Fault.ProxyStall:
                feed.Proxy.Newest!.Stall(ProxyDirection.Both, TimeSpan.FromSeconds(1)); // past the silence limit
                break;
            case Fault.ServerClose1008:
                CurrentServerConnection(feed).Close(1008, "policy violation");
                break;
            case Fault.ServerStall:
                CurrentServerConnection(feed).Stall(TimeSpan.FromSeconds(1)); // past the silence limit
                break;
            default:
                await feed.Simulator.RestartAsync(TimeSpan.FromMilliseconds(random.Next(30, 150)));
                break;
        }
    }

    /// <summary>The newest open server-side connection: the client's current one (older ones are stale half-open leftovers).</summary>
    private static C2SimulatorConnection CurrentServerConnection(ProxiedFeed feed)
        => feed.Simulator.Connections.Last(c => !c.Completion.IsCompleted);

    /// <summary>Publishes one signal per strategy every <paramref name="pace"/> until stopped (also while the server restarts).</summary>
    private static async Task PublishAsync(C2Simulator simulator, long[] strategies, TimeSpan pace, CancellationToken stop)
    {
        await Task.Yield();
        while (!stop.IsCancellationRequested)
        {
            foreach (long strategyId in strategies)
            {
                simulator.PublishSignal(strategyId);
            }

            try
            {
                await Task.Delay(pace, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Polls a server-side counter (the simulator raises no events for it).</summary>
    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow + ProxiedFeed.WaitTimeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for: " + what);
            await Task.Delay(10);
        }
    }
}
