using System.Text.Json;
using C2Fast.Cli.Bench;
using C2Fast.Cli.Bench.Clients;

namespace C2Fast.Tests.Cli.Bench;

public class BenchJsonTests
{
    [Fact]
    public void Report_RoundTripsWithCamelCaseNamesAndNoNulls()
    {
        var report = new BenchReport
        {
            Machine = new BenchMachine("AMD EPYC", 2, "Debian", ".NET 10", 24L << 30, "2026-11-25T00:00:00Z"),
            Settings = new BenchSettings
            {
                CommandLine = "c2fast bench --quick", Mixes = ["typical"], Transports = ["ws"], Clients = ["c2fast"],
                Messages = new Dictionary<string, long> { ["typical"] = 20_000 }, Python = "skipped (python3-websockets not installed)",
            },
            Basis = ["steady state"],
            Rows = [new BenchRow { Client = "c2fast", Mix = "typical", Transport = "ws", Status = "ok", MessagesPerSecond = 1e6, RoundRates = [1e6, double.NaN] }],
            HeartbeatRoundTrips = [new BenchRttRow("c2fast", "ws", "idle", null, new BenchLatency(3, 0.1, 0.2, 0.2, 0.3), 3, 3, "ok")],
            StalledConsumer = [],
            Targets = [new BenchTarget("t", "typical", "ws", null, 2, null, "")],
            Runs = [],
            Failures = [],
            Notes = ["c2fast typical ws: steady-state window 0.10 s"],
        };

        string json = JsonSerializer.Serialize(report, BenchJson.Indented.BenchReport);
        var back = JsonSerializer.Deserialize(json, BenchJson.Default.BenchReport)!;

        using var document = JsonDocument.Parse(json);
        Assert.Equal("c2fast bench", document.RootElement.GetProperty("tool").GetString());
        Assert.Equal(1e6, document.RootElement.GetProperty("rows")[0].GetProperty("messagesPerSecond").GetDouble());
        Assert.False(document.RootElement.GetProperty("rows")[0].TryGetProperty("ratioToC2Fast", out _)); // nulls are left out
        Assert.Equal("NaN", document.RootElement.GetProperty("rows")[0].GetProperty("roundRates")[1].GetString()); // a failed round
        Assert.Equal(report.Machine, back.Machine);
        Assert.Equal(report.HeartbeatRoundTrips, back.HeartbeatRoundTrips);
        Assert.Equal(20_000, back.Settings.Messages["typical"]);
        Assert.Equal(report.Notes, back.Notes);
    }

    [Fact]
    public void ClientResultLine_AsThePythonScriptPrintsIt()
    {
        var line = """RESULT {"client": "python", "status": "ok", "messages": 1000, "heartbeats": 1, "bytes": 0, "windowSeconds": 0.5, "windowMessages": 900, "windowBytes": 0, "peakWorkingSetBytes": 20480000, "cpuSeconds": 0.4}""";

        var result = BenchChild.ParseResult(line);

        Assert.Equal(("python", "ok", 1000L, 1L, 0.5, 900.0), (result.Client, result.Status, result.Messages, result.Heartbeats, result.WindowSeconds, result.WindowMessages));
        Assert.Null(result.AllocatedBytes);
        Assert.Equal(0.4, result.CpuSeconds);
        Assert.Throws<BenchFailure>(() => BenchChild.ParseResult("RESULT {not json"));
    }

    [Theory]
    [InlineData("""{"msg_type":"strategy.signal","id":"msg_1","seq_id":42,"timestamp":"t","v":4,"payload":{"a":[1,{"b":2}]}}""", "other", 42)]
    [InlineData("""{"payload":{"seq_id":7,"msg_type":"heartbeat"},"seq_id":9,"v":4,"msg_type":"strategy.signal"}""", "other", 9)]
    [InlineData("""{"msg_type":"heartbeat","id":"msg_2","timestamp":"t","v":4}""", "heartbeat", 0)]
    [InlineData("""{"msg_type":"connection.connected","id":"msg_3","seq_id":null,"v":4}""", "connected", 0)]
    public void HandReaderScan_FindsTypeAndSeqIdInAnyOrder(string json, string kind, long seqId)
    {
        Assert.Equal(kind, ClientWebSocketReaderClient.Scan(System.Text.Encoding.UTF8.GetBytes(json), out long seq).ToString().ToLowerInvariant());
        Assert.Equal(seqId, seq);
    }

    [Fact]
    public void Plan_QuickRunsEveryClientOnceAndOptionsAreChecked()
    {
        var command = new C2Fast.Cli.Commands.BenchCommand();
        var root = new System.CommandLine.RootCommand { command.Command };

        var (quick, _) = command.ToPlan(root.Parse("bench --quick --clients c2fast --transport ws"), null, "not installed", "c2fast bench --quick");
        var (custom, _) = command.ToPlan(root.Parse("bench --clients raw,c2fast,raw --mix large --rounds 5 --messages 1234"), "/usr/bin/python3", "ok", "x");
        var (_, badMix) = command.ToPlan(root.Parse("bench --mix huge"), null, "", "x");
        var (_, badClient) = command.ToPlan(root.Parse("bench --clients netty"), null, "", "x");
        var (_, badTransport) = command.ToPlan(root.Parse("bench --transport quic"), null, "", "x");
        var (_, badChart) = command.ToPlan(root.Parse("bench --chart out.jpg"), null, "", "x");
        var (withChart, _) = command.ToPlan(root.Parse("bench --chart out.SVG"), null, "", "x");
        var (asyncReceive, _) = command.ToPlan(root.Parse("bench --c2fast-receive-thread off"), null, "", "x");
        var (_, badReceive) = command.ToPlan(root.Parse("bench --c2fast-receive-thread maybe"), null, "", "x");

        Assert.Equal(BenchClients.All, quick!.Clients);
        Assert.Equal((1, true, 10_000L, 1_000L), (quick.Rounds, quick.Quick, quick.MessagesFor(BenchMix.Typical), quick.MessagesFor(BenchMix.Large)));
        Assert.Equal(["ws"], quick.Transports);
        Assert.Equal([BenchClientKind.Raw, BenchClientKind.C2Fast], custom!.Clients);
        Assert.Equal([BenchMix.Large], custom.Mixes);
        Assert.Equal((5, 1234L), (custom.Rounds, custom.MessagesFor(BenchMix.Large)));
        Assert.Equal(["ws", "wss"], custom.Transports);
        Assert.Contains("--mix", badMix, StringComparison.Ordinal);
        Assert.Contains("netty", badClient, StringComparison.Ordinal);
        Assert.Contains("--transport", badTransport, StringComparison.Ordinal);
        Assert.Contains("--chart", badChart, StringComparison.Ordinal);
        Assert.NotNull(withChart);
        Assert.True(quick.C2FastReceiveThread); // the library default unless asked
        Assert.False(asyncReceive!.C2FastReceiveThread);
        Assert.Contains("--c2fast-receive-thread", badReceive, StringComparison.Ordinal);
    }
}
