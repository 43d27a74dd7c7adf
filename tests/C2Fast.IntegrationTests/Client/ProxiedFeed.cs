using System.Diagnostics;
using System.Text;
using C2Fast.Simulator;
using C2Fast.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace C2Fast.IntegrationTests.Client;

/// <summary>
/// The real <see cref="C2FeedClient"/> connected to a <see cref="C2Simulator"/> through a <see cref="TcpFaultProxy"/>,
/// subscribed to signals of some strategies, with everything the application receives recorded in order per strategy
/// and the client's connect/disconnect events counted. Waits are driven by those events and messages, not by timers.
/// </summary>
internal sealed class ProxiedFeed : IAsyncDisposable
{
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly Dictionary<long, List<Delivery>> _deliveries = [];
    private readonly Dictionary<long, long> _firstExpected = [];
    private readonly Dictionary<long, long> _lastDelivered = [];
    private readonly List<C2DisconnectedEventArgs> _disconnects = [];
    private readonly List<string> _log = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stopReading = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _reading = Task.CompletedTask;
    private int _connects;
    private int _baseConnects;
    private int _baseDisconnects;
    private long _baseReconnects;
    private long _protocolErrors;

    private readonly ITestOutputHelper? _output;

    private ProxiedFeed(C2Simulator simulator, TcpFaultProxy proxy, C2FeedClient client, ITestOutputHelper? output)
    {
        _output = output;
        Simulator = simulator;
        Proxy = proxy;
        Client = client;
        client.Connected += (_, _) => Changed(() =>
        {
            _connects++;
            _log.Add($"{_clock.ElapsedMilliseconds} ms: connected #{_connects}");
        });
        client.Disconnected += (_, e) => Changed(() =>
        {
            _disconnects.Add(e);
            _log.Add($"{_clock.ElapsedMilliseconds} ms: disconnected {e.Error?.Error} {e.CloseStatus} {e.CloseReason} {e.Error?.Message}");
        });
        client.ProtocolError += (_, _) => Interlocked.Increment(ref _protocolErrors);
    }

    public C2Simulator Simulator { get; }

    public TcpFaultProxy Proxy { get; }

    public C2FeedClient Client { get; }

    /// <summary>Connected events since the start: 1 for the connection the start ended on, one more per reconnect.</summary>
    public int Connects
    {
        get
        {
            lock (_gate)
            {
                return _connects - _baseConnects;
            }
        }
    }

    /// <summary>Disconnected events since the start, in order.</summary>
    public IReadOnlyList<C2DisconnectedEventArgs> Disconnects
    {
        get
        {
            lock (_gate)
            {
                return [.. _disconnects.Skip(_baseDisconnects)];
            }
        }
    }

    /// <summary>The client's reconnects since the start.</summary>
    public long Reconnects => Client.GetStatistics().Reconnects - Interlocked.Read(ref _baseReconnects);

    /// <summary>Whether the client is on a connection nobody has reported lost yet.</summary>
    public bool IsUp
    {
        get
        {
            lock (_gate)
            {
                return _connects == _disconnects.Count + 1;
            }
        }
    }

    public long ProtocolErrors => Interlocked.Read(ref _protocolErrors);

    /// <summary>Adds a line to <see cref="EventLog"/> (e.g. a fault being injected).</summary>
    public void Log(string line)
    {
        lock (_gate)
        {
            _log.Add($"{_clock.ElapsedMilliseconds} ms: {line}");
        }
    }

    /// <summary>Connection events with their time since the feed started, for test output.</summary>
    public IReadOnlyList<string> EventLog
    {
        get
        {
            lock (_gate)
            {
                return [.. _log];
            }
        }
    }

