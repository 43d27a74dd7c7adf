using System.Diagnostics;

namespace C2Fast.IntegrationTests.Cli;

/// <summary>The README's main command, <c>c2fast demo</c>, as a process: it must check itself end to end.</summary>
public class DemoProcessTests
{
    [Fact]
    public async Task Demo_ShortRun_EverySignalOnceWithInjectedDisconnects()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "C2Fast.Cli.dll"), "demo", "--duration", "5", "--disconnects", "2", "--signal-rate", "50" })
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        string output = await stdout;

        Assert.True(process.ExitCode == 0, output + await stderr);
        Assert.Contains("OK: every signal exactly once, in order", output, StringComparison.Ordinal);
        Assert.Contains("injected disconnect 2/2", output, StringComparison.Ordinal);
        Assert.Matches(@"reconnects\s+[1-9]", output);
    }
}
