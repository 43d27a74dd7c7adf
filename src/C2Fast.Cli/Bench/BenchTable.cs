using System.Globalization;
using System.Text;
using Spectre.Console;

namespace C2Fast.Cli.Bench;

/// <summary>A titled table of text cells, rendered as plain aligned text (logs, redirected stdout) or with Spectre.Console.</summary>
internal sealed record BenchGrid(string Title, IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows);

/// <summary>The report as tables.</summary>
internal static class BenchTable
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static List<BenchGrid> Grids(BenchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var grids = new List<BenchGrid>();
        foreach (IGrouping<(string Transport, string Mix), BenchRow> group in report.Rows.GroupBy(r => (r.Transport, r.Mix)))
        {
            List<IReadOnlyList<string>> rows = [.. group.Select(r => (IReadOnlyList<string>)
            [
                r.Client,
                r.Status == "ok" ? "ok" : r.Status,
                Num(r.MessagesPerSecond, "N0"),
                Num(r.MegabytesPerSecond, "0.0"),
                Num(r.RatioToC2Fast, "0.00"),
                Num(r.AllocatedBytesPerMessage, "0.#"),
                Num(r.CpuMicrosecondsPerMessage, "0.00"),
                r.Gen0 is null ? "n/a" : $"{Num(r.Gen0, "0")}/{Num(r.Gen1, "0")}/{Num(r.Gen2, "0")}",
                r.PeakWorkingSetBytes is { } ws ? (ws / 1048576).ToString("0", Invariant) : "n/a",
                r.FloodRoundTrip is { } l ? $"{Ms(l.P50Ms)} / {Ms(l.P99Ms)} / {Ms(l.MaxMs)}" : "n/a",
                $"{r.MessagesReceivedMin:N0}/{r.MessagesSentPerRound:N0}",
                string.Join(' ', r.RoundRates.Select(x => double.IsNaN(x) ? "-" : (x / 1000).ToString("0", Invariant) + "k")),
            ])];
            grids.Add(new BenchGrid(
                $"{group.Key.Transport} · {group.Key.Mix} ({BenchMixes.TryParse(group.Key.Mix, out BenchMix mix) switch { true => BenchMixes.Description(mix), _ => "" }})",
                ["client", "status", "msg/s", "MB/s", "× c2fast", "B/msg", "CPU µs/msg", "gen0/1/2", "peak WS MiB", "flood ack RTT p50/p99/max ms", "received/sent", "rounds msg/s"],
                rows));
        }

        if (report.HeartbeatRoundTrips.Count > 0)
        {
            grids.Add(new BenchGrid("heartbeat → ack round trip (simulator-measured)",
                ["client", "transport", "state", "mix", "n", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "status"],
                [.. report.HeartbeatRoundTrips.Select(r => (IReadOnlyList<string>)
                [
                    r.Client, r.Transport, r.State, r.Mix ?? "-", r.Latency?.Count.ToString(Invariant) ?? "-",
                    Ms(r.Latency?.P50Ms), Ms(r.Latency?.P99Ms), Ms(r.Latency?.P999Ms), Ms(r.Latency?.MaxMs), r.Status,
                ])]));
        }

        if (report.StalledConsumer.Count > 0)
        {
            grids.Add(new BenchGrid("C2Fast with a stalled consumer (policy Wait, typical mix, flood = 1.5 × the byte budget; the loop pauses at the budget or a full 65,536-message queue, whichever comes first; cold = a freshly started client, warm = the same client after a fast-consumer flood, round trips of the stalled flood only)",
                ["transport", "start", "status", "budget MiB", "paused after s", "queued at pause MiB", "WS at pause MiB", "WS max in hold MiB", "hold s", "acks/heartbeats", "1008 close", "stalled RTT p50/p99/max ms", "fast RTT p50/p99/max ms"],
                [.. report.StalledConsumer.Select(s => (IReadOnlyList<string>)
                [
                    s.Transport, BenchRunner.StallStart(s), s.Status == "ok" ? "ok" : $"FAILED: {s.Error}", Mib(s.BudgetBytes),
                    s.Client?.SecondsToPause.ToString("0.00", Invariant) ?? "-", Mib(s.Client?.QueuedBytesAtPause), Mib(s.Client?.WorkingSetAtPauseBytes),
                    Mib(s.Client?.WorkingSetMaxDuringHoldBytes), s.Client?.HoldSeconds.ToString("0.0", Invariant) ?? "-",
                    $"{s.HeartbeatsAcked}/{s.HeartbeatsSent}", s.HeartbeatMissClose ? "yes" : "no",
                    s.StalledRoundTrip is { } st ? $"{Ms(st.P50Ms)} / {Ms(st.P99Ms)} / {Ms(st.MaxMs)}" : "-",
                    s.FastRoundTrip is { } f ? $"{Ms(f.P50Ms)} / {Ms(f.P99Ms)} / {Ms(f.MaxMs)}" : "-",
                ])]));
        }

        if (report.Targets.Count > 0)
        {
            grids.Add(new BenchGrid("targets (issue 7)",
                ["target", "mix", "transport", "measured", "needed", "met", "detail"],
                [.. report.Targets.Select(t => (IReadOnlyList<string>)
                [
                    t.Name, t.Mix, t.Transport, Num(t.Measured, "0.00"), t.Target.ToString("0.##", Invariant),
                    t.Met switch { true => "yes", false => "NO", _ => "-" }, t.Detail,
                ])]));
        }

        return grids;
    }

    /// <summary>Plain aligned text: what perf.md and logs get.</summary>
    public static string Plain(BenchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        BenchMachine m = report.Machine;
        text.AppendLine(Invariant, $"c2fast bench — {m.Date} — {m.CpuModel}, {m.Cores} cores, {m.MemoryBytes / (1L << 30)} GiB, {m.Os}, {m.DotNet}");
        text.AppendLine(Invariant, $"command: {report.Settings.CommandLine}");
        text.AppendLine(Invariant, $"python: {report.Settings.Python}; total {report.TotalSeconds:0.0} s");
        foreach (BenchGrid grid in Grids(report))
        {
            text.AppendLine();
            text.AppendLine(grid.Title);
            int[] widths = [.. grid.Headers.Select((h, i) => Math.Max(h.Length, grid.Rows.Count == 0 ? 0 : grid.Rows.Max(r => r[i].Length)))];
            text.AppendLine(string.Join("  ", grid.Headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
            foreach (IReadOnlyList<string> row in grid.Rows)
            {
                text.AppendLine(string.Join("  ", row.Select((c, i) => i == 0 || i == row.Count - 1 || !LooksNumeric(c) ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd());
            }
        }

        if (report.Notes.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("NOTE:");
            foreach (string note in report.Notes)
            {
                text.AppendLine("  " + note);
            }
        }

        if (report.Failures.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("FAILED:");
            foreach (string failure in report.Failures)
            {
                text.AppendLine("  " + failure);
            }
        }

        return text.ToString();
    }

    /// <summary>The same tables with Spectre.Console, for a terminal.</summary>
    public static void Fancy(BenchReport report, IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(console);
        BenchMachine m = report.Machine;
        console.MarkupLine(Markup.Escape($"c2fast bench — {m.Date} — {m.CpuModel}, {m.Cores} cores, {m.Os}, {m.DotNet}"));
        console.MarkupLine(Markup.Escape($"python: {report.Settings.Python}; total {report.TotalSeconds:0.0} s"));
        foreach (BenchGrid grid in Grids(report))
        {
            var table = new Table { Title = new TableTitle(Markup.Escape(grid.Title)), Border = TableBorder.Rounded };
            foreach (string header in grid.Headers)
            {
                table.AddColumn(new TableColumn(Markup.Escape(header)));
            }

            foreach (IReadOnlyList<string> row in grid.Rows)
            {
                table.AddRow([.. row.Select(c => c.StartsWith("FAILED", StringComparison.Ordinal) || c == "NO" ? $"[red]{Markup.Escape(c)}[/]" : Markup.Escape(c))]);
            }

            console.Write(table);
        }

        foreach (string note in report.Notes)
        {
            console.MarkupLine("[yellow]NOTE[/] " + Markup.Escape(note));
        }

        foreach (string failure in report.Failures)
        {
            console.MarkupLine("[red]FAILED[/] " + Markup.Escape(failure));
        }
    }

    private static bool LooksNumeric(string cell) => cell.Length > 0 && (char.IsDigit(cell[0]) || cell is "n/a" or "-");

    private static string Num(double? value, string format) => value is { } v ? v.ToString(format, Invariant) : "n/a";

    private static string Ms(double? value) => value is { } v ? v.ToString(v < 10 ? "0.###" : "0.#", Invariant) : "-";

    private static string Mib(long? bytes) => bytes is { } b ? (b / 1048576.0).ToString("0.0", Invariant) : "-";
}
