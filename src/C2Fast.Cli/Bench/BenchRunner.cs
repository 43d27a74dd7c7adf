using System.Diagnostics;
using System.Globalization;
using C2Fast.Simulator;

namespace C2Fast.Cli.Bench;

/// <summary>
/// Runs the plan: for each transport and mix, each round floods every client in turn (a fresh simulator per run,
/// the client in a child process), then idle round trips, then C2Fast with a stalled consumer; and builds the report.
/// </summary>
internal sealed class BenchRunner(BenchPlan plan, TextWriter log, string scriptDirectory)
{
    /// <summary>Heartbeats never come from the simulator's timer during a flood run: only the mix's, so counts are exact.</summary>
    private static readonly TimeSpan FloodHeartbeatInterval = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan QuietBeforeFlood = TimeSpan.FromMilliseconds(100);

    private readonly Dictionary<(BenchMix, long, long), C2FloodResult> _previews = [];

    public async Task<BenchReport> RunAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var runs = new List<BenchRun>();
        var failures = new List<string>();
        foreach (string transport in plan.Transports)
        {
            foreach (BenchMix mix in plan.Mixes)
            {
                for (int round = 0; round < plan.Rounds; round++)
                {
                    IReadOnlyList<BenchClientKind> order = BenchClients.OrderForRound(plan.Clients, round);
                    for (int position = 0; position < order.Count; position++)
                    {
                        BenchRun run = await FloodRunAsync(order[position], mix, transport, round, position, cancellationToken).ConfigureAwait(false);
                        runs.Add(run);
                        await log.WriteLineAsync(Describe(run)).ConfigureAwait(false);
                        if (run.Status == "FAILED")
                        {
                            failures.Add($"{run.Client} {run.Mix} {run.Transport} round {run.Round + 1}: {run.Error}");
                        }
                    }
                }
            }
        }

        var rtt = new List<BenchRttRow>();
        foreach (string transport in plan.Transports)
        {
            foreach (BenchClientKind client in plan.Clients.Where(BenchClients.AcksHeartbeats))
            {
                BenchRttRow row = await IdleRunAsync(client, transport, cancellationToken).ConfigureAwait(false);
                rtt.Add(row);
                await log.WriteLineAsync($"[{transport} idle] {row.Client}: {row.Status} {Format(row.Latency)} acked {row.HeartbeatsAcked}/{row.HeartbeatsSent}").ConfigureAwait(false);
                if (row.Status != "ok" && !row.Status.StartsWith("skipped", StringComparison.Ordinal))
                {
                    failures.Add($"{row.Client} idle {transport}: {row.Status}");
                }
            }
        }

        var stalls = new List<BenchStallResult>();
        if (plan.Clients.Contains(BenchClientKind.C2Fast))
        {
            // Each transport twice: a freshly started client, then one warmed up by a fast-consumer flood first.
            foreach (string transport in plan.Transports)
            {
                foreach (long warmup in new[] { 0, plan.StallWarmupMessages })
                {
                    BenchStallResult stall = await StallRunAsync(transport, warmup, runs, cancellationToken).ConfigureAwait(false);
                    stalls.Add(stall);
                    await log.WriteLineAsync($"[{transport} stalled, {StallStart(stall)}] c2fast: {stall.Status} {Format(stall.StalledRoundTrip)} acked {stall.HeartbeatsAcked}/{stall.HeartbeatsSent}{(stall.Error is null ? "" : " " + stall.Error)}").ConfigureAwait(false);
                    if (stall.Status != "ok")
                    {
                        failures.Add($"c2fast stalled {transport} ({StallStart(stall)}): {stall.Error}");
                    }
                }
            }
        }

