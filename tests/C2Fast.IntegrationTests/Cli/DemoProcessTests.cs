using C2Fast.IntegrationTests.Infrastructure;

namespace C2Fast.IntegrationTests.Cli;

/// <summary>The README's main command, <c>c2fast demo</c>, as a process: it must check itself end to end.</summary>
public class DemoProcessTests
{
    [Fact]
    public async Task Demo_ShortRun_EverySignalOnceWithInjectedDisconnects()
    {
        (int exitCode, string output, string stderr) = await CliProcess.RunAsync(TimeSpan.FromSeconds(60), "demo", "--duration", "5", "--disconnects", "2", "--signal-rate", "50");

        Assert.True(exitCode == 0, output + stderr);
        Assert.Contains("OK: every signal exactly once, in order", output, StringComparison.Ordinal);
        Assert.Contains("injected disconnect 2/2", output, StringComparison.Ordinal);
        Assert.Matches(@"reconnects\s+[1-9]", output);
    }
}
