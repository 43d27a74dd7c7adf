using System.Diagnostics;

namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>The <c>c2fast</c> command (the built C2Fast.Cli.dll) run as a process to its end, within a bound.</summary>
internal static class CliProcess
{
    /// <summary>
    /// Runs <c>dotnet C2Fast.Cli.dll</c> with <paramref name="args"/> and waits for it to exit; past
    /// <paramref name="bound"/> it is killed (its whole tree) and the test fails with what it printed so far.
    /// </summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(TimeSpan bound, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "C2Fast.Cli.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(bound);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"c2fast {string.Join(' ', args)} did not exit within {bound}:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
