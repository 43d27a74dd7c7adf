using System.Diagnostics;
using System.Text;
using System.Text.Json;
using C2Fast.Cli.Commands;
using C2Fast.Simulator;

namespace C2Fast.IntegrationTests.Cli;

/// <summary><c>c2fast stream</c> as a separate process against the in-process simulator: stdout, stderr and exit codes.</summary>
public class StreamProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    internal static async Task<(int Exit, string[] Lines, string Error)> RunStreamAsync(string? apiKey, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8 };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "C2Fast.Cli.dll"));
        start.ArgumentList.Add("stream");
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("C2_API_KEY");
        if (apiKey is not null)
        {
            start.Environment["C2_API_KEY"] = apiKey;
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"c2fast stream did not exit: {await stderr}");
        }

        return (process.ExitCode, (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries), await stderr);
    }

    [Fact]
    public async Task Stream_ResumeFrom_PrintsReplayedThenLiveSignalsAsNdjsonAndExits0()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(new C2SimulatorOptions { Strategies = [101], History = 20 });

        var (exit, lines, error) = await RunStreamAsync(C2SimulatorOptions.DemoApiKey,
            "--url", simulator.Uri!.ToString(), "--strategy", "101", "--resume-from", "5", "--max-messages", "15");

        Assert.True(exit == StreamCommand.ExitOk, error);
        Assert.Equal(15, lines.Length);
        long expected = 6;
        foreach (string line in lines)
        {
            using JsonDocument json = JsonDocument.Parse(line);
            Assert.Equal("strategy.signal", json.RootElement.GetProperty("msg_type").GetString());
            Assert.Equal(expected++, json.RootElement.GetProperty("seq_id").GetInt64());
            Assert.Equal(101, json.RootElement.GetProperty("payload").GetProperty("strategy_id").GetInt64());
        }

        Assert.Contains("printed 15 message(s)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_GapGoesToStderrAsOneLine()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(new C2SimulatorOptions { Strategies = [101], History = 1100 });

        var (exit, lines, error) = await RunStreamAsync(C2SimulatorOptions.DemoApiKey,
            "--url", simulator.Uri!.ToString(), "--strategy", "101", "--resume-from", "1", "--max-messages", "1000", "--duration", "10");

        Assert.True(exit == StreamCommand.ExitOk, error);
        Assert.Equal(1000, lines.Length);
        Assert.Matches(@"gap strategy=101 from=\d+ channel=strategy\.signal:101", error);
    }

    [Fact]
    public async Task Stream_NoApiKey_ExplainsAndExits2()
    {
        var (exit, lines, error) = await RunStreamAsync(null, "--url", "ws://127.0.0.1:9/ws", "--strategy", "101");
        Assert.Equal(StreamCommand.ExitUsage, exit);
        Assert.Empty(lines);
        Assert.Contains("C2_API_KEY", error, StringComparison.Ordinal);
        Assert.Contains("simulate", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_WrongKey_Exits3()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(new C2SimulatorOptions { Strategies = [101] });
        var (exit, _, error) = await RunStreamAsync("wrong", "--url", simulator.Uri!.ToString(), "--strategy", "101");
        Assert.True(exit == StreamCommand.ExitAuthentication, error);
    }

    [Fact]
    public async Task Stream_Rejected429_Exits4()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(new C2SimulatorOptions { Strategies = [101] });
        simulator.RejectNextHandshakes(1, 429);
        var (exit, _, error) = await RunStreamAsync(C2SimulatorOptions.DemoApiKey, "--url", simulator.Uri!.ToString(), "--strategy", "101");
        Assert.True(exit == StreamCommand.ExitRejected, error);
    }

    [Fact]
    public async Task Stream_NothingListening_Exits6()
    {
        var (exit, _, error) = await RunStreamAsync(C2SimulatorOptions.DemoApiKey, "--url", "ws://127.0.0.1:9/ws", "--strategy", "101");
        Assert.True(exit == StreamCommand.ExitNetwork, error);
    }

    [Theory]
    [InlineData(C2FeedError.AuthenticationFailed, null, null, 3)]
    [InlineData(C2FeedError.ServerError, "FORBIDDEN", null, 3)]
    [InlineData(C2FeedError.ConnectionRejected, null, null, 4)]
    [InlineData(C2FeedError.ConnectionClosed, null, 1008, 4)]
    [InlineData(C2FeedError.ConnectionClosed, null, 1011, 6)]
    [InlineData(C2FeedError.ProtocolViolation, null, 1002, 5)]
    [InlineData(C2FeedError.InvalidUtf8, null, 1007, 5)]
    [InlineData(C2FeedError.ConnectionLost, null, null, 6)]
    [InlineData(C2FeedError.Timeout, null, null, 6)]
    public void ExitCodeOf_MapsEveryErrorToTheDocumentedCode(C2FeedError error, string? serverCode, int? closeStatus, int exit)
    {
        Assert.Equal(exit, StreamCommand.ExitCodeOf(new C2FeedException(error, "x") { ServerCode = serverCode, CloseStatus = closeStatus }));
    }
}