        List<BenchRow> rows = BenchAggregator.Rows(runs, plan, PythonSkipReason());
        rtt.AddRange(BenchAggregator.FloodRoundTrips(rows));
        rtt.AddRange(stalls.Select(s => new BenchRttRow("c2fast", s.Transport, StalledState(s), "typical", s.StalledRoundTrip, s.HeartbeatsSent, s.HeartbeatsAcked, s.Status)));
        return new BenchReport
        {
            Machine = BenchMachineInfo.Read(),
            Settings = new BenchSettings
            {
                CommandLine = plan.CommandLine,
                Rounds = plan.Rounds,
                Quick = plan.Quick,
                Mixes = [.. plan.Mixes.Select(BenchMixes.Name)],
                Transports = plan.Transports,
                Clients = [.. plan.Clients.Select(BenchClients.Name)],
                Messages = plan.Mixes.ToDictionary(BenchMixes.Name, plan.MessagesFor),
                Python = plan.Python is null ? $"skipped ({plan.PythonStatus})" : plan.PythonStatus,
                IdleHeartbeats = plan.IdleHeartbeats,
                IdleHeartbeatIntervalMs = plan.IdleHeartbeatInterval.TotalMilliseconds,
            },
            Basis = BenchAggregator.Basis,
            Rows = rows,
            HeartbeatRoundTrips = rtt,
            StalledConsumer = stalls,
            Targets = BenchAggregator.Targets(rows, stalls),
            Runs = runs,
            Failures = failures,
            Notes = BenchAggregator.ShortWindowNotes(runs, BenchAggregator.ShortWindow),
            TotalSeconds = clock.Elapsed.TotalSeconds,
        };
    }

    private string? PythonSkipReason() => plan.Python is null ? $"skipped ({plan.PythonStatus})" : null;

    // A flood that follows another on the same connection continues its seq_ids, whose digits change the bytes.
    private C2FloodResult Preview(BenchMix mix, long messages, long firstSeqId = 1)
    {
        if (!_previews.TryGetValue((mix, messages, firstSeqId), out C2FloodResult? preview))
        {
            preview = BenchMixes.Flood(mix, messages).Preview(firstSeqId, new C2SimulatorOptions().RandomSeed);
            _previews[(mix, messages, firstSeqId)] = preview;
        }

        return preview;
    }

    private async Task<BenchRun> FloodRunAsync(BenchClientKind client, BenchMix mix, string transport, int round, int position, CancellationToken cancellationToken)
    {
        long messages = plan.MessagesFor(mix);
        var run = new BenchRun
        {
            Client = BenchClients.Name(client), Mix = BenchMixes.Name(mix), Transport = transport, Round = round, Position = position, Status = "FAILED", MessagesSent = messages,
        };
        if (client == BenchClientKind.Python && plan.Python is null)
        {
            return run with { Status = "skipped", Error = PythonSkipReason() };
        }

        C2FloodResult preview = Preview(mix, messages);
        C2Simulator simulator = await StartSimulatorAsync(transport, FloodHeartbeatInterval, cancellationToken).ConfigureAwait(false);
        await using (simulator.ConfigureAwait(false))
        {
            string? caPath = await WriteCaAsync(simulator, cancellationToken).ConfigureAwait(false);
            try
            {
                TimeSpan limit = TimeSpan.FromSeconds(60 + (messages * (mix == BenchMix.Large ? 2e-3 : 2e-4)));
                BenchChild child = StartClient(client, simulator.Uri!, caPath, "flood", preview.Messages, preview.Heartbeats, preview.Bytes, limit, extra: []);
                await using (child.ConfigureAwait(false))
                {
                    await child.WaitReadyAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
                    C2SimulatorConnection connection = await SingleConnectionAsync(simulator, cancellationToken).ConfigureAwait(false);
                    await Task.Delay(QuietBeforeFlood, cancellationToken).ConfigureAwait(false);
                    Task<C2FloodResult> flood = connection.FloodAsync(BenchMixes.Flood(mix, messages), cancellationToken);
                    BenchClientResult result = await child.WaitResultAsync(limit + TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                    C2FloodResult sent = await flood.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                    bool acks = BenchClients.AcksHeartbeats(client);
                    if (acks)
                    {
                        await WaitForAcksAsync(simulator, sent.Heartbeats, cancellationToken).ConfigureAwait(false);
                    }

                    C2LatencySummary rtt = simulator.GetHeartbeatRoundTrip();
                    long serverAcks = simulator.GetCounters().AcksReceived;
                    int exit = await child.WaitExitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
                    run = Measure(run, client, sent, result, acks ? Latency(rtt) : null);
                    string? problem = Check(client, preview, sent, result, serverAcks, exit, child.Errors);
                    return problem is null ? run with { Status = "ok" } : run with { Status = "FAILED", Error = problem };
                }
            }
            catch (BenchFailure ex)
            {
                return run with { Status = "FAILED", Error = ex.Message };
            }
            catch (TimeoutException ex)
            {
                return run with { Status = "FAILED", Error = "the flood did not finish: " + ex.Message };
            }
            finally
            {
                DeleteQuietly(caPath);
            }
        }
    }

    /// <summary>What must hold for a run to count: everything arrived, every heartbeat answered, the child exited cleanly.</summary>
    internal static string? Check(BenchClientKind client, C2FloodResult preview, C2FloodResult sent, BenchClientResult result, long serverAcks, int exit, string childErrors)
    {
        if (result.Status != "ok")
        {
            return $"client: {result.Status}{(childErrors.Length > 0 ? " — " + childErrors : "")}";
        }

        if (!sent.Completed || sent.Messages != preview.Messages || sent.Bytes != preview.Bytes)
        {
            return $"the simulator sent {sent.Messages} messages / {sent.Bytes} B, planned {preview.Messages} / {preview.Bytes} B";
        }

        if (client == BenchClientKind.Raw ? result.Bytes != sent.Bytes : result.Messages != sent.Messages)
        {
            return client == BenchClientKind.Raw
                ? $"received {result.Bytes} of {sent.Bytes} bytes"
                : $"received {result.Messages} of {sent.Messages} messages";
        }

        // At least one ack per heartbeat: C2Fast also sends keep-alive acks while backpressure pauses its loop (PausedAckInterval).
        if (BenchClients.AcksHeartbeats(client) && (result.Heartbeats != sent.Heartbeats || serverAcks < sent.Heartbeats))
        {
            return $"heartbeats: {sent.Heartbeats} sent, client saw {result.Heartbeats}, server got {serverAcks} acks";
        }

        return exit == 0 ? null : $"the client exited with code {exit}{(childErrors.Length > 0 ? ": " + childErrors : "")}";
    }

    private static BenchRun Measure(BenchRun run, BenchClientKind client, C2FloodResult sent, BenchClientResult result, BenchLatency? rtt)
    {
        double frame = sent.Messages > 0 ? (double)sent.Bytes / sent.Messages : 0;
        double windowMessages = client == BenchClientKind.Raw && sent.Bytes > 0 ? result.WindowBytes / sent.Bytes * sent.Messages : result.WindowMessages;
        double windowBytes = client == BenchClientKind.Raw ? result.WindowBytes : result.WindowMessages * frame;
        return run with
        {
            MessagesSent = sent.Messages,
            BytesSent = sent.Bytes,
            HeartbeatsSent = sent.Heartbeats,
            MessagesReceived = client == BenchClientKind.Raw ? (result.Bytes == sent.Bytes ? sent.Messages : 0) : result.Messages,
            BytesReceived = client == BenchClientKind.Raw ? result.Bytes : null,
            HeartbeatsAcked = result.Heartbeats,
            WindowSeconds = result.WindowSeconds,
            WindowMessages = windowMessages,
            MessagesPerSecond = BenchStats.Rate(windowMessages, result.WindowSeconds),
            MegabytesPerSecond = BenchStats.Rate(windowBytes, result.WindowSeconds) / 1e6,
            AllocatedBytes = result.AllocatedBytes,
            AllocatedBytesPerMessage = BenchStats.PerMessage(result.AllocatedBytes, sent.Messages),
            Gen0 = result.Gen0,
            Gen1 = result.Gen1,
            Gen2 = result.Gen2,
            PeakWorkingSetBytes = result.PeakWorkingSetBytes,
            CpuMicrosecondsPerMessage = result.CpuSeconds is { } cpu && sent.Messages > 0 ? cpu * 1e6 / sent.Messages : null,
            FloodRoundTrip = rtt,
            ServerSeconds = sent.Elapsed.TotalSeconds,
        };
    }

    private async Task<BenchRttRow> IdleRunAsync(BenchClientKind client, string transport, CancellationToken cancellationToken)
    {
        string name = BenchClients.Name(client);
        if (client == BenchClientKind.Python && plan.Python is null)
        {
            return new BenchRttRow(name, transport, "idle", null, null, 0, 0, PythonSkipReason()!);
        }

        int beats = plan.IdleHeartbeats;
        C2Simulator simulator = await StartSimulatorAsync(transport, plan.IdleHeartbeatInterval, cancellationToken).ConfigureAwait(false);
        await using (simulator.ConfigureAwait(false))
        {
            string? caPath = await WriteCaAsync(simulator, cancellationToken).ConfigureAwait(false);
            try
            {
                TimeSpan limit = TimeSpan.FromSeconds(60) + (plan.IdleHeartbeatInterval * beats * 3);
                BenchChild child = StartClient(client, simulator.Uri!, caPath, "idle", beats, beats, 0, limit, extra: []);
                await using (child.ConfigureAwait(false))
                {
                    BenchClientResult result = await child.WaitResultAsync(limit + TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                    await WaitForAcksAsync(simulator, beats, cancellationToken).ConfigureAwait(false);
                    C2SimulatorCounters counters = simulator.GetCounters();
                    BenchLatency? latency = Latency(simulator.GetHeartbeatRoundTrip());
                    int exit = await child.WaitExitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
                    string status = result.Status != "ok" ? "FAILED: " + result.Status
                        // At least the planned heartbeats: the simulator goes on sending while the client reports, so
                        // a loaded machine may see one or two more.
                        : result.Messages < beats || counters.AcksReceived < beats ? $"FAILED: {result.Messages} heartbeats seen, {counters.AcksReceived} acks, {beats} expected"
                        : exit != 0 ? $"FAILED: exit code {exit}"
                        : "ok";
                    return new BenchRttRow(name, transport, "idle", null, latency, counters.HeartbeatsSent, counters.AcksReceived, status);
                }
            }
            catch (BenchFailure ex)
            {
                return new BenchRttRow(name, transport, "idle", null, null, 0, 0, "FAILED: " + ex.Message);
            }
            finally
            {
                DeleteQuietly(caPath);
            }
        }
    }

    /// <summary>
    /// The stalled-consumer run: a flood of 1.5 × the byte budget to a C2Fast client whose consumer reads nothing until its
    /// loop pauses, then holds. With <paramref name="warmup"/> &gt; 0, the same client first reads that many messages at
    /// full speed on the same connection, and the round trips are counted from the stalled flood on; so the stall meets
    /// optimized code, as the fast-consumer figure it is compared with does. With 0, it meets a freshly started process.
    /// </summary>
    private async Task<BenchStallResult> StallRunAsync(string transport, long warmup, List<BenchRun> runs, CancellationToken cancellationToken)
    {
        long budget = plan.StallBudgetBytes ?? new C2QueueOptions().MaxBufferedBytes;
        C2FloodResult typical = Preview(BenchMix.Typical, 10_000);
        long messages = (long)Math.Ceiling(1.5 * budget / ((double)typical.Bytes / typical.Messages));
        C2FloodResult? warmPreview = warmup > 0 ? Preview(BenchMix.Typical, warmup) : null;
        C2FloodResult preview = Preview(BenchMix.Typical, messages, warmPreview is null ? 1 : warmPreview.LastSeqId + 1);
        BenchLatency? fast = BenchAggregator.MedianLatency(runs
            .Where(r => r.Client == "c2fast" && r.Mix == "typical" && r.Transport == transport && r.Status == "ok")
            .Select(r => r.FloodRoundTrip));
        var stall = new BenchStallResult { Transport = transport, Status = "FAILED", BudgetBytes = budget, WarmupMessages = warmup, MessagesSent = messages, FastRoundTrip = fast };
        C2Simulator simulator = await StartSimulatorAsync(transport, FloodHeartbeatInterval, cancellationToken).ConfigureAwait(false);
        await using (simulator.ConfigureAwait(false))
        {
            string? caPath = await WriteCaAsync(simulator, cancellationToken).ConfigureAwait(false);
            try
            {
                TimeSpan limit = TimeSpan.FromSeconds(120 + ((messages + warmup) * 2e-4));
                List<string> extra = ["--stall-hold", plan.StallHoldSeconds.ToString(CultureInfo.InvariantCulture)];
                if (plan.StallBudgetBytes is long quickBudget)
                {
                    extra.AddRange(["--budget", quickBudget.ToString(CultureInfo.InvariantCulture)]);
                }

                if (warmPreview is not null)
                {
                    extra.AddRange(["--warmup-messages", warmPreview.Messages.ToString(CultureInfo.InvariantCulture), "--warmup-heartbeats", warmPreview.Heartbeats.ToString(CultureInfo.InvariantCulture)]);
                }

                BenchChild child = StartClient(BenchClientKind.C2Fast, simulator.Uri!, caPath, "stall", preview.Messages, preview.Heartbeats, preview.Bytes, limit, extra);
                await using (child.ConfigureAwait(false))
                {
                    await child.WaitReadyAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
                    C2SimulatorConnection connection = await SingleConnectionAsync(simulator, cancellationToken).ConfigureAwait(false);
                    await Task.Delay(QuietBeforeFlood, cancellationToken).ConfigureAwait(false);
                    long acksBefore = 0;
                    if (warmPreview is not null)
                    {
                        C2FloodResult warmSent = await connection.FloodAsync(BenchMixes.Flood(BenchMix.Typical, warmup), cancellationToken).ConfigureAwait(false);
                        if (!warmSent.Completed || warmSent.Messages != warmPreview.Messages || warmSent.LastSeqId != warmPreview.LastSeqId)
                        {
                            return stall with { Error = $"the warm-up flood sent {warmSent.Messages} of {warmPreview.Messages} messages (last seq_id {warmSent.LastSeqId}, planned {warmPreview.LastSeqId})" };
                        }

                        await child.WaitWarmAsync(limit, cancellationToken).ConfigureAwait(false);
                        await WaitForAcksAsync(simulator, warmSent.Heartbeats, cancellationToken).ConfigureAwait(false);
                        acksBefore = simulator.GetCounters().AcksReceived;
                        simulator.ClearHeartbeatRoundTrips();
                        await Task.Delay(QuietBeforeFlood, cancellationToken).ConfigureAwait(false);
                    }

                    Task<C2FloodResult> flood = connection.FloodAsync(BenchMixes.Flood(BenchMix.Typical, messages), cancellationToken);
                    BenchClientResult result = await child.WaitResultAsync(limit + TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                    C2FloodResult sent = await flood.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                    await WaitForAcksAsync(simulator, acksBefore + sent.Heartbeats, cancellationToken).ConfigureAwait(false);
                    C2SimulatorCounters counters = simulator.GetCounters();
                    int exit = await child.WaitExitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
                    stall = stall with
                    {
                        MessagesSent = sent.Messages,
                        BytesSent = sent.Bytes,
                        HeartbeatsSent = sent.Heartbeats,
                        HeartbeatsAcked = counters.AcksReceived - acksBefore,
                        HeartbeatMissClose = counters.ServerClosesByCode.ContainsKey(1008),
                        MessagesReceived = result.Messages,
                        Client = result.Stall,
                        StalledRoundTrip = Latency(simulator.GetHeartbeatRoundTrip()),
                    };
                    string? problem = Check(BenchClientKind.C2Fast, preview, sent, result, counters.AcksReceived - acksBefore, exit, child.Errors)
                        ?? (result.Stall is { Paused: false } ? "the read loop never paused: the flood did not exceed the budget" : null)
                        ?? (stall.HeartbeatMissClose ? "the simulator closed the connection for a missed heartbeat (1008)" : null);
                    return problem is null ? stall with { Status = "ok" } : stall with { Error = problem };
                }
            }
            catch (BenchFailure ex)
            {
                return stall with { Error = ex.Message };
            }
            catch (TimeoutException ex)
            {
                return stall with { Error = "the flood did not finish: " + ex.Message };
            }
            finally
            {
                DeleteQuietly(caPath);
            }
        }
    }

    /// <summary>"cold" (a freshly started client) or "warm, N messages first".</summary>
    internal static string StallStart(BenchStallResult stall) => stall.WarmupMessages > 0
        ? string.Create(CultureInfo.InvariantCulture, $"warm, {stall.WarmupMessages:N0} messages first")
        : "cold";

    /// <summary>The round-trip row's state: the warm run is the one compared with the fast consumer.</summary>
    internal static string StalledState(BenchStallResult stall) => stall.WarmupMessages > 0 ? "flood, stalled consumer" : "flood, stalled consumer, cold process";

    private BenchChild StartClient(BenchClientKind client, Uri uri, string? caPath, string mode, long messages, long heartbeats, long bytes, TimeSpan limit, IEnumerable<string> extra)
    {
        string timeout = limit.TotalSeconds.ToString("0", CultureInfo.InvariantCulture);
        if (client == BenchClientKind.Python)
        {
            List<string> script = [Path.Combine(scriptDirectory, BenchScript.FileName), "--url", uri.ToString(), "--key", C2SimulatorOptions.DemoApiKey,
                "--messages", messages.ToString(CultureInfo.InvariantCulture), "--timeout", timeout];
            if (caPath is not null)
            {
                script.AddRange(["--ca", caPath]);
            }

            return BenchChild.Start(plan.Python!, script);
        }

        (string fileName, List<string> arguments) = SelfInvocation();
        arguments.AddRange(["bench-client", "--client", BenchClients.Name(client), "--url", uri.ToString(), "--mode", mode,
            "--messages", messages.ToString(CultureInfo.InvariantCulture), "--heartbeats", heartbeats.ToString(CultureInfo.InvariantCulture),
            "--bytes", bytes.ToString(CultureInfo.InvariantCulture), "--timeout", timeout]);
        if (caPath is not null)
        {
            arguments.AddRange(["--ca", caPath]);
        }

        if (client is BenchClientKind.C2Fast or BenchClientKind.C2FastInline && !plan.C2FastReceiveThread)
        {
            arguments.AddRange(["--receive-thread", "off"]);
        }

        arguments.AddRange(extra);
        return BenchChild.Start(fileName, arguments);
    }

    /// <summary>This same c2fast: the apphost when there is one, else <c>dotnet C2Fast.Cli.dll</c>.</summary>
    internal static (string FileName, List<string> Arguments) SelfInvocation()
    {
        string? host = Environment.ProcessPath;
        string dll = Path.Combine(AppContext.BaseDirectory, "C2Fast.Cli.dll");
        return host is not null && !Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? (host, [])
            : (host ?? "dotnet", [dll]);
    }

    private static Task<C2Simulator> StartSimulatorAsync(string transport, TimeSpan heartbeatInterval, CancellationToken cancellationToken)
        => C2Simulator.StartNewAsync(new C2SimulatorOptions
        {
            UseTls = transport == "wss",
            HeartbeatInterval = heartbeatInterval,
            ShutdownTimeout = TimeSpan.FromSeconds(1),
            CloseHandshakeTimeout = TimeSpan.FromSeconds(1),
        }, cancellationToken);

    private static async Task<string?> WriteCaAsync(C2Simulator simulator, CancellationToken cancellationToken)
    {
        if (simulator.CaCertificatePem is not { } pem)
        {
            return null;
        }

        string path = Path.Combine(Path.GetTempPath(), $"c2fast-bench-ca-{Environment.ProcessId}-{simulator.Port}.pem");
        await File.WriteAllTextAsync(path, pem, cancellationToken).ConfigureAwait(false);
        return path;
    }

    private static void DeleteQuietly(string? path)
    {
        if (path is not null)
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // A temp file left behind is harmless.
            }
        }
    }

    private static async Task<C2SimulatorConnection> SingleConnectionAsync(C2Simulator simulator, CancellationToken cancellationToken)
    {
        for (int i = 0; i < 1000; i++)
        {
            if (simulator.Connections is [var connection])
            {
                return connection;
            }

            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }

        throw new BenchFailure($"expected one connection on the simulator, found {simulator.Connections.Count}");
    }

    /// <summary>The last ack may still be on its way when the client reports: give it a moment.</summary>
    private static async Task WaitForAcksAsync(C2Simulator simulator, long expected, CancellationToken cancellationToken)
    {
        for (int i = 0; i < 300 && simulator.GetCounters().AcksReceived < expected; i++)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    internal static BenchLatency? Latency(C2LatencySummary summary) => summary.Count == 0 ? null
        : new BenchLatency(summary.Count, summary.P50.TotalMilliseconds, summary.P99.TotalMilliseconds, summary.P999.TotalMilliseconds, summary.Max.TotalMilliseconds);

    private static string Format(BenchLatency? latency) => latency is null ? "rtt n/a"
        : string.Create(CultureInfo.InvariantCulture, $"rtt p50 {latency.P50Ms:0.###} ms p99 {latency.P99Ms:0.###} ms max {latency.MaxMs:0.###} ms (n={latency.Count})");

    private static string Describe(BenchRun run) => run.Status switch
    {
        "ok" => string.Create(CultureInfo.InvariantCulture,
            $"[{run.Transport} {run.Mix} r{run.Round + 1}] {run.Client,-16} {run.MessagesPerSecond,12:N0} msg/s {run.MegabytesPerSecond,8:0.0} MB/s  {(run.AllocatedBytesPerMessage is { } a ? $"{a:0.#} B/msg" : "")} {(run.CpuMicrosecondsPerMessage is { } c ? $"{c:0.00} µs CPU/msg" : "")}  {Format(run.FloodRoundTrip)}"),
        _ => $"[{run.Transport} {run.Mix} r{run.Round + 1}] {run.Client,-16} {run.Status}: {run.Error}",
    };
}