    /// <summary>
    /// Client options for tests: fast reconnects, liveness from the simulator's heartbeat interval plus
    /// <paramref name="clientGrace"/>, and the simulator's CA when it serves TLS.
    /// </summary>
    public static C2FeedOptions ClientOptions(C2Simulator simulator, TcpFaultProxy proxy, TimeSpan clientGrace) => new()
    {
        Endpoint = proxy.Front(simulator.Uri!),
        ApiKey = C2SimulatorOptions.DemoApiKey,
        RequestTimeout = TimeSpan.FromSeconds(5),
        Connection = new C2ConnectionOptions { TrustedCaCertificate = simulator.CaCertificate, CloseTimeout = TimeSpan.FromMilliseconds(500), ConnectTimeout = TimeSpan.FromSeconds(5) },
        Heartbeat = new C2HeartbeatOptions { Interval = simulator.Options.HeartbeatInterval, Grace = clientGrace },
        Reconnect = new C2ReconnectOptions { BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(50), RejectionDelay = TimeSpan.FromMilliseconds(20) },
    };

    /// <summary>
    /// Starts the simulator and the proxy, connects through the proxy and subscribes to every strategy of the
    /// simulator with <c>resume_from</c> = its last seq_id, so that even before its first live signal a strategy
    /// can be resumed after a fault (the protocol has no "since I subscribed" point otherwise).
    /// </summary>
    /// <param name="simulatorOptions">The simulator's options; its strategies are subscribed.</param>
    /// <param name="clientGrace">The client's heartbeat grace (its silence limit is the simulator's interval plus this).</param>
    /// <param name="output">Where the connection event log goes when the feed is disposed.</param>
    /// <param name="beforeConnect">Sets proxy switches before the client connects.</param>
    public static async Task<ProxiedFeed> StartAsync(C2SimulatorOptions simulatorOptions, TimeSpan clientGrace, ITestOutputHelper? output, Action<TcpFaultProxy>? beforeConnect = null)
    {
        C2Simulator simulator = await C2Simulator.StartNewAsync(simulatorOptions);
        TcpFaultProxy proxy = TcpFaultProxy.Start(simulator.Port);
        beforeConnect?.Invoke(proxy);
        var feed = new ProxiedFeed(simulator, proxy, new C2FeedClient(ClientOptions(simulator, proxy, clientGrace)), output);
        try
        {
            await feed.Client.ConnectAsync();
            foreach (long strategyId in simulatorOptions.Strategies)
            {
                long last = simulator.GetLastSeqId(strategyId);
                lock (feed._gate)
                {
                    feed._firstExpected[strategyId] = last + 1;
                    feed._deliveries[strategyId] = [];
                    feed._lastDelivered[strategyId] = 0;
                }

                await feed.SubscribeDuringStartAsync(strategyId, last);
            }

            // What happened while starting is not under test: counts start from here.
            await feed.WaitUntilAsync(() => feed.IsUp && feed.Client.GetStatistics().Reconnects == feed.Connects - 1, "a settled start");
            lock (feed._gate)
            {
                feed._baseConnects = feed._connects - 1;
                feed._baseDisconnects = feed._disconnects.Count;
                feed._baseReconnects = feed.Client.GetStatistics().Reconnects;
                feed._log.Add($"{feed._clock.ElapsedMilliseconds} ms: started");
            }

            feed._reading = feed.ReadAsync();
            return feed;
        }
        catch (C2FeedException ex)
        {
            string state = feed.Describe();
            await feed.DisposeAsync();
            throw new InvalidOperationException($"The feed did not start: {ex.Message} {state}", ex);
        }
    }

    /// <summary>
    /// Subscribes; if the connection drops meanwhile (a cold process on a loaded machine can miss the short test
    /// deadlines while it starts), waits for the client's own reconnect and subscribes again.
    /// </summary>
    private async Task SubscribeDuringStartAsync(long strategyId, long resumeFrom)
    {
        for (int attempt = 1; ; attempt++)
        {
            await WaitUntilAsync(() => IsUp, "a connection to subscribe on");
            int disconnects;
            lock (_gate)
            {
                disconnects = _disconnects.Count;
            }

            try
            {
                await Client.SubscribeAsync(C2Channel.Signal, strategyId, resumeFrom: resumeFrom);
                return;
            }
            catch (C2FeedException ex) when (attempt < 5 && ex.Error is C2FeedError.ConnectionLost or C2FeedError.ConnectionNotOpen)
            {
                lock (_gate)
                {
                    _log.Add($"{_clock.ElapsedMilliseconds} ms: start: subscribing {strategyId} failed ({ex.Error}); again on the next connection");
                }

                await WaitUntilAsync(() => DisconnectsTotal > disconnects, "the drop that failed the subscription");
            }
        }
    }

