using System.Globalization;

namespace C2Fast.Cli.Bench;

/// <summary>Turns runs into the report's rows, round-trip rows and targets. Pure.</summary>
internal static class BenchAggregator
{
    public static readonly IReadOnlyList<string> Basis =
    [
        "Rates are steady state, measured inside each client process on a monotonic clock: from the application's (N/10)-th message of the flood to its last one (the raw drain: from 10 % of the bytes to the last byte). Connect, TLS and upgrade, connection.connected, the 100 ms quiet before the flood and the first 10 % (JIT tier-up, buffer growth) are excluded. Same rule for every client.",
        "MB/s = frame bytes the simulator wrote (WebSocket frames before TLS, 10^6 bytes) per second over the same window; for message-counting clients the window's messages × the flood's mean frame size.",
        "Ratio = a client's median messages/s ÷ C2Fast's median messages/s on the same mix and transport (values above 1 are faster than C2Fast).",
        "Allocated bytes per message = GC.GetTotalAllocatedBytes(true) delta from ready (after connection.connected) to the last message, ÷ messages; gen0/1/2 = collections in the same span; peak working set = the client process's peak (each client runs in a fresh child process; the simulator runs in the parent); CPU µs/message = the client process's processor time (all threads, user + kernel) over the same span ÷ messages. Allocation and GC are n/a for python.",
        "Heartbeat round trip = simulator-measured time from writing a heartbeat's batch to reading its heartbeat.ack (p50/p99/p99.9/max, nearest rank). Flood round trips come from the mix's own heartbeats; idle ones from the simulator's periodic heartbeats with no flood.",
        "Each (client, mix, transport, round) runs against a fresh simulator (same pre-encoded stream: same templates, seq_ids from 1); rounds rotate the client order and reverse it on odd rounds. Figures are medians over the rounds.",
    ];

    public static List<BenchRow> Rows(IReadOnlyList<BenchRun> runs, BenchPlan plan, string? pythonSkip)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(plan);
        var rows = new List<BenchRow>();
        foreach (string transport in plan.Transports)
        {
            foreach (BenchMix mix in plan.Mixes)
            {
                string mixName = BenchMixes.Name(mix);
                double? c2fastRate = null;
                var mixRows = new List<BenchRow>();
                foreach (BenchClientKind kind in plan.Clients)
                {
                    string client = BenchClients.Name(kind);
                    List<BenchRun> mine = [.. runs.Where(r => r.Client == client && r.Mix == mixName && r.Transport == transport).OrderBy(r => r.Round)];
                    BenchRow row = Row(client, mixName, transport, mine, kind == BenchClientKind.Python ? pythonSkip : null);
                    if (kind == BenchClientKind.C2Fast && row.Status == "ok")
                    {
                        c2fastRate = row.MessagesPerSecond;
                    }

                    mixRows.Add(row);
                }

                rows.AddRange(mixRows.Select(r => r with { RatioToC2Fast = r.Status == "ok" ? BenchStats.Ratio(r.MessagesPerSecond, c2fastRate) : null }));
            }
        }

