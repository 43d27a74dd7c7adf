using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using C2Fast.Cli.Bench;
using C2Fast.Simulator;

namespace C2Fast.Cli.Soak;

/// <summary>
/// Runs a soak: the simulator here (real Kestrel), the client in a child process; publishes signals at the planned
/// rate, injects the seeded faults one after the other, samples the client process, then drains, stops the client and
/// judges (see <see cref="SoakJudge"/>).
/// </summary>
internal sealed class SoakRunner(SoakPlan plan, TextWriter log)
{
    private readonly Stopwatch _clock = new();
    private readonly Lock _logGate = new();
    private readonly ConcurrentQueue<EndedConnection> _ended = new();
    private readonly List<SoakFaultRecord> _faults = [];
    private int _faultsInjected;

    /// <summary>What the simulator knew about one connection when it ended.</summary>
    internal sealed record EndedConnection(long Id, long HeartbeatsSent, long HeartbeatsAcked, TimeSpan? UnackedAge, int CloseCode);

    public async Task<SoakReport> RunAsync(CancellationToken cancellationToken)
    {
        string startedAt = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        IReadOnlyList<SoakFault> schedule = SoakFaultSchedule.Create(plan.Seed, plan.Faults, plan.Duration);
        var simulator = new C2Simulator(new C2SimulatorOptions
        {
            UseTls = plan.Transport == "wss",
            Strategies = plan.Strategies,
            HeartbeatInterval = plan.HeartbeatInterval,
            HeartbeatGrace = plan.HeartbeatGrace,
            PositionsInterval = plan.PositionsInterval,
            ShutdownTimeout = TimeSpan.FromSeconds(1),
            CloseHandshakeTimeout = plan.Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(2),
            RandomSeed = plan.Seed,
        });
        simulator.ConnectionEnded += (_, c) => _ended.Enqueue(new EndedConnection(c.Id, c.HeartbeatsSent, c.HeartbeatsAcked, c.UnackedHeartbeatAge, c.CloseCode));
        string? caPath = null;
        var samples = new List<SoakSample>();
        var failures = new List<string>();
        SoakClientResult? result = null;
        Dictionary<long, long> lastPublished = [];
        bool caughtUp = false;
        TimeSpan drain = TimeSpan.Zero;
        int exitCode = 0;
        try
        {
            await simulator.StartAsync(cancellationToken).ConfigureAwait(false);
            if (simulator.CaCertificatePem is { } pem)
            {
                caPath = Path.Combine(Path.GetTempPath(), $"c2fast-soak-ca-{Environment.ProcessId}-{simulator.Port}.pem");
                await File.WriteAllTextAsync(caPath, pem, cancellationToken).ConfigureAwait(false);
            }

            Log($"simulator on {simulator.Uri}; {schedule.Count} faults planned (seed {plan.Seed}); heartbeat {Seconds(plan.HeartbeatInterval)} s + {Seconds(plan.HeartbeatGrace)} s grace; {plan.Strategies.Count} strategies × {plan.SignalRate.ToString(CultureInfo.InvariantCulture)} signals/s; {Seconds(plan.Duration)} s");
            (string fileName, List<string> arguments) = BenchRunner.SelfInvocation();
            arguments.AddRange(SoakClientArguments(simulator.Uri!, caPath));
            SoakChild child = SoakChild.Start(fileName, arguments, line =>
            {
                if (plan.Verbose)
                {
                    Log("client " + line);
                }
            });
            await using (child.ConfigureAwait(false))
            {
                try
                {
                    await child.WaitReadyAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
                    Log($"client process {child.Id} subscribed");
                    _clock.Start();
                    using var stopRun = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    Task publishing = PublishAsync(simulator, stopRun.Token);
                    Task faulting = FaultAsync(simulator, schedule, stopRun.Token);
                    try
                    {
                        for (int k = 0; ; k++)
                        {
                            TimeSpan at = plan.SampleInterval * k;
                            if (at > plan.Duration)
                            {
                                break;
                            }

                            await DelayUntilAsync(at, cancellationToken).ConfigureAwait(false);
                            samples.Add(await SampleAsync(child, simulator, "run", cancellationToken).ConfigureAwait(false));
                            Log(Describe(samples[^1]));
                        }

                        await DelayUntilAsync(plan.Duration, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        await stopRun.CancelAsync().ConfigureAwait(false);
                        await publishing.ConfigureAwait(false);
                        await faulting.ConfigureAwait(false);
                    }

                    if (!simulator.IsRunning)
                    {
                        await simulator.StartAsync(cancellationToken).ConfigureAwait(false);
                    }

                    lastPublished = plan.Strategies.ToDictionary(s => s, simulator.GetLastSeqId);
                    Log($"run over: {lastPublished.Values.Sum()} signals published, {_faultsInjected} faults injected; draining (up to {Seconds(plan.DrainTimeout)} s)");
                    await child.CalmAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                    var drainClock = Stopwatch.StartNew();
                    SoakClientStat stat;
                    while (true)
                    {
                        stat = await child.StatAsync(sample: false, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                        caughtUp = CaughtUp(stat, lastPublished, strategy => GapsThrough(simulator, strategy));
                        if (caughtUp || drainClock.Elapsed >= plan.DrainTimeout)
                        {
                            break;
                        }

                        await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
                    }

                    drain = drainClock.Elapsed;
                    Log(caughtUp
                        ? $"drained in {drain.TotalSeconds:0.0} s"
                        : $"NOT caught up after {drain.TotalSeconds:0.0} s: delivered up to {string.Join(", ", stat.LastSeqIds.Select(p => p.Key + "=" + p.Value))}, published {string.Join(", ", lastPublished.Select(p => p.Key + "=" + p.Value))}, connected {stat.Connected}, queued {stat.QueuedMessages}, client {stat.Completion}");
                    samples.Add(await SampleAsync(child, simulator, "end", cancellationToken).ConfigureAwait(false));
                    result = await child.StopAsync(lastPublished, TimeSpan.FromSeconds(90), cancellationToken).ConfigureAwait(false);
                    exitCode = await child.WaitExitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                }
                catch (SoakFailure ex)
                {
                    failures.Add("soak aborted: " + ex.Message);
                    Log("ABORTED: " + ex.Message);
                }
            }
        }
        finally
        {
            // Every connection ends (and is accounted for) before the figures are read.
            await simulator.DisposeAsync().ConfigureAwait(false);
            if (caPath is not null)
            {
                File.Delete(caPath);
            }
        }

        return Build(startedAt, simulator, samples, failures, result, lastPublished, caughtUp, drain, exitCode);
    }

    private SoakReport Build(string startedAt, C2Simulator simulator, List<SoakSample> samples, List<string> failures, SoakClientResult? result,
        Dictionary<long, long> lastPublished, bool caughtUp, TimeSpan drain, int exitCode)
    {
        C2SimulatorCounters counters = simulator.GetCounters();
        List<EndedConnection> ended = [.. _ended];
        SoakHeartbeatSummary heartbeats = SoakJudge.Heartbeats(ended, counters, plan.AckAllowance, result?.Final);
        List<SoakSample> run = [.. samples.Where(s => s.Phase == "run")];
        List<SoakFlatResult> flatness =
        [
            // A sample with no reading (0: /proc had none, or the client did not answer) is left out, never taken as flat.
            SoakFlatness.Judge([.. run.Where(s => s.WorkingSetBytes > 0).Select(s => (At(s), (double)s.WorkingSetBytes))], plan.Duration, SoakFlatRule.WorkingSet, plan.JudgeFlatness),
            SoakFlatness.Judge([.. run.Where(s => s.GcLiveHeapBytes > 0).Select(s => (At(s), (double)s.GcLiveHeapBytes))], plan.Duration, SoakFlatRule.GcHeap, plan.JudgeFlatness),
            SoakFlatness.Judge([.. run.Where(s => s.Threads > 0).Select(s => (At(s), (double)s.Threads))], plan.Duration, SoakFlatRule.Threads, plan.JudgeFlatness),
            SoakFlatness.Judge([.. run.Where(s => s.Handles > 0).Select(s => (At(s), (double)s.Handles))], plan.Duration, SoakFlatRule.Handles, plan.JudgeFlatness),
        ];
        List<SoakStrategyResult> signals = result?.Strategies ?? [];
        SoakClientStat? final = result?.Final;
        var connections = new SoakConnectionSummary
        {
            Accepted = counters.ConnectionsAccepted,
            Ended = ended.Count,
            ClientReconnects = final?.Reconnects ?? 0,
            ServerStarts = simulator.Starts,
            ServerClosesByCode = counters.ServerClosesByCode.ToDictionary(p => p.Key.ToString(CultureInfo.InvariantCulture), p => p.Value),
            ClientClosesByCode = counters.ClientClosesByCode.ToDictionary(p => p.Key.ToString(CultureInfo.InvariantCulture), p => p.Value),
            Drops = counters.Drops,
            Resets = counters.Resets,
            Rejected503 = counters.Rejected503,
            InternalErrors = counters.InternalErrors,
            LastInternalError = counters.LastInternalError,
            ClientDisconnects = result?.Disconnects ?? [],
            LongestReconnectDelayMilliseconds = result?.LongestReconnectDelayMilliseconds ?? 0,
            MaxReconnectAttempt = result?.MaxReconnectAttempt ?? 0,
        };
        (List<string> verdictFailures, List<string> warnings) = SoakJudge.Judge(new SoakJudge.Inputs
        {
            Signals = signals,
            Heartbeats = heartbeats,
            Flatness = flatness,
            Client = result,
            ClientExitCode = exitCode,
            CaughtUp = caughtUp,
            DrainTimeout = plan.DrainTimeout,
            InternalErrors = counters.InternalErrors,
            LastInternalError = counters.LastInternalError,
            ConnectionsAccepted = counters.ConnectionsAccepted,
            ConnectionsEnded = ended.Count,
            Faults = _faults,
            JudgeFlatness = plan.JudgeFlatness,
            GapsSent = plan.Strategies.ToDictionary(s => s, simulator.GetGapsSent),
        });
        failures.AddRange(verdictFailures);
        return new SoakReport
        {
            CommandLine = plan.CommandLine,
            Seed = plan.Seed,
            StartedAt = startedAt,
            Machine = BenchMachineInfo.Read(),
            Settings = new SoakReportSettings
            {
                DurationSeconds = plan.Duration.TotalSeconds,
                HeartbeatIntervalSeconds = plan.HeartbeatInterval.TotalSeconds,
                HeartbeatGraceSeconds = plan.HeartbeatGrace.TotalSeconds,
                SignalRate = plan.SignalRate,
                Strategies = [.. plan.Strategies],
                SampleIntervalSeconds = plan.SampleInterval.TotalSeconds,
                Transport = plan.Transport,
                Partitions = plan.Partitions,
                Capacity = plan.Capacity,
                FaultEverySeconds = plan.Faults.MeanGap.TotalSeconds,
                FaultKinds = [.. plan.Faults.Kinds.Select(SoakFaultKinds.Name)],
                ConsumerStallEverySeconds = plan.ConsumerStallEvery.TotalSeconds,
                AckAllowanceSeconds = plan.AckAllowance.TotalSeconds,
                DrainTimeoutSeconds = plan.DrainTimeout.TotalSeconds,
                Quick = plan.Quick,
                JudgeFlatness = plan.JudgeFlatness,
            },
            DurationSeconds = Math.Round(_clock.IsRunning ? Math.Min(_clock.Elapsed.TotalSeconds, plan.Duration.TotalSeconds) : 0, 3),
            DrainSeconds = Math.Round(drain.TotalSeconds, 3),
            CaughtUp = caughtUp,
            Faults = [.. _faults],
            FaultsByKind = _faults.Where(f => f.Status == "injected").GroupBy(f => f.Kind).ToDictionary(g => g.Key, g => g.Count()),
            FaultsSkipped = _faults.Count(f => f.Status != "injected"),
            Signals = signals,
            SignalTotals = new SoakSignalTotals
            {
                Published = lastPublished.Count > 0 ? signals.Sum(s => s.Published) : 0,
                Delivered = signals.Sum(s => s.Delivered),
                Duplicates = signals.Sum(s => s.Duplicates),
                Reordered = signals.Sum(s => s.Reordered),
                Missing = signals.Sum(s => s.Missing),
                Gaps = signals.Sum(s => s.Gaps),
                LostToGaps = signals.Sum(s => s.LostToGaps),
                ReplayedByServer = counters.SignalsReplayed,
                DuplicatesDiscardedByClient = final?.DuplicatesDiscarded ?? 0,
            },
            Heartbeats = heartbeats,
            Connections = connections,
            Consumers = new SoakConsumerSummary
            {
                ShortStalls = final?.ShortStalls ?? 0,
                LongStalls = final?.LongStalls ?? 0,
                StalledSeconds = final?.StalledSeconds ?? 0,
                LongestStallMilliseconds = result?.LongestStallMilliseconds ?? 0,
                BackpressurePauses = final?.BackpressurePauses ?? 0,
                PausedAcks = final?.PausedAcks ?? 0,
            },
            Samples = samples,
            Flatness = flatness,
            Client = result,
            Warnings = warnings,
            Verdict = new SoakVerdict { Ok = failures.Count == 0, Failures = failures },
        };
    }

    private static TimeSpan At(SoakSample sample) => TimeSpan.FromSeconds(sample.AtSeconds);

    /// <summary>
    /// Every strategy delivered up to its last published seq_id, or has a gap pending and the server declared a gap
    /// through the last one (<paramref name="gapsThrough"/>: the highest <see cref="C2SimulatorGap.Through"/> of a
    /// strategy, 0 for none): a pending gap alone excuses nothing.
    /// </summary>
    internal static bool CaughtUp(SoakClientStat stat, IReadOnlyDictionary<long, long> lastPublished, Func<long, long> gapsThrough) =>
        lastPublished.All(p => (stat.PendingGaps.Contains(p.Key) && gapsThrough(p.Key) >= p.Value)
            || (stat.LastSeqIds.TryGetValue(p.Key.ToString(CultureInfo.InvariantCulture), out long last) && last >= p.Value)
            || p.Value == 0);

    private static long GapsThrough(C2Simulator simulator, long strategyId)
        => simulator.GetGapsSent(strategyId).Select(g => g.Through).DefaultIfEmpty(0).Max();

    private IEnumerable<string> SoakClientArguments(Uri uri, string? caPath)
    {
        List<string> arguments =
        [
            "soak-client", "--url", uri.ToString(),
            "--strategies", string.Join(',', plan.Strategies),
            "--seed", plan.Seed.ToString(CultureInfo.InvariantCulture),
            "--heartbeat-interval", Seconds(plan.HeartbeatInterval),
            "--heartbeat-grace", Seconds(plan.HeartbeatGrace),
            "--signal-rate", plan.SignalRate.ToString("R", CultureInfo.InvariantCulture),
            "--partitions", plan.Partitions.ToString(CultureInfo.InvariantCulture),
            "--capacity", plan.Capacity.ToString(CultureInfo.InvariantCulture),
            "--stall-every", Seconds(plan.ConsumerStallEvery),
            "--short-stall-max", Seconds(plan.ShortStallMax),
            "--long-stall-every", plan.LongStallEvery.ToString(CultureInfo.InvariantCulture),
        ];
        if (caPath is not null)
        {
            arguments.AddRange(["--ca", caPath]);
        }

        if (plan.Reconnect is { } reconnect)
        {
            arguments.AddRange(["--reconnect-base", Seconds(reconnect.Base), "--reconnect-max", Seconds(reconnect.Max), "--rejection-delay", Seconds(reconnect.Rejection)]);
        }

        return arguments;
    }

    private async Task PublishAsync(C2Simulator simulator, CancellationToken cancellationToken)
    {
        long published = 0;
        TimeSpan period = TimeSpan.FromMilliseconds(Math.Clamp(1000 / plan.SignalRate, 10, 200));
        while (!cancellationToken.IsCancellationRequested)
        {
            long due = (long)(_clock.Elapsed.TotalSeconds * plan.SignalRate);
            for (; published < due; published++)
            {
                foreach (long strategy in plan.Strategies)
                {
                    simulator.PublishSignal(strategy);
                }
            }

            try
            {
                await Task.Delay(period, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Injects the schedule's faults one at a time: wait the planned pause, wait for a live subscribed connection
    /// (the fault is skipped if none comes within <see cref="SoakPlan.LiveWait"/>), inject, then wait for its effect
    /// (the connection's end, the stall's end, the restart) before the next pause.
    /// </summary>
    private async Task FaultAsync(C2Simulator simulator, IReadOnlyList<SoakFault> schedule, CancellationToken cancellationToken)
    {
        try
        {
            foreach (SoakFault fault in schedule)
            {
                await Task.Delay(fault.After, cancellationToken).ConfigureAwait(false);
                C2SimulatorConnection? live = await WaitLiveAsync(simulator, cancellationToken).ConfigureAwait(false);
                if (live is null && fault.Kind != SoakFaultKind.Restart)
                {
                    Record(fault, $"skipped (no live subscribed connection within {Seconds(plan.LiveWait)} s)", null, null, null, null);
                    continue;
                }

                TimeSpan at = _clock.Elapsed;
                Interlocked.Increment(ref _faultsInjected);
                (TimeSpan effect, string outcome) = await InjectAsync(simulator, fault, live, cancellationToken).ConfigureAwait(false);
                Record(fault, "injected", at, live?.Id, effect, outcome);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is over.
        }
    }

    private async Task<(TimeSpan Effect, string Outcome)> InjectAsync(C2Simulator simulator, SoakFault fault, C2SimulatorConnection? live, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        switch (fault.Kind)
        {
            case SoakFaultKind.Cut:
                live!.Drop();
                return await EndedAsync(live, TimeSpan.FromSeconds(10), "TCP closed without a close frame").ConfigureAwait(false);
            case SoakFaultKind.Reset:
                live!.Reset();
                return await EndedAsync(live, TimeSpan.FromSeconds(10), "TCP reset").ConfigureAwait(false);
            case SoakFaultKind.Close1008:
                live!.Close(1008, "soak: policy violation");
                return await EndedAsync(live, TimeSpan.FromSeconds(10), "closed 1008").ConfigureAwait(false);
            case SoakFaultKind.Stall:
                live!.Stall(fault.Duration);
                await Task.WhenAny(live.Completion, Task.Delay(fault.Duration + TimeSpan.FromSeconds(1), cancellationToken)).ConfigureAwait(false);
                return (Stopwatch.GetElapsedTime(started), RunEnded(live, cancellationToken) ? $"the run ended during the {Seconds(fault.Duration)} s stall" : live.Completion.IsCompleted
                    ? $"the connection ended during a {Seconds(fault.Duration)} s stall, shorter than the {Seconds(plan.SilenceTimeout)} s silence timeout"
                    : $"stalled {Seconds(fault.Duration)} s; the connection survived");
            case SoakFaultKind.LongStall:
                live!.Stall(fault.Duration);
                await Task.WhenAny(live.Completion, Task.Delay(fault.Duration + TimeSpan.FromSeconds(1), cancellationToken)).ConfigureAwait(false);
                TimeSpan effect = Stopwatch.GetElapsedTime(started);
                return (effect, RunEnded(live, cancellationToken) ? $"the run ended during the {Seconds(fault.Duration)} s stall" : live.Completion.IsCompleted
                    ? $"stalled {Seconds(fault.Duration)} s; the client gave the connection up after {effect.TotalSeconds:0.0} s"
                    : $"stalled {Seconds(fault.Duration)} s; the connection outlived the stall (the read loop may have been paused by a consumer stall)");
            default:
                // The restart is not cancelled halfway: the run must end with the server up.
                await simulator.RestartAsync(fault.Duration, CancellationToken.None).ConfigureAwait(false);
                return (Stopwatch.GetElapsedTime(started), $"restarted after {Seconds(fault.Duration)} s down (start {simulator.Starts})");
        }
    }

    private static bool RunEnded(C2SimulatorConnection connection, CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested && !connection.Completion.IsCompleted;

    private static async Task<(TimeSpan, string)> EndedAsync(C2SimulatorConnection connection, TimeSpan limit, string what)
    {
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAny(connection.Completion, Task.Delay(limit, CancellationToken.None)).ConfigureAwait(false);
        TimeSpan effect = Stopwatch.GetElapsedTime(started);
        return (effect, connection.Completion.IsCompleted ? $"{what}; connection ended" : $"{what}; the connection had not ended after {limit.TotalSeconds:0} s");
    }

    private async Task<C2SimulatorConnection?> WaitLiveAsync(C2Simulator simulator, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (simulator.IsRunning && simulator.Connections.LastOrDefault(c => !c.Completion.IsCompleted && c.SubscriptionCount > 0) is { } live)
            {
                return live;
            }

            if (waited.Elapsed >= plan.LiveWait)
            {
                return null;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }
    }

    private void Record(SoakFault fault, string status, TimeSpan? at, long? connection, TimeSpan? effect, string? outcome)
    {
        var record = new SoakFaultRecord
        {
            Index = fault.Index,
            Kind = SoakFaultKinds.Name(fault.Kind),
            PlannedAfterSeconds = fault.After.TotalSeconds,
            DurationSeconds = fault.Duration.TotalSeconds,
            Status = status,
            AtSeconds = at is { } a ? Math.Round(a.TotalSeconds, 3) : null,
            ConnectionId = connection,
            EffectSeconds = effect is { } e ? Math.Round(e.TotalSeconds, 3) : null,
            Outcome = outcome,
        };
        lock (_faults)
        {
            _faults.Add(record);
        }

        Log($"fault {fault.Index} {record.Kind}{(fault.Duration > TimeSpan.Zero ? " " + Seconds(fault.Duration) + " s" : "")}{(connection is null ? "" : " on connection " + connection)}: {status}{(outcome is null ? "" : ": " + outcome)}");
    }

    private async Task<SoakSample> SampleAsync(SoakChild child, C2Simulator simulator, string phase, CancellationToken cancellationToken)
    {
        double at = Math.Round(_clock.Elapsed.TotalSeconds, 3);
        SoakProcessSample? process = SoakProcessSampler.Read(child.Id);
        SoakClientStat stat = await child.StatAsync(sample: true, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        C2SimulatorCounters counters = simulator.GetCounters();
        return new SoakSample
        {
            AtSeconds = at,
            Phase = phase,
            WorkingSetBytes = process?.WorkingSetBytes ?? 0,
            PeakWorkingSetBytes = process?.PeakWorkingSetBytes ?? 0,
            Threads = process?.Threads ?? 0,
            Handles = process?.Handles ?? 0,
            GcLiveHeapBytes = stat.GcLiveHeapBytes ?? 0,
            GcHeapSizeBytes = stat.GcHeapSizeBytes,
            Gen2 = stat.Gen2,
            SignalsDelivered = stat.SignalsDelivered,
            MessagesReceived = stat.MessagesReceived,
            Reconnects = stat.Reconnects,
            PausedAcks = stat.PausedAcks,
            BackpressurePauses = stat.BackpressurePauses,
            Connected = stat.Connected,
            FaultsInjected = Volatile.Read(ref _faultsInjected),
            ServerHeartbeatsSent = counters.HeartbeatsSent,
            ServerHeartbeatsAcked = counters.HeartbeatsAcked,
        };
    }

    private static string Describe(SoakSample s) => string.Create(CultureInfo.InvariantCulture,
        $"sample {s.AtSeconds,7:0.0}s  ws {s.WorkingSetBytes / SoakFlatRule.MiB,6:0.0} MiB  heap {s.GcLiveHeapBytes / SoakFlatRule.MiB,5:0.0} MiB  threads {s.Threads,3}  fds {s.Handles,3}  signals {s.SignalsDelivered,8}  reconnects {s.Reconnects,4}  faults {s.FaultsInjected,3}  heartbeats acked {s.ServerHeartbeatsAcked}/{s.ServerHeartbeatsSent}  paused acks {s.PausedAcks}");

    private async Task DelayUntilAsync(TimeSpan at, CancellationToken cancellationToken)
    {
        TimeSpan wait = at - _clock.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Log(string text)
    {
        lock (_logGate)
        {
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,8:0.0}s] {text}"));
            log.Flush();
        }
    }

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
}
