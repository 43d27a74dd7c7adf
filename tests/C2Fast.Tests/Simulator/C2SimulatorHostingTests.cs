using C2Fast.Simulator;

namespace C2Fast.Tests.Simulator;

public class C2SimulatorHostingTests
{
    /// <summary>
    /// The host of an ASP.NET Core app watches its content root (the working directory) recursively for
    /// appsettings changes, on a ".NET File Watch" thread; under a bench the repository's file churn then costs CPU.
    /// The simulator is embedded, so it must not.
    /// </summary>
    [Fact]
    public async Task Start_DoesNotWatchTheWorkingDirectory()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // thread names are read from /proc
        }

        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions());
        await using var client = await SimTestClient.ConnectAsync(sim); // the host is running and serving

        string[] threads = Directory.GetDirectories("/proc/self/task")
            .Select(task => File.Exists(Path.Combine(task, "comm")) ? File.ReadAllText(Path.Combine(task, "comm")).Trim() : string.Empty)
            .ToArray();

        Assert.Contains("Kestrel Timer", threads); // this server's own thread: the names are read right
        Assert.DoesNotContain(".NET File Watch", threads);
    }
}
