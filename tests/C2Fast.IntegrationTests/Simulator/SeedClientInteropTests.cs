using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using C2Fast.Simulator;

namespace C2Fast.IntegrationTests.Simulator;

/// <summary>
/// The vendor's own example loop (tests/peers/seed_client.py) on Debian's python3-websockets 10.4: a client that
/// shares no code with .NET, driving the simulator.
/// </summary>
public class SeedClientInteropTests
{
    private const string Python = "/usr/bin/python3";

    internal static string PeersDirectory => Path.GetFullPath(typeof(SeedClientInteropTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PeersDirectory").Value!);

    private static async Task<(int ExitCode, List<JsonElement> Events, string Output)> RunSeedClientAsync(params string[] args)
    {
        Assert.True(File.Exists(Python), "Debian python3 is needed (./test.sh installs python3-websockets)");
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(PeersDirectory, "seed_client.py"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var output = await stdout + await stderr;
        Assert.DoesNotContain("ModuleNotFoundError", output, StringComparison.Ordinal);
        var events = output.Split('\n')
            .Where(l => l.StartsWith("EVENT ", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l[6..]).RootElement.Clone())
            .ToList();
        return (process.ExitCode, events, output);
    }

    private static JsonElement Event(List<JsonElement> events, string kind) =>
        events.Single(e => e.GetProperty("event").GetString() == kind);

    [Fact]
    public async Task SeedClient_AnswersHeartbeats_StaysConnectedForFiveHeartbeats()
    {
        // A generous grace: on a loaded 2-core machine a python ack can take a few hundred milliseconds.
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions
        {
            HeartbeatInterval = TimeSpan.FromSeconds(0.3), HeartbeatGrace = TimeSpan.FromSeconds(1),
        });

        var (exitCode, events, output) = await RunSeedClientAsync("--url", sim.Uri!.ToString(), "--key", C2SimulatorOptions.DemoApiKey, "--heartbeats", "5", "--timeout", "10");

        Assert.True(exitCode == 0, output);
        Assert.Contains("Connected: connection.connected", output, StringComparison.Ordinal);
        Assert.Equal(5, events.Count(e => e.GetProperty("event").GetString() == "heartbeat"));
        var closed = Event(events, "closed");
        Assert.Equal(1000, closed.GetProperty("code").GetInt32()); // the client closed: the server never did
        await SimOptions.EventuallyAsync(() => sim.GetCounters().AcksReceived >= 4, "acks received");
        Assert.Empty(sim.GetCounters().ServerClosesByCode);
        Assert.True(sim.GetHeartbeatRoundTrip().Count >= 4);
    }

    [Fact]
    public async Task SeedClient_NoAck_Closed1008AfterIntervalPlusGrace()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions
        {
            HeartbeatInterval = TimeSpan.FromSeconds(0.3), HeartbeatGrace = TimeSpan.FromSeconds(0.2),
        });

        var (exitCode, events, output) = await RunSeedClientAsync("--url", sim.Uri!.ToString(), "--key", C2SimulatorOptions.DemoApiKey, "--no-ack", "--timeout", "10");

        Assert.True(exitCode == 0, output);
        var closed = Event(events, "closed");
        Assert.Equal(1008, closed.GetProperty("code").GetInt32());
        var first = Event(events, "first").GetProperty("t").GetDouble();
        var closedAfter = closed.GetProperty("t").GetDouble() - first;
        Assert.InRange(closedAfter, 0.4, 3.0); // interval + grace = 0.5 s after the open
        Assert.Equal(1, closed.GetProperty("heartbeats").GetInt32());
        Assert.Equal(1, sim.GetCounters().ServerClosesByCode[1008]);
    }

    [Fact]
    public async Task SeedClient_WrongKey_Gets401WithJsonBody()
    {
        await using var sim = await SimOptions.StartAsync();

        var (exitCode, events, output) = await RunSeedClientAsync("--url", sim.Uri!.ToString(), "--key", "not-a-key", "--timeout", "10");

        Assert.True(exitCode == 3, output);
        var rejected = Event(events, "rejected");
        Assert.Equal(401, rejected.GetProperty("status").GetInt32());
        Assert.Equal("Invalid API key", rejected.GetProperty("x_ws_error").GetString());
        var body = JsonDocument.Parse(rejected.GetProperty("body").GetString()!).RootElement;
        Assert.Equal("UNAUTHORIZED", body.GetProperty("code").GetString());
        Assert.Equal("Invalid API key", body.GetProperty("message").GetString());
    }

    [Fact]
    public async Task SeedClient_Tls_TrustsTheSimulatorCa()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions
        {
            // Grace wide enough for a python start-up on a loaded machine: this test is about TLS trust, not timing.
            UseTls = true, HeartbeatInterval = TimeSpan.FromSeconds(0.2), HeartbeatGrace = TimeSpan.FromSeconds(2),
        });
        var caPath = Path.Combine(Path.GetTempPath(), $"c2sim-ca-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(caPath, sim.CaCertificatePem);
        try
        {
            var (exitCode, events, output) = await RunSeedClientAsync(
                "--url", sim.Uri!.ToString(), "--key", C2SimulatorOptions.DemoApiKey, "--ca", caPath, "--heartbeats", "2", "--timeout", "10");

            Assert.StartsWith("wss://127.0.0.1:", sim.Uri.ToString(), StringComparison.Ordinal);
            Assert.True(exitCode == 0, output);
            Assert.Equal(1000, Event(events, "closed").GetProperty("code").GetInt32());
        }
        finally
        {
            File.Delete(caPath);
        }
    }
}
