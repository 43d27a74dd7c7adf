using System.Diagnostics;
using System.Text.Json;
using C2Fast.IntegrationTests.Infrastructure;

namespace C2Fast.IntegrationTests.Cli;

/// <summary><c>c2fast bench --quick --json --chart</c> as a process: every client, mix and transport, everything received, and the chart.</summary>
public class BenchProcessTests
{
    private static readonly string[] Clients = ["c2fast", "c2fast-inline", "cws-stj", "cws-reader", "websocket-client", "python", "raw"];
    private static readonly string[] Mixes = ["small", "typical", "large"];
    private static readonly string[] Transports = ["ws", "wss"];

    [Fact]
    public async Task BenchQuick_JsonAndChart_EveryRowPresentWithPositiveRatesAndEveryMessageReceived()
    {
        string json = Path.Combine(Path.GetTempPath(), $"c2fast-bench-{Guid.NewGuid():N}.json");
        string chart = Path.ChangeExtension(json, ".png");
        try
        {
            var clock = Stopwatch.StartNew();
            // < 60 s alone; the whole suite shares 2 cores
            (int exitCode, string stdout, string stderr) = await CliProcess.RunAsync(TimeSpan.FromMinutes(4), "bench", "--quick", "--json", json, "--chart", chart);
            string output = stdout + stderr;
            Assert.True(exitCode == 0, output);
            Assert.Contains("targets (issue 7)", output, StringComparison.Ordinal);

            using JsonDocument document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
            JsonElement root = document.RootElement;
            Assert.True(root.GetProperty("machine").GetProperty("cores").GetInt32() > 0);
            Assert.False(string.IsNullOrEmpty(root.GetProperty("machine").GetProperty("cpuModel").GetString()));
            Assert.Empty(root.GetProperty("failures").EnumerateArray());
            bool python = !root.GetProperty("settings").GetProperty("python").GetString()!.StartsWith("skipped", StringComparison.Ordinal);

            var rows = root.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(Clients.Length * Mixes.Length * Transports.Length, rows.Count);
            foreach (string transport in Transports)
            {
                foreach (string mix in Mixes)
                {
                    foreach (string client in Clients)
                    {
                        JsonElement row = rows.Single(r => r.GetProperty("client").GetString() == client && r.GetProperty("mix").GetString() == mix && r.GetProperty("transport").GetString() == transport);
                        string label = $"{client} {mix} {transport}";
                        if (client == "python" && !python)
                        {
                            Assert.Equal("skipped (python3-websockets not installed)", row.GetProperty("status").GetString());
                            continue;
                        }

                        Assert.True(row.GetProperty("status").GetString() == "ok", label + ": " + row.GetProperty("status").GetString());
                        Assert.True(row.GetProperty("messagesPerSecond").GetDouble() > 0, label);
                        Assert.True(row.GetProperty("megabytesPerSecond").GetDouble() > 0, label);
                        long sent = row.GetProperty("messagesSentPerRound").GetInt64();
                        Assert.Equal(mix == "large" ? 1_000 : 10_000, sent);
                        Assert.Equal(sent, row.GetProperty("messagesReceivedMin").GetInt64());
                    }
                }
            }

            // Every run: exactly what the simulator sent (messages; bytes for the raw drain; every heartbeat acked).
            foreach (JsonElement run in root.GetProperty("runs").EnumerateArray().Where(r => r.GetProperty("status").GetString() == "ok"))
            {
                Assert.Equal(run.GetProperty("messagesSent").GetInt64(), run.GetProperty("messagesReceived").GetInt64());
                if (run.GetProperty("client").GetString() == "raw")
                {
                    Assert.Equal(run.GetProperty("bytesSent").GetInt64(), run.GetProperty("bytesReceived").GetInt64());
                }
                else
                {
                    Assert.Equal(run.GetProperty("heartbeatsSent").GetInt64(), run.GetProperty("heartbeatsAcked").GetInt64());
                }
            }

            var rtt = root.GetProperty("heartbeatRoundTrips").EnumerateArray().ToList();
            Assert.All(rtt.Where(r => r.GetProperty("state").GetString() == "idle" && r.GetProperty("status").GetString() == "ok"),
                r => Assert.True(r.GetProperty("latency").GetProperty("count").GetInt64() >= 10));
            // Per transport a cold stall run and a warm one (after a 20,000-message fast-consumer flood when quick).
            Assert.Equal(
                Transports.SelectMany(t => new[] { (t, 0L), (t, 20_000L) }).ToList(),
                root.GetProperty("stalledConsumer").EnumerateArray().Select(s => (s.GetProperty("transport").GetString()!, s.GetProperty("warmupMessages").GetInt64())).ToList());
            Assert.Contains(rtt, r => r.GetProperty("state").GetString() == "flood, stalled consumer, cold process");
            Assert.All(root.GetProperty("stalledConsumer").EnumerateArray(), s =>
            {
                Assert.Equal("ok", s.GetProperty("status").GetString());
                Assert.True(s.GetProperty("client").GetProperty("paused").GetBoolean());
                // Every heartbeat answered; extra acks are C2Fast's keep-alives while its loop is paused.
                Assert.True(s.GetProperty("heartbeatsAcked").GetInt64() >= s.GetProperty("heartbeatsSent").GetInt64());
            });
            Assert.NotEmpty(root.GetProperty("targets").EnumerateArray());

            byte[] png = await File.ReadAllBytesAsync(chart);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
            Assert.True(png.Length > 10_000, $"chart is only {png.Length} bytes");
            Assert.Contains("chart written to", output, StringComparison.Ordinal);
            Console.WriteLine($"bench --quick took {clock.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            File.Delete(json);
            File.Delete(chart);
        }
    }
}