        return rows;
    }

    /// <summary>One row from a client's runs on one mix and transport: medians of the successful rounds; FAILED if any round failed.</summary>
    public static BenchRow Row(string client, string mix, string transport, IReadOnlyList<BenchRun> runs, string? skipped)
    {
        ArgumentNullException.ThrowIfNull(runs);
        List<BenchRun> ok = [.. runs.Where(r => r.Status == "ok")];
        string status = skipped ?? (runs.Count == 0 ? "no runs" : runs.Any(r => r.Status == "FAILED") ? "FAILED" : runs.All(r => r.Status == "skipped") ? "skipped" : "ok");
        return new BenchRow
        {
            Client = client,
            Mix = mix,
            Transport = transport,
            Status = status,
            RoundsOk = ok.Count,
            MessagesSentPerRound = runs.Count > 0 ? runs.Max(r => r.MessagesSent) : 0,
            MessagesReceivedMin = runs.Count > 0 ? runs.Min(r => r.MessagesReceived) : 0,
            MessagesPerSecond = BenchStats.Median(ok.Select(r => r.MessagesPerSecond)),
            MegabytesPerSecond = BenchStats.Median(ok.Select(r => r.MegabytesPerSecond)),
            AllocatedBytesPerMessage = BenchStats.Median(ok.Where(r => r.AllocatedBytesPerMessage is not null).Select(r => r.AllocatedBytesPerMessage!.Value)),
            Gen0 = BenchStats.Median(ok.Where(r => r.Gen0 is not null).Select(r => (double)r.Gen0!.Value)),
            Gen1 = BenchStats.Median(ok.Where(r => r.Gen1 is not null).Select(r => (double)r.Gen1!.Value)),
            Gen2 = BenchStats.Median(ok.Where(r => r.Gen2 is not null).Select(r => (double)r.Gen2!.Value)),
            PeakWorkingSetBytes = BenchStats.Median(ok.Where(r => r.PeakWorkingSetBytes is not null).Select(r => (double)r.PeakWorkingSetBytes!.Value)),
            CpuMicrosecondsPerMessage = BenchStats.Median(ok.Where(r => r.CpuMicrosecondsPerMessage is not null).Select(r => r.CpuMicrosecondsPerMessage!.Value)),
            FloodRoundTrip = MedianLatency(ok.Select(r => r.FloodRoundTrip)),
            RoundRates = [.. runs.Select(r => r.Status == "ok" ? r.MessagesPerSecond : double.NaN)],
        };
    }

    /// <summary>
    /// A steady-state window shorter than this is flagged in the report. On the 2-core machine perf.md describes, the JIT's
    /// tier-up of C2Fast's hot path (instrumented code, then the optimized compile competing with the flood for the CPU)
    /// went on for about 1.5 s into a flood, so a shorter window is largely warm-up and favours slower clients.
    /// </summary>
    public static readonly TimeSpan ShortWindow = TimeSpan.FromSeconds(2);

    /// <summary>One note per client, mix and transport whose successful runs had a window shorter than <paramref name="minimum"/>.</summary>
    /// <param name="runs">Every flood run.</param>
    /// <param name="minimum">The shortest window not flagged.</param>
    /// <returns>The notes, in the order the rows first ran.</returns>
    public static List<string> ShortWindowNotes(IEnumerable<BenchRun> runs, TimeSpan minimum)
    {
        ArgumentNullException.ThrowIfNull(runs);
        return [.. runs
            .Where(r => r.Status == "ok" && r.WindowSeconds < minimum.TotalSeconds)
            .GroupBy(r => (r.Client, r.Mix, r.Transport))
            .Select(g => string.Create(CultureInfo.InvariantCulture,
                $"{g.Key.Client} {g.Key.Mix} {g.Key.Transport}: steady-state window {g.Min(r => r.WindowSeconds):0.00} s in {g.Count()} round(s), under {minimum.TotalSeconds:0.#} s: JIT tier-up can fill much of it; use a larger --messages for figures to compare.")),];
    }

    /// <summary>The median of each percentile over several samples (rounds); <see langword="null"/> if none has one.</summary>
    public static BenchLatency? MedianLatency(IEnumerable<BenchLatency?> latencies)
    {
        List<BenchLatency> all = [.. latencies.OfType<BenchLatency>()];
        return all.Count == 0 ? null : new BenchLatency(
            (long)BenchStats.Median(all.Select(l => (double)l.Count))!.Value,
            BenchStats.Median(all.Select(l => l.P50Ms))!.Value,
            BenchStats.Median(all.Select(l => l.P99Ms))!.Value,
            BenchStats.Median(all.Select(l => l.P999Ms))!.Value,
            BenchStats.Median(all.Select(l => l.MaxMs))!.Value);
    }

    /// <summary>Flood round trips with a fast consumer, one row per client, mix and transport (clients that answer heartbeats).</summary>
    public static IEnumerable<BenchRttRow> FloodRoundTrips(IEnumerable<BenchRow> rows) => rows
        .Where(r => r.Client != BenchClients.Name(BenchClientKind.Raw))
        .Select(r => new BenchRttRow(r.Client, r.Transport, "flood, fast consumer", r.Mix, r.FloodRoundTrip, 0, 0, r.Status));

    /// <summary>The issue's targets, where the rows needed are there.</summary>
    public static List<BenchTarget> Targets(IReadOnlyList<BenchRow> rows, IReadOnlyList<BenchStallResult> stalls)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(stalls);
        var targets = new List<BenchTarget>();
        BenchRow? Find(string client, string mix, string transport) =>
            rows.FirstOrDefault(r => r.Client == client && r.Mix == mix && r.Transport == transport && r.Status == "ok");

        // The targets are the issue's for C2Fast as specified (queue consumer); the inline row is checked against the same bars.
        string Label(string client) => client == "c2fast" ? "C2Fast" : "C2Fast inline";

        void Faster(string client, string other, double target, string transport)
        {
            BenchRow? c2fast = Find(client, "typical", transport);
            BenchRow? row = Find(other, "typical", transport);
            if (c2fast is not null && row is not null)
            {
                double? measured = BenchStats.Ratio(c2fast.MessagesPerSecond, row.MessagesPerSecond);
                targets.Add(new BenchTarget($"{Label(client)} ≥ {target:0.#}× {other} (messages/s)", "typical", transport, measured, target, measured >= target,
                    string.Create(CultureInfo.InvariantCulture, $"{c2fast.MessagesPerSecond:N0} vs {row.MessagesPerSecond:N0} msg/s")));
            }
        }

        void OfRaw(string client, double target, string transport)
        {
            BenchRow? c2fast = Find(client, "typical", transport);
            BenchRow? raw = Find("raw", "typical", transport);
            if (c2fast is not null && raw is not null)
            {
                double? measured = BenchStats.Ratio(c2fast.MegabytesPerSecond, raw.MegabytesPerSecond);
                targets.Add(new BenchTarget($"{Label(client)} ≥ {target:P0} of the raw {(transport == "wss" ? "TLS " : "")}drain (bytes/s)", "typical", transport, measured, target, measured >= target,
                    string.Create(CultureInfo.InvariantCulture, $"{c2fast.MegabytesPerSecond:0.0} vs {raw.MegabytesPerSecond:0.0} MB/s")));
            }
        }

        foreach (string client in new[] { "c2fast", "c2fast-inline" })
        {
            Faster(client, "cws-reader", 2, "ws");
            Faster(client, "cws-stj", 6, "ws");
            OfRaw(client, 0.4, "ws");
            OfRaw(client, 0.7, "wss");
        }

        // The warm stall runs: the fast-consumer figure comes from optimized code too (the cold ones are shown, not judged).
        foreach (BenchStallResult stall in stalls.Where(s => s.WarmupMessages > 0 && s.StalledRoundTrip is not null && s.FastRoundTrip is not null))
        {
            foreach ((string name, double stalled, double fast) in new[]
            {
                ("p50", stall.StalledRoundTrip!.P50Ms, stall.FastRoundTrip!.P50Ms),
                ("p99", stall.StalledRoundTrip.P99Ms, stall.FastRoundTrip.P99Ms),
            })
            {
                double? measured = BenchStats.Ratio(stalled, fast);
                targets.Add(new BenchTarget($"stalled-consumer ack RTT {name} ≤ 2× fast-consumer RTT", "typical", stall.Transport, measured, 2, measured <= 2,
                    string.Create(CultureInfo.InvariantCulture, $"{stalled:0.###} ms stalled vs {fast:0.###} ms fast")));
            }
        }

        return targets;
    }
}
