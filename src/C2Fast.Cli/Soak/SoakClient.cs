using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Threading.Channels;
using C2Fast.Simulator;

namespace C2Fast.Cli.Soak;

/// <summary>The settings of the soak's client process.</summary>
internal sealed record SoakClientSettings
{
    public required Uri Uri { get; init; }

    public X509Certificate2? Ca { get; init; }

    public required SoakPlan Plan { get; init; }
}

/// <summary>
/// The client side of <c>c2fast soak</c>, run in a process of its own (<c>c2fast soak-client</c>) so that its
/// working set, threads and handles are its own. A <see cref="C2FeedClient"/> subscribes to signals and positions of
/// every strategy; one consumer per partition checks every signal (<see cref="SoakSequenceChecker"/>) and stalls for
/// seeded random periods, some long enough that backpressure pauses the read loop.
/// </summary>
/// <remarks>
/// Protocol on the standard streams: prints <c>READY</c> once subscribed; reads commands, one per line:
/// <c>STAT</c> (answers <c>STAT {json}</c>), <c>SAMPLE</c> (a full blocking collection first, so the live heap is
/// measured), <c>CALM</c> (ends the current stalls and starts no new one; answers <c>OK</c>), and
/// <c>STOP id=last,…</c> with the last seq_id published per strategy (closes the client, drains, answers
/// <c>RESULT {json}</c>). Events are printed as <c>LOG</c> lines.
/// </remarks>
internal sealed class SoakClient(SoakClientSettings settings, TextWriter output, TextReader input)
{
    private readonly SoakPlan _plan = settings.Plan;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _outputGate = new();
    private readonly Lock _eventGate = new();
    private readonly Dictionary<string, long> _disconnects = [];
    private readonly CancellationTokenSource _calm = new();
    private Consumer[] _consumers = [];
    private C2FeedClient? _client;
    private long _connected;
    private long _reconnecting;
    private long _gapEvents;
    private long _protocolErrors;
    private long _serverErrors;
    private long _dropEvents;
    private long _longestReconnectDelayMs;
    private int _maxAttempt;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var options = new C2FeedOptions
        {
            Endpoint = settings.Uri,
            ApiKey = C2SimulatorOptions.DemoApiKey,
            Connection = new C2ConnectionOptions { TrustedCaCertificate = settings.Ca },
            Heartbeat = new C2HeartbeatOptions { Interval = _plan.HeartbeatInterval, Grace = _plan.HeartbeatGrace },
            Queues = new C2QueueOptions { Partitions = _plan.Partitions, Capacity = _plan.Capacity },
        };
        if (_plan.Reconnect is { } reconnect)
        {
            options = options with { Reconnect = new C2ReconnectOptions { BaseDelay = reconnect.Base, MaxDelay = reconnect.Max, RejectionDelay = reconnect.Rejection } };
        }

        var client = new C2FeedClient(options);
        _client = client;
        await using (client.ConfigureAwait(false))
        {
            Subscribe(client);
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            foreach (long strategy in _plan.Strategies)
            {
                await client.SubscribeAsync(C2Channel.Signal, strategy, cancellationToken: cancellationToken).ConfigureAwait(false);
                await client.SubscribeAsync(C2Channel.Positions, strategy, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            _consumers = [.. Enumerable.Range(0, client.Partitions.Count).Select(p => new Consumer(this, p))];
            Task[] consuming = [.. _consumers.Select(c => Task.Run(() => c.RunAsync(client.Partitions[c.Partition])))];
            _ = client.Completion.ContinueWith(t => Log(t.IsFaulted ? "client completed faulted: " + t.Exception!.InnerException?.Message : "client completed"),
                CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            Write("READY");

            SoakClientResult? result = null;
            while (result is null && await input.ReadLineAsync(cancellationToken).ConfigureAwait(false) is string line)
            {
                string command = line.Trim();
                if (command is "STAT" or "SAMPLE")
                {
                    Write("STAT " + JsonSerializer.Serialize(Stat(client, command == "SAMPLE"), SoakJson.Default.SoakClientStat));
                }
                else if (command == "CALM")
                {
                    await _calm.CancelAsync().ConfigureAwait(false);
                    Write("OK");
                }
                else if (command.StartsWith("STOP", StringComparison.Ordinal))
                {
                    result = await StopAsync(client, ParseLastPublished(command), consuming).ConfigureAwait(false);
                }
            }

            if (result is null)
            {
                return 1; // the parent went away: nothing to report to
            }

            Write("RESULT " + JsonSerializer.Serialize(result, SoakJson.Default.SoakClientResult));
            return result.Status == "ok" ? 0 : 1;
        }
    }

    /// <summary>Parses <c>STOP 101=1234,102=1200</c>.</summary>
    internal static Dictionary<long, long> ParseLastPublished(string command)
    {
        var last = new Dictionary<long, long>();
        string list = command.Length > 4 ? command[4..].Trim() : "";
        foreach (string pair in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = pair.Split('=');
            if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long id)
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long seq))
            {
                last[id] = seq;
            }
        }

