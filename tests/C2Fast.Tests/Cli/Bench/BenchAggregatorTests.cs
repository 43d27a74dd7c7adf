using C2Fast.Cli.Bench;

namespace C2Fast.Tests.Cli.Bench;

public class BenchAggregatorTests
{
    private static BenchRun Run(string client, double rate, int round, string status = "ok", string mix = "typical", string transport = "ws", BenchLatency? rtt = null) => new()
    {
        Client = client, Mix = mix, Transport = transport, Round = round, Status = status, MessagesSent = 1000, MessagesReceived = status == "ok" ? 1000 : 10,
        MessagesPerSecond = rate, MegabytesPerSecond = rate * 300 / 1e6, AllocatedBytesPerMessage = client == "c2fast" ? 0 : 500, Gen0 = 1, Gen1 = 0, Gen2 = 0,
        PeakWorkingSetBytes = 50 << 20, CpuMicrosecondsPerMessage = 2, FloodRoundTrip = rtt,
    };

    private static BenchPlan Plan(params BenchClientKind[] clients) => new()
    {
        Clients = clients, Mixes = [BenchMix.Typical], Transports = ["ws"], Rounds = 3, CommandLine = "c2fast bench",
    };

    [Fact]
    public void Rows_MediansOverRoundsAndRatioToC2Fast()
    {
        BenchRun[] runs =
        [
            Run("c2fast", 900, 0), Run("c2fast", 1000, 1), Run("c2fast", 1100, 2),
            Run("cws-stj", 100, 0), Run("cws-stj", 300, 1), Run("cws-stj", 200, 2),
        ];

        var rows = BenchAggregator.Rows(runs, Plan(BenchClientKind.C2Fast, BenchClientKind.ClientWebSocketStj), null);

        var c2fast = rows.Single(r => r.Client == "c2fast");
        var stj = rows.Single(r => r.Client == "cws-stj");
        Assert.Equal(("ok", 1000.0, 1.0, 3), (c2fast.Status, c2fast.MessagesPerSecond!.Value, c2fast.RatioToC2Fast!.Value, c2fast.RoundsOk));
        Assert.Equal(200, stj.MessagesPerSecond);
        Assert.Equal(0.2, stj.RatioToC2Fast!.Value, 9);
        Assert.Equal(500, stj.AllocatedBytesPerMessage);
        Assert.Equal([100.0, 300.0, 200.0], stj.RoundRates);
        Assert.Equal(1000, stj.MessagesReceivedMin);
    }

    [Fact]
    public void Rows_AFailedRoundMakesTheRowFailedButKeepsTheGoodRoundsFigures()
    {
        BenchRun[] runs = [Run("c2fast", 1000, 0), Run("c2fast", 0, 1, status: "FAILED"), Run("c2fast", 1200, 2)];

        var row = BenchAggregator.Rows(runs, Plan(BenchClientKind.C2Fast), null).Single();

        Assert.Equal("FAILED", row.Status);
        Assert.Equal(2, row.RoundsOk);
        Assert.Equal(1100, row.MessagesPerSecond);
        Assert.Equal(10, row.MessagesReceivedMin); // the loss is visible
        Assert.Null(row.RatioToC2Fast);
        Assert.True(double.IsNaN(row.RoundRates[1]));
    }

    [Fact]
    public void Rows_PythonSkippedIsReportedWithItsReason()
    {
        BenchRun[] runs = [Run("c2fast", 1000, 0), Run("python", 0, 0, status: "skipped")];

        var rows = BenchAggregator.Rows(runs, Plan(BenchClientKind.C2Fast, BenchClientKind.Python), "skipped (python3-websockets not installed)");

        Assert.Equal("skipped (python3-websockets not installed)", rows.Single(r => r.Client == "python").Status);
        Assert.Null(rows.Single(r => r.Client == "python").MessagesPerSecond);
    }

    [Fact]
    public void MedianLatency_PerPercentile()
    {
        var median = BenchAggregator.MedianLatency([new BenchLatency(10, 1, 5, 9, 10), null, new BenchLatency(30, 3, 1, 7, 30), new BenchLatency(20, 2, 3, 8, 20)]);

        Assert.Equal(new BenchLatency(20, 2, 3, 8, 20), median);
        Assert.Null(BenchAggregator.MedianLatency([null]));
    }

