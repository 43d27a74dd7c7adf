using System.CommandLine;
using System.Text.Json;
using C2Fast.Cli.Bench;

namespace C2Fast.Cli.Commands;

/// <summary>
/// <c>c2fast bench-chart RESULTS.json CHART.png|svg</c>: redraws the chart of <c>c2fast bench --chart</c> from a report
/// that <c>c2fast bench --json</c> saved, without running the bench again.
/// </summary>
/// <remarks>Exit codes: 0 written; 2 usage (unknown extension, missing or unreadable report).</remarks>
internal sealed class BenchChartCommand
{
    private readonly Argument<FileInfo> _json = new("RESULTS") { Description = "A report written by `c2fast bench --json`." };
    private readonly Argument<FileInfo> _chart = new("CHART") { Description = "The chart to write: .png or .svg." };

    public BenchChartCommand()
    {
        Command = new Command("bench-chart", "Draw the `c2fast bench` chart (messages/s per client, by mix, ws and wss) from a saved --json report.");
        Command.Arguments.Add(_json);
        Command.Arguments.Add(_chart);
        Command.SetAction(RunAsync);
    }

    /// <summary>The <c>bench-chart</c> command.</summary>
    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        TextWriter error = result.InvocationConfiguration.Error;
        FileInfo json = result.GetRequiredValue(_json);
        FileInfo chart = result.GetRequiredValue(_chart);
        if (!BenchChart.IsSupported(chart.Name))
        {
            await error.WriteLineAsync($"c2fast bench-chart: the chart must end in .png or .svg, not '{chart.Name}'.").ConfigureAwait(false);
            return 2;
        }

        BenchReport? report;
        try
        {
            byte[] bytes = await File.ReadAllBytesAsync(json.FullName, cancellationToken).ConfigureAwait(false);
            report = JsonSerializer.Deserialize(bytes, BenchJson.Default.BenchReport);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            await error.WriteLineAsync($"c2fast bench-chart: cannot read {json.FullName}: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        if (report is null)
        {
            await error.WriteLineAsync($"c2fast bench-chart: {json.FullName} holds no report.").ConfigureAwait(false);
            return 2;
        }

        BenchChart.Save(report, chart.FullName);
        await error.WriteLineAsync($"c2fast bench-chart: chart written to {chart.FullName}").ConfigureAwait(false);
        if (BenchChart.NoFonts)
        {
            await error.WriteLineAsync("c2fast bench-chart: " + BenchChart.NoFontsHint).ConfigureAwait(false);
        }

        return 0;
    }
}
