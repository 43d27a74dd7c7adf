using C2Fast.Simulator;

namespace C2Fast.IntegrationTests.Simulator;

public class C2SimulatorHostingTests
{
    /// <summary>
    /// By default an ASP.NET Core host watches its content root (the working directory) recursively for
    /// appsettings changes, on a ".NET File Watch" thread, so every file written under that directory costs the
    /// process CPU (a bench's simulator included). The simulator is embedded, so it must not watch anything.
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

        string[] threads = Directory.GetDirectories("/proc/self/task").Select(ThreadName).ToArray();

        Assert.Contains("Kestrel Timer", threads); // this server's own thread: the names are read right
        Assert.DoesNotContain(".NET File Watch", threads);
    }

    // A thread may end between the listing and the read: it then has no name to check.
    private static string ThreadName(string taskDirectory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(taskDirectory, "comm")).Trim();
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }
}
