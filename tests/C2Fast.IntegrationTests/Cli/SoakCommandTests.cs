using System.Text.Json;
using C2Fast.IntegrationTests.Infrastructure;

namespace C2Fast.IntegrationTests.Cli;

/// <summary>
/// <c>c2fast soak --quick</c> as a process: about 22 s against the simulator with every fault kind (seed 4 puts the
/// long stall last in the first round), fast heartbeats, stalling consumers; the verdict and the report's figures.
/// </summary>
public class SoakCommandTests
{
    private static readonly string[] Kinds = ["cut", "rst", "stall", "long-stall", "close-1008", "restart"];

    [Fact]
    public async Task SoakQuick_EveryFaultKind_PassesWithEverySignalOnceAndEveryHeartbeatAcked()
    {
        string json = Path.Combine(Path.GetTempPath(), $"c2fast-soak-{Guid.NewGuid():N}.json");
        try
        {
            // 22 s run + drain + start-up; the suite shares 2 cores
            (int exitCode, string stdout, string stderr) = await CliProcess.RunAsync(TimeSpan.FromMinutes(2), "soak", "--quick", "--seed", "4", "--fault-every", "1", "--duration", "22", "--json", json);
            string output = stdout + stderr;
            Assert.True(exitCode == 0, output);
            Assert.Contains("verdict: PASS", output, StringComparison.Ordinal);

            using JsonDocument document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
            JsonElement root = document.RootElement;
            Assert.Equal(4, root.GetProperty("seed").GetInt32());
            Assert.True(root.GetProperty("verdict").GetProperty("ok").GetBoolean());
            Assert.Empty(root.GetProperty("verdict").GetProperty("failures").EnumerateArray());
            Assert.True(root.GetProperty("caughtUp").GetBoolean());

            // Every fault kind was planned (the seed's schedule); most faults were injected (one finding no live subscribed
            // connection in time on a loaded machine is skipped, with a warning, not a failure).
            var faults = root.GetProperty("faults").EnumerateArray().ToList();
            Assert.All(Kinds, kind => Assert.Contains(faults, f => f.GetProperty("kind").GetString() == kind));
            Assert.True(faults.Count(f => f.GetProperty("status").GetString() == "injected") * 2 >= faults.Count, $"most faults skipped: {root.GetProperty("faultsByKind")}");
            JsonElement byKind = root.GetProperty("faultsByKind");
            int Injected(string kind) => byKind.TryGetProperty(kind, out JsonElement n) ? n.GetInt32() : 0;
            // Whether the client had to give a long-stalled connection up depends on whether a consumer stall paused its
            // read loop meanwhile (silence is expected then): only that each fault's effect was recorded is asserted.
            Assert.All(root.GetProperty("faults").EnumerateArray().Where(f => f.GetProperty("status").GetString() == "injected"),
                f => Assert.False(string.IsNullOrEmpty(f.GetProperty("outcome").GetString())));

            // Every signal of every strategy exactly once and in order.
            var signals = root.GetProperty("signals").EnumerateArray().ToList();
            Assert.Equal(3, signals.Count);
            Assert.All(signals, s =>
            {
                Assert.True(s.GetProperty("published").GetInt64() > 100);
                Assert.Equal(s.GetProperty("published").GetInt64(), s.GetProperty("delivered").GetInt64());
                Assert.Equal(0, s.GetProperty("missing").GetInt64());
                Assert.Equal(0, s.GetProperty("duplicates").GetInt64());
                Assert.Equal(0, s.GetProperty("reordered").GetInt64());
            });
            Assert.True(root.GetProperty("signalTotals").GetProperty("replayedByServer").GetInt64() > 0, "reconnects resumed with a replay");

            // Heartbeats: every one acked (or in flight at a cut), none closed for a missing ack; paused acks were needed.
            JsonElement heartbeats = root.GetProperty("heartbeats");
            Assert.True(heartbeats.GetProperty("sent").GetInt64() > 0);
            Assert.True(heartbeats.GetProperty("acked").GetInt64() > 0);
            Assert.Equal(0, heartbeats.GetProperty("unacked").GetInt64());
            Assert.Equal(0, heartbeats.GetProperty("ackTimeouts").GetInt64());
            Assert.True(heartbeats.GetProperty("clientReceived").GetInt64() > 0);
            Assert.Equal(0, heartbeats.GetProperty("clientShortfall").GetInt64());
            // The consumers' stalls follow the seed; whether one paused the read loop depends on timing, so not asserted.
            Assert.True(root.GetProperty("consumers").GetProperty("shortStalls").GetInt64() + root.GetProperty("consumers").GetProperty("longStalls").GetInt64() >= 1);

            // Connections: reconnects after each fault, restarts, resets; every connection accounted for.
            JsonElement connections = root.GetProperty("connections");
            Assert.True(connections.GetProperty("clientReconnects").GetInt64() >= 1);
            Assert.True(connections.GetProperty("serverStarts").GetInt32() >= 1 + Injected("restart"));
            Assert.True(connections.GetProperty("resets").GetInt64() >= Injected("rst"));
            Assert.Equal(connections.GetProperty("accepted").GetInt64(), connections.GetProperty("ended").GetInt64());
            Assert.Equal(0, connections.GetProperty("internalErrors").GetInt64());

            // Samples every 2 s of the client process, and the four flatness figures (not judged in a quick run).
            var samples = root.GetProperty("samples").EnumerateArray().ToList();
            Assert.InRange(samples.Count(s => s.GetProperty("phase").GetString() == "run"), 5, 13);
            Assert.Single(samples, s => s.GetProperty("phase").GetString() == "end");
            Assert.All(samples, s =>
            {
                Assert.True(s.GetProperty("workingSetBytes").GetInt64() > 1 << 20);
                Assert.True(s.GetProperty("threads").GetInt32() > 1);
                Assert.True(s.GetProperty("handles").GetInt32() > 3);
                Assert.True(s.GetProperty("gcLiveHeapBytes").GetInt64() > 0);
            });
            Assert.Equal(["workingSetBytes", "gcHeapBytes", "threads", "handles"], root.GetProperty("flatness").EnumerateArray().Select(f => f.GetProperty("metric").GetString()));
            Assert.All(root.GetProperty("flatness").EnumerateArray(), f => Assert.False(f.GetProperty("judged").GetBoolean()));
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Fact]
    public async Task SoakDryRun_SameSeed_SameSchedule()
    {
        string first = await RunAsync("soak", "--dry-run", "--seed", "11", "--duration", "5m");
        string second = await RunAsync("soak", "--dry-run", "--seed", "11", "--duration", "5m");

        Assert.Equal(first, second);
        Assert.Contains("fault schedule of seed 11", first, StringComparison.Ordinal);
        Assert.All(Kinds, kind => Assert.Contains(kind, first, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SoakBadOption_UsageExit2()
    {
        (int exitCode, _, string stderr) = await CliProcess.RunAsync(TimeSpan.FromMinutes(1), "soak", "--faults", "meteor");

        Assert.Equal(2, exitCode);
        Assert.Contains("unknown kind 'meteor'", stderr, StringComparison.Ordinal);
    }

    private static async Task<string> RunAsync(params string[] args)
    {
        (int exitCode, string stdout, string stderr) = await CliProcess.RunAsync(TimeSpan.FromMinutes(1), args);
        Assert.True(exitCode == 0, stderr);
        return stdout;
    }
}