/// <summary>
/// <c>c2fast stream --checkpoint</c> killed with SIGKILL and restarted: nothing is lost and order holds.
/// A kill that lands between a flushed batch and its checkpoint save replays that one batch on restart
/// (stdout and the checkpoint file cannot change atomically together), so repeats are bounded to the
/// lines just before each kill, never anywhere else.
/// </summary>
public class StreamKillTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Stream_Checkpoint_KilledFiveTimes_UnionIsEverySignalOnceInOrder()
    {
        string checkpoint = Path.Combine(Path.GetTempPath(), $"c2fast-stream-{Guid.NewGuid():N}.json");
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(new C2SimulatorOptions { Strategies = [101], SignalRate = 200, History = 0 });
        var random = new Random(9);
        var runs = new List<List<long>>();
        try
        {
            for (int run = 0; run < 6; run++)
            {
                var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "C2Fast.Cli.dll"), "stream", "--url", simulator.Uri!.ToString(), "--strategy", "101", "--checkpoint", checkpoint, "--duration", "3" })
                {
                    start.ArgumentList.Add(arg);
                }

                start.Environment["C2_API_KEY"] = C2SimulatorOptions.DemoApiKey;
                using Process process = Process.Start(start)!;
                Task<string> stdout = process.StandardOutput.ReadToEndAsync();
                Task<string> stderr = process.StandardError.ReadToEndAsync();
                if (run < 5)
                {
                    await Task.Delay(random.Next(900, 1600)); // dotnet start-up takes most of the first ~0.5 s
                    process.Kill(); // SIGKILL: no flush, no final checkpoint save
                }

                await process.WaitForExitAsync();
                var lines = new List<long>();
                foreach (string line in (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    using var json = System.Text.Json.JsonDocument.Parse(line);
                    lines.Add(json.RootElement.GetProperty("seq_id").GetInt64());
                }

                runs.Add(lines);
                string err = await stderr;
                output.WriteLine($"run {run}: {lines.Count} lines {(lines.Count > 0 ? $"{lines[0]}..{lines[^1]}" : "")} checkpoint {(File.Exists(checkpoint) ? File.ReadAllText(checkpoint).ReplaceLineEndings(" ") : "none")}");
                output.WriteLine(err.ReplaceLineEndings(" | "));

            }
        }
        finally
        {
            File.Delete(checkpoint);
        }

        List<long> distinct = runs.SelectMany(r => r).Distinct().Order().ToList();
        Assert.True(distinct.Count > 100, $"{distinct.Count} signals");
        Assert.Equal(Enumerable.Range((int)distinct[0], distinct.Count).Select(i => (long)i), distinct); // nothing lost
        long printedBefore = 0;
        foreach (List<long> run in runs)
        {
            Assert.Equal(run.Order(), run);                         // in order within a run
            Assert.Equal(run.Count, run.Distinct().Count());        // never twice within a run
            int repeats = run.Count(seq => seq <= printedBefore);
            Assert.True(repeats <= 20, $"{repeats} lines repeated after a kill");
            Assert.All(run.Take(repeats), seq => Assert.True(seq <= printedBefore)); // repeats only at the start
            printedBefore = Math.Max(printedBefore, run.Count > 0 ? run[^1] : 0);
        }
    }
}