    [Fact]
    public void Targets_ComparedAsTheIssueStatesThem()
    {
        BenchRun[] runs =
        [
            Run("c2fast", 1000, 0), Run("cws-reader", 400, 0), Run("cws-stj", 200, 0), Run("raw", 2000, 0),
            Run("c2fast", 700, 0, transport: "wss"), Run("raw", 1000, 0, transport: "wss"),
        ];
        var plan = Plan(BenchClientKind.C2Fast, BenchClientKind.ClientWebSocketReader, BenchClientKind.ClientWebSocketStj, BenchClientKind.Raw) with { Transports = ["ws", "wss"] };
        var rows = BenchAggregator.Rows(runs, plan, null);
        var stall = new BenchStallResult
        {
            Transport = "ws", Status = "ok", WarmupMessages = 1000, StalledRoundTrip = new BenchLatency(10, 3, 30, 30, 30), FastRoundTrip = new BenchLatency(10, 2, 10, 10, 10),
        };
        // A cold stall run is reported but not judged: its code had not been optimized, unlike the fast consumer's.
        var cold = stall with { WarmupMessages = 0, StalledRoundTrip = new BenchLatency(10, 50, 90, 90, 90) };

        List<BenchTarget> all = BenchAggregator.Targets(rows, [cold, stall]);
        Assert.Equal(2, all.Count(t => t.Name.StartsWith("stalled-consumer", StringComparison.Ordinal)));
        var targets = all.ToDictionary(t => (t.Name, t.Transport));

        Assert.Equal((2.5, true), (targets[("C2Fast ≥ 2× cws-reader (messages/s)", "ws")].Measured, targets[("C2Fast ≥ 2× cws-reader (messages/s)", "ws")].Met));
        Assert.Equal((5.0, false), (targets[("C2Fast ≥ 6× cws-stj (messages/s)", "ws")].Measured, targets[("C2Fast ≥ 6× cws-stj (messages/s)", "ws")].Met));
        Assert.Equal(0.5, targets[("C2Fast ≥ 40 % of the raw drain (bytes/s)", "ws")].Measured!.Value, 9);
        Assert.Equal(0.7, targets[("C2Fast ≥ 70 % of the raw TLS drain (bytes/s)", "wss")].Measured!.Value, 9);
        Assert.True(targets[("C2Fast ≥ 70 % of the raw TLS drain (bytes/s)", "wss")].Met);
        Assert.Equal((1.5, true), (targets[("stalled-consumer ack RTT p50 ≤ 2× fast-consumer RTT", "ws")].Measured, targets[("stalled-consumer ack RTT p50 ≤ 2× fast-consumer RTT", "ws")].Met));
        Assert.Equal((3.0, false), (targets[("stalled-consumer ack RTT p99 ≤ 2× fast-consumer RTT", "ws")].Measured, targets[("stalled-consumer ack RTT p99 ≤ 2× fast-consumer RTT", "ws")].Met));
    }

    [Fact]
    public void Check_AnythingShortOfEverythingFailsTheRun()
    {
        var plan = new C2Fast.Simulator.C2FloodResult(1000, 990, 0, 10, 300_000, TimeSpan.Zero, 1, 990, true);
        var sent = plan with { Elapsed = TimeSpan.FromSeconds(1) };
        BenchClientResult All(string client) => new() { Client = client, Status = "ok", Messages = 1000, Heartbeats = 10, Bytes = 300_000 };

        Assert.Null(BenchRunner.Check(BenchClientKind.C2Fast, plan, sent, All("c2fast"), 10, 0, ""));
        Assert.Null(BenchRunner.Check(BenchClientKind.Raw, plan, sent, All("raw") with { Heartbeats = 0 }, 0, 0, ""));
        Assert.Equal("received 999 of 1000 messages", BenchRunner.Check(BenchClientKind.ClientWebSocketStj, plan, sent, All("cws-stj") with { Messages = 999 }, 10, 0, ""));
        Assert.Equal("received 299999 of 300000 bytes", BenchRunner.Check(BenchClientKind.Raw, plan, sent, All("raw") with { Bytes = 299_999 }, 0, 0, ""));
        Assert.Contains("heartbeats: 10 sent", BenchRunner.Check(BenchClientKind.Python, plan, sent, All("python"), 9, 0, ""), StringComparison.Ordinal);
        Assert.Null(BenchRunner.Check(BenchClientKind.C2Fast, plan, sent, All("c2fast"), 14, 0, "")); // + keep-alive acks sent while paused
        Assert.Contains("client saw 9", BenchRunner.Check(BenchClientKind.C2Fast, plan, sent, All("c2fast") with { Heartbeats = 9 }, 14, 0, ""), StringComparison.Ordinal);
        Assert.Contains("simulator sent", BenchRunner.Check(BenchClientKind.C2Fast, plan, sent with { Completed = false }, All("c2fast"), 10, 0, ""), StringComparison.Ordinal);
        Assert.Equal("client: timed out — boom", BenchRunner.Check(BenchClientKind.C2Fast, plan, sent, All("c2fast") with { Status = "timed out" }, 10, 0, "boom"));
        Assert.Equal("the client exited with code 3", BenchRunner.Check(BenchClientKind.C2Fast, plan, sent, All("c2fast"), 10, 3, ""));
    }

    [Fact]
    public void ShortWindowNotes_FlagEachRowWithAShortSuccessfulWindowOnce()
    {
        BenchRun[] runs =
        [
            Run("c2fast", 1000, 0) with { WindowSeconds = 1.25 },
            Run("c2fast", 1000, 1) with { WindowSeconds = 0.75 },
            Run("c2fast", 1000, 2) with { WindowSeconds = 2.5 },
            Run("cws-stj", 100, 0) with { WindowSeconds = 9 },
            Run("raw", 0, 0, status: "FAILED") with { WindowSeconds = 0 },
            Run("c2fast", 1000, 0, transport: "wss") with { WindowSeconds = 2 },
        ];

        List<string> notes = BenchAggregator.ShortWindowNotes(runs, TimeSpan.FromSeconds(2));

        string note = Assert.Single(notes);
        Assert.StartsWith("c2fast typical ws: steady-state window 0.75 s in 2 round(s), under 2 s", note, StringComparison.Ordinal);
    }
}