        return last;
    }

    private async Task<SoakClientResult> StopAsync(C2FeedClient client, Dictionary<long, long> lastPublished, Task[] consuming)
    {
        string status = "ok";
        await _calm.CancelAsync().ConfigureAwait(false);
        try
        {
            await client.CloseAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            status = "CloseAsync did not finish within 30 s";
        }
        catch (C2FeedException ex)
        {
            Log("close: " + ex.Message);
        }

        try
        {
            await Task.WhenAll(consuming).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            status = status == "ok" ? "the consumers did not drain within 30 s of the close" : status;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            status = "a consumer failed: " + ex;
        }

        var strategies = new List<SoakStrategyResult>();
        foreach (long strategy in _plan.Strategies)
        {
            Consumer consumer = _consumers[(int)(strategy % _consumers.Length)];
            lock (consumer.Gate)
            {
                strategies.Add(consumer.Checker.Finish(strategy, lastPublished.GetValueOrDefault(strategy)));
            }
        }

        lock (_eventGate)
        {
            return new SoakClientResult
            {
                Status = status,
                Strategies = strategies,
                Final = Stat(client, liveHeap: false),
                ConnectedEvents = _connected,
                ReconnectingEvents = _reconnecting,
                Disconnects = new Dictionary<string, long>(_disconnects),
                GapEvents = _gapEvents,
                ProtocolErrorEvents = _protocolErrors,
                ServerErrorEvents = _serverErrors,
                DropEvents = _dropEvents,
                LongestStallMilliseconds = _consumers.Max(c => c.LongestStallMs),
                LongestReconnectDelayMilliseconds = _longestReconnectDelayMs,
                MaxReconnectAttempt = _maxAttempt,
            };
        }
    }

    private SoakClientStat Stat(C2FeedClient client, bool liveHeap)
    {
        long? live = liveHeap ? GC.GetTotalMemory(forceFullCollection: true) : null;
        C2FeedStatistics stats = client.GetStatistics();
        var lastSeqIds = new Dictionary<string, long>();
        var pendingGaps = new List<long>();
        long signals = 0, positions = 0, gaps = 0, shortStalls = 0, longStalls = 0;
        double stalled = 0;
        foreach (Consumer consumer in _consumers)
        {
            lock (consumer.Gate)
            {
                foreach ((long strategy, long seq) in consumer.Checker.LastSeqIds)
                {
                    lastSeqIds[strategy.ToString(CultureInfo.InvariantCulture)] = seq;
                    if (consumer.Checker.HasPendingGap(strategy))
                    {
                        pendingGaps.Add(strategy);
                    }
                }

                signals += consumer.Checker.Delivered;
                positions += consumer.Positions;
                gaps += consumer.Gaps;
                shortStalls += consumer.ShortStalls;
                longStalls += consumer.LongStalls;
                stalled += consumer.StalledSeconds;
            }
        }

        Task completion = client.Completion;
        return new SoakClientStat
        {
            ElapsedSeconds = Math.Round(_clock.Elapsed.TotalSeconds, 3),
            GcLiveHeapBytes = live,
            GcHeapSizeBytes = GC.GetGCMemoryInfo().HeapSizeBytes,
            GcAllocatedBytes = GC.GetTotalAllocatedBytes(),
            Gen0 = GC.CollectionCount(0),
            Gen1 = GC.CollectionCount(1),
            Gen2 = GC.CollectionCount(2),
            ThreadPoolThreads = ThreadPool.ThreadCount,
            Connected = client.IsConnected,
            SignalsDelivered = signals,
            PositionsDelivered = positions,
            GapsDelivered = gaps,
            LastSeqIds = lastSeqIds,
            PendingGaps = pendingGaps,
            MessagesReceived = stats.MessagesReceived,
            MessagesDelivered = stats.MessagesDelivered,
            HeartbeatsReceived = stats.HeartbeatsReceived,
            HeartbeatsAcknowledged = stats.HeartbeatsAcknowledged,
            PausedAcks = stats.PausedAcks,
            BackpressurePauses = stats.BackpressurePauses,
            Reconnects = stats.Reconnects,
            DuplicatesDiscarded = stats.DuplicatesDiscarded,
            MessagesDropped = stats.MessagesDropped,
            QueuedMessages = stats.QueuedMessages,
            ShortStalls = shortStalls,
            LongStalls = longStalls,
            StalledSeconds = Math.Round(stalled, 3),
            Completion = !completion.IsCompleted ? "running" : completion.IsFaulted ? "faulted: " + completion.Exception!.InnerException?.Message : "completed",
        };
    }

    private void Subscribe(C2FeedClient client)
    {
        client.Connected += (_, e) =>
        {
            Count(ref _connected);
            Log($"connected ({e.ConnectionId})");
        };
        client.Disconnected += (_, e) =>
        {
            string reason = e.Error is null ? "closed" : e.Error.Error.ToString();
            if (e.CloseStatus is int code)
            {
                reason += " " + code.ToString(CultureInfo.InvariantCulture);
            }

            lock (_eventGate)
            {
                _disconnects[reason] = _disconnects.GetValueOrDefault(reason) + 1;
            }

            Log($"disconnected: {reason}{(e.Error is null ? "" : " (" + e.Error.Message + ")")}");
        };
        client.Reconnecting += (_, e) =>
        {
            lock (_eventGate)
            {
                _reconnecting++;
                _longestReconnectDelayMs = Math.Max(_longestReconnectDelayMs, (long)e.Delay.TotalMilliseconds);
                _maxAttempt = Math.Max(_maxAttempt, e.Attempt);
            }

            Log(string.Create(CultureInfo.InvariantCulture, $"reconnecting: attempt {e.Attempt} in {e.Delay.TotalSeconds:0.000} s after {e.LastError?.Error}"));
        };
        client.GapDetected += (_, e) =>
        {
            Count(ref _gapEvents);
            Log($"gap on {e.StrategyId}: from {e.Gap.From} ({e.Gap.Message})");
        };
        client.ProtocolError += (_, e) =>
        {
            Count(ref _protocolErrors);
            Log("protocol error: " + e.Reason);
        };
        client.ServerError += (_, e) =>
        {
            Count(ref _serverErrors);
            Log("server error: " + string.Join("; ", e.Errors.Select(x => $"{x.Code} {x.Field} {x.Message}")));
        };
        client.MessagesDropped += (_, e) =>
        {
            Count(ref _dropEvents);
            Log($"messages dropped: {e.TotalDropped} ({e.SignalsDropped} signals)");
        };
    }

    private void Count(ref long counter)
    {
        lock (_eventGate)
        {
            counter++;
        }
    }

    private void Log(string text) => Write(string.Create(CultureInfo.InvariantCulture, $"LOG {_clock.Elapsed.TotalSeconds:0.000} {text}"));

    private void Write(string line)
    {
        lock (_outputGate)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    /// <summary>One partition's consumer: checks order, counts, and stalls on its seeded schedule.</summary>
    private sealed class Consumer(SoakClient owner, int partition)
    {
        private readonly SoakStallSchedule _schedule = new(owner._plan.StallSeed(partition), owner._plan.StallSettings(partition));

        public int Partition => partition;

        public Lock Gate { get; } = new();

        public SoakSequenceChecker Checker { get; } = new();

        public long Positions;
        public long Gaps;
        public long ShortStalls;
        public long LongStalls;
        public double StalledSeconds;
        public long LongestStallMs;

        public async Task RunAsync(ChannelReader<C2FeedMessage> reader)
        {
            SoakStall stall = _schedule.Next();
            TimeSpan stallAt = owner._clock.Elapsed + stall.After;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out C2FeedMessage message))
                {
                    using (message)
                    {
                        Handle(message);
                    }

                    if (!owner._calm.IsCancellationRequested && owner._clock.Elapsed >= stallAt)
                    {
                        await StallAsync(stall).ConfigureAwait(false);
                        stall = _schedule.Next();
                        stallAt = owner._clock.Elapsed + stall.After;
                    }
                }
            }
        }

        private void Handle(C2FeedMessage message)
        {
            lock (Gate)
            {
                switch (message.Type)
                {
                    case C2MessageType.Signal when message.StrategyId is long strategy && message.SeqId is long seq:
                        Checker.OnSignal(strategy, seq);
                        break;
                    case C2MessageType.Gap:
                        C2Gap gap = message.GetGap();
                        long? id = message.StrategyId ?? gap.StrategyId ?? ChannelStrategy(gap.Channel);
                        long? from = long.TryParse(gap.From, NumberStyles.None, CultureInfo.InvariantCulture, out long f) ? f : null;
                        Gaps++;
                        if (id is long gapStrategy)
                        {
                            Checker.OnGap(gapStrategy, from);
                        }

                        break;
                    case C2MessageType.Positions:
                        Positions++;
                        break;
                }
            }
        }

        private async Task StallAsync(SoakStall stall)
        {
            if (stall.Long)
            {
                owner.Log(string.Create(CultureInfo.InvariantCulture, $"consumer {partition}: long stall of {stall.Duration.TotalSeconds:0.0} s"));
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                await Task.Delay(stall.Duration, owner._calm.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // CALM: the run is over, the consumer drains.
            }

            TimeSpan stalled = Stopwatch.GetElapsedTime(started);
            lock (Gate)
            {
                if (stall.Long)
                {
                    LongStalls++;
                }
                else
                {
                    ShortStalls++;
                }

                StalledSeconds += stalled.TotalSeconds;
                LongestStallMs = Math.Max(LongestStallMs, (long)stalled.TotalMilliseconds);
            }

            if (stall.Long)
            {
                owner.Log(string.Create(CultureInfo.InvariantCulture, $"consumer {partition}: long stall over after {stalled.TotalSeconds:0.0} s"));
            }
        }

        private static long? ChannelStrategy(string? channel)
        {
            int colon = channel?.LastIndexOf(':') ?? -1;
            return colon >= 0 && long.TryParse(channel.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long id) ? id : null;
        }
    }
}