    private int DisconnectsTotal
    {
        get
        {
            lock (_gate)
            {
                return _disconnects.Count;
            }
        }
    }

    /// <summary>The last signal seq_id delivered for <paramref name="strategyId"/> (0 before any).</summary>
    public long LastDelivered(long strategyId)
    {
        lock (_gate)
        {
            return _lastDelivered[strategyId];
        }
    }

    /// <summary>Signals delivered so far, over all strategies.</summary>
    public int SignalCount()
    {
        lock (_gate)
        {
            return _deliveries.Values.Sum(list => list.Count(d => !d.IsGap));
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking after every message and connection event.</summary>
    /// <remarks>Fails the test with the feed's state after <paramref name="timeout"/> (default <see cref="WaitTimeout"/>).</remarks>
    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        if (!await TryWaitUntilAsync(condition, timeout ?? WaitTimeout))
        {
            Assert.Fail($"Timed out waiting for {what}. {Describe()}");
        }
    }

    /// <summary>Like <see cref="WaitUntilAsync"/>, but returns false at the timeout.</summary>
    public async Task<bool> TryWaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task next = Volatile.Read(ref _changed).Task; // taken before the check: a change in between is not missed
            if (condition())
            {
                return true;
            }

            try
            {
                // Re-checked at the next message or connection event, and every 20 ms for state that raises none
                // (client counters, simulator connections).
                await Task.WhenAny(next, Task.Delay(20, cts.Token)).WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Publishes one more signal per strategy until every strategy has delivered its newest one. A single last signal
    /// is not enough when it is published before a resubscription whose replay ends in a <c>gap</c>: the signals past the
    /// replay are then never sent on that subscription, only the ones published after it.
    /// </summary>
    public async Task PublishUntilAllDeliveredAsync(string what)
    {
        DateTime deadline = DateTime.UtcNow + WaitTimeout;
        while (true)
        {
            foreach (long strategyId in _firstExpected.Keys)
            {
                Simulator.PublishSignal(strategyId);
            }

            Dictionary<long, long> targets = _firstExpected.Keys.ToDictionary(s => s, Simulator.GetLastSeqId);
            if (await TryWaitUntilAsync(() => targets.All(t => LastDelivered(t.Key) >= t.Value), TimeSpan.FromMilliseconds(500)))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}. {Describe()}");
        }
    }

    /// <summary>Waits until every strategy has delivered a signal at or beyond its simulator's last seq_id now.</summary>
    public Task WaitForAllPublishedAsync()
    {
        Dictionary<long, long> targets = _firstExpected.Keys.ToDictionary(s => s, Simulator.GetLastSeqId);
        return WaitUntilAsync(() => targets.All(t => LastDelivered(t.Key) >= t.Value), "every published signal");
    }

    /// <summary>
    /// Asserts the delivery guarantee for each strategy up to the simulator's last seq_id: every signal exactly once and
    /// in order, except the signals right after a <c>gap</c> (whose <c>from</c> is the first one not delivered), and a
    /// gap only after a full replay of <paramref name="replayLimit"/> contiguous signals.
    /// </summary>
    /// <returns>How many signals were delivered, how many gaps, and how many signals gaps skipped.</returns>
    public (int Signals, int Gaps, long Skipped) AssertEverySignalOnceInOrderOrGap(int replayLimit, string context)
    {
        int signals = 0;
        int gaps = 0;
        long skipped = 0;
        lock (_gate)
        {
            foreach ((long strategyId, List<Delivery> deliveries) in _deliveries)
            {
                long expected = _firstExpected[strategyId];
                long? gapFrom = null;
                int run = 0; // contiguous signals since the last skip
                for (int i = 0; i < deliveries.Count; i++)
                {
                    Delivery d = deliveries[i];
                    string where = $"strategy {strategyId}, delivery #{i} ({context})";
                    if (d.IsGap)
                    {
                        Assert.True(d.Value == expected, $"{where}: gap from {d.Value}, but the next undelivered signal is {expected}");
                        Assert.True(run >= replayLimit, $"{where}: gap after only {run} contiguous signals (replay limit {replayLimit})");
                        gapFrom = d.Value;
                        gaps++;
                        continue;
                    }

                    Assert.True(d.Value >= expected, $"{where}: signal {d.Value} again or out of order (expected {expected})");
                    if (d.Value > expected)
                    {
                        Assert.True(gapFrom == expected, $"{where}: signals {expected}..{d.Value - 1} lost without a gap");
                        skipped += d.Value - expected;
                        run = 0;
                    }

                    gapFrom = null;
                    expected = d.Value + 1;
                    run++;
                    signals++;
                }

                Assert.True(expected - 1 == Simulator.GetLastSeqId(strategyId), $"strategy {strategyId}: last delivered {expected - 1}, last published {Simulator.GetLastSeqId(strategyId)} ({context})");
            }
        }

        return (signals, gaps, skipped);
    }

    /// <summary>A one-line state summary for failure messages.</summary>
    public string Describe()
    {
        C2FeedStatistics stats = Client.GetStatistics();
        var text = new StringBuilder();
        lock (_gate)
        {
            text.Append($"connects {_connects}, disconnects {_disconnects.Count}, connected {Client.IsConnected}, reconnects {stats.Reconnects}, duplicates discarded {stats.DuplicatesDiscarded}, gaps {stats.Gaps};");
            foreach ((long strategyId, List<Delivery> deliveries) in _deliveries)
            {
                text.Append($" {strategyId}: delivered to {_lastDelivered[strategyId]} of {Simulator.GetLastSeqId(strategyId)};");
            }
        }

        TcpFaultProxyCounters proxy = Proxy.GetCounters();
        text.Append($" client received {stats.MessagesReceived} messages, acked {stats.HeartbeatsAcknowledged} heartbeats;");
        foreach (TcpFaultProxyConnection c in Proxy.Connections)
        {
            TcpFaultProxyCounters k = c.GetCounters();
            text.Append($" proxy connection {c.Id}: up {k.BytesReadUpstream}/{k.BytesUpstream}, down {k.BytesReadDownstream}/{k.BytesDownstream};");
        }

        foreach (C2SimulatorConnection c in Simulator.Connections)
        {
            text.Append($" server connection {c.Id}: {c.SubscriptionCount} subscriptions, {c.MessagesSent} sent, {c.AcksReceived} acks;");
        }

        C2SimulatorCounters server = Simulator.GetCounters();
        text.Append($" proxy accepted {proxy.ConnectionsAccepted}, open {Proxy.Connections.Count}; simulator running {Simulator.IsRunning}, connections {Simulator.Connections.Count}, server closes [{string.Join(", ", server.ServerClosesByCode.Select(c => $"{c.Key}: {c.Value}"))}], acks {server.AcksReceived}, heartbeats {server.HeartbeatsSent}");
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (_output is not null)
        {
            foreach (string line in EventLog)
            {
                _output.WriteLine(line);
            }
        }

        await Client.DisposeAsync();
        await _stopReading.CancelAsync();
        await _reading;
        await Proxy.DisposeAsync();
        await Simulator.DisposeAsync();
        _stopReading.Dispose();
    }

    private async Task ReadAsync()
    {
        try
        {
            await foreach (C2FeedMessage message in Client.ReadAllAsync(_stopReading.Token))
            {
                using (message)
                {
                    long? strategyId = message.StrategyId;
                    Delivery? delivery = message.Type switch
                    {
                        C2MessageType.Signal => new Delivery(false, message.SeqId!.Value),
                        C2MessageType.Gap => new Delivery(true, long.Parse(message.GetGap().From!, System.Globalization.CultureInfo.InvariantCulture)),
                        _ => null,
                    };

                    if (delivery is { } d && strategyId is long id)
                    {
                        Changed(() =>
                        {
                            _deliveries[id].Add(d);
                            if (!d.IsGap)
                            {
                                _lastDelivered[id] = d.Value;
                            }
                        });
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    private void Changed(Action update)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            update();
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    /// <summary>One thing the application received for a strategy: a signal (its seq_id) or a gap (its <c>from</c>).</summary>
    private readonly record struct Delivery(bool IsGap, long Value);
}
