using System.Globalization;
using System.Text;

namespace C2Fast.Cli.Soak;

/// <summary>The soak's summary as plain text: figures, flatness and the verdict.</summary>
internal static class SoakTable
{
    public static string Plain(SoakReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        void Line(string label, string value) => text.Append(CultureInfo.InvariantCulture, $"  {label,-37}{value}\n");
        static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

        SoakReportSettings settings = report.Settings;
        text.Append(CultureInfo.InvariantCulture, $"\nc2fast soak: {settings.DurationSeconds:0} s, seed {report.Seed}, heartbeat {settings.HeartbeatIntervalSeconds:0.###} s + {settings.HeartbeatGraceSeconds:0.###} s grace, {settings.Transport}, {settings.Strategies.Count} strategies × {settings.SignalRate:0.##} signals/s{(settings.Quick ? ", quick" : "")}\n");
        text.Append(CultureInfo.InvariantCulture, $"  {report.CommandLine}\n  {report.Machine.CpuModel}, {report.Machine.Cores} cores, {report.Machine.DotNet}, started {report.StartedAt}\n\n");

        text.Append("signals (exactly once, in order, per strategy)\n");
        foreach (SoakStrategyResult s in report.Signals)
        {
            Line($"strategy {s.StrategyId}", string.Create(CultureInfo.InvariantCulture,
                $"published {N(s.Published)}  delivered {N(s.Delivered)}  missing {s.Missing}  duplicated {s.Duplicates}  reordered {s.Reordered}  gaps {s.Gaps} ({s.LostToGaps} declared lost)  {(s.Ok ? "OK" : "FAILED: " + s.FirstProblem)}"));
        }

        SoakSignalTotals totals = report.SignalTotals;
        Line("total", $"published {N(totals.Published)}  delivered {N(totals.Delivered)}  replayed by the server {N(totals.ReplayedByServer)}  replay overlaps discarded by the client {N(totals.DuplicatesDiscardedByClient)}");
        Line("drain after the end", string.Create(CultureInfo.InvariantCulture, $"{report.DrainSeconds:0.0} s ({(report.CaughtUp ? "caught up" : "NOT caught up")})"));

        text.Append("\nfaults injected (server side)\n");
        foreach (string kind in settings.FaultKinds)
        {
            Line(kind, report.FaultsByKind.GetValueOrDefault(kind).ToString(CultureInfo.InvariantCulture));
        }

        Line("skipped", report.FaultsSkipped.ToString(CultureInfo.InvariantCulture));

        SoakHeartbeatSummary hb = report.Heartbeats;
        text.Append("\nheartbeats (server side)\n");
        Line("sent / acked", $"{N(hb.Sent)} / {N(hb.Acked)}");
        Line("in flight when cut (≤ allowance)", string.Create(CultureInfo.InvariantCulture, $"{hb.InFlightAtCut} (allowance {hb.AllowanceMilliseconds:0} ms)"));
        Line("never acked", hb.Unacked.ToString(CultureInfo.InvariantCulture));
        Line("closed for a missing ack", hb.AckTimeouts.ToString(CultureInfo.InvariantCulture));
        Line("longest heartbeat → ack", string.Create(CultureInfo.InvariantCulture, $"{hb.MaxAckDelayMilliseconds:0.0} ms"));
        Line("acks received / client paused acks", $"{N(hb.AcksReceived)} / {N(hb.ClientPausedAcks)}");

        SoakConnectionSummary c = report.Connections;
        text.Append("\nconnections\n");
        Line("accepted / ended", $"{N(c.Accepted)} / {N(c.Ended)}");
        Line("client reconnects", string.Create(CultureInfo.InvariantCulture, $"{N(c.ClientReconnects)} (longest backoff {c.LongestReconnectDelayMilliseconds / 1000.0:0.0} s, attempt up to {c.MaxReconnectAttempt})"));
        Line("server starts", c.ServerStarts.ToString(CultureInfo.InvariantCulture));
        Line("server closes by code", Codes(c.ServerClosesByCode));
        Line("client closes by code", Codes(c.ClientClosesByCode));
        Line("drops / resets / 503 while stopping", $"{c.Drops} / {c.Resets} / {c.Rejected503}");
        Line("client disconnects", c.ClientDisconnects.Count == 0 ? "-" : string.Join(", ", c.ClientDisconnects.OrderByDescending(p => p.Value).Select(p => $"{p.Key} ×{p.Value}")));

        SoakConsumerSummary consumers = report.Consumers;
        text.Append("\nconsumers\n");
        Line("stalls short / long", string.Create(CultureInfo.InvariantCulture, $"{consumers.ShortStalls} / {consumers.LongStalls} ({consumers.StalledSeconds:0} s stalled, longest {consumers.LongestStallMilliseconds / 1000.0:0.0} s)"));
        Line("backpressure pauses / paused acks", $"{N(consumers.BackpressurePauses)} / {N(consumers.PausedAcks)}");

        text.Append("\nclient process samples (after warm-up = first quarter; flat = rule below)\n");
        text.Append("      at   working set   live heap   threads   fds    signals  reconnects\n");
        foreach (SoakSample s in report.Samples)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"  {s.AtSeconds,6:0}s{(s.Phase == "end" ? "*" : " ")} {s.WorkingSetBytes / SoakFlatRule.MiB,9:0.0} MiB {s.GcLiveHeapBytes / SoakFlatRule.MiB,7:0.0} MiB {s.Threads,7} {s.Handles,6} {s.SignalsDelivered,10} {s.Reconnects,10}\n");
        }

        if (report.Samples.Any(s => s.Phase == "end"))
        {
            text.Append("  (* after the drain; not used for flatness)\n");
        }

        foreach (SoakFlatResult flat in report.Flatness)
        {
            var rule = SoakFlatRule.All.First(r => r.Metric == flat.Metric);
            string verdict = !flat.Judged ? flat.Note ?? "not judged" : flat.Flat ? "flat" : "NOT FLAT";
            Line(flat.Metric, string.Create(CultureInfo.InvariantCulture,
                $"reference {rule.Format(flat.Reference)}, last quarter {rule.Format(flat.Final)}{(flat.Judged ? ", limit " + rule.Format(flat.Limit) : "")}, slope {rule.Format(flat.SlopePerHour)}/h: {verdict}"));
        }

        if (report.Warnings.Count > 0)
        {
            text.Append("\nwarnings\n");
            foreach (string warning in report.Warnings)
            {
                text.Append("  ").Append(warning).Append('\n');
            }
        }

        text.Append('\n');
        if (report.Verdict.Ok)
        {
            text.Append(report.Settings.JudgeFlatness
                ? "verdict: PASS (every signal exactly once and in order, every heartbeat acked and answered, each resource within its flatness rule; see the slopes)\n"
                : "verdict: PASS (every signal exactly once and in order, every heartbeat acked and answered; flatness not judged in a quick run)\n");
        }
        else
        {
            text.Append("verdict: FAIL\n");
            foreach (string failure in report.Verdict.Failures)
            {
                text.Append("  ").Append(failure).Append('\n');
            }
        }

        return text.ToString();
    }

    private static string Codes(Dictionary<string, long> codes) =>
        codes.Count == 0 ? "-" : string.Join(", ", codes.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} ×{p.Value}"));
}
