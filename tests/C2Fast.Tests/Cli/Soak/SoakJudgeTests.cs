using C2Fast.Cli.Soak;
using C2Fast.Simulator;

namespace C2Fast.Tests.Cli.Soak;

public class SoakJudgeTests
{
    private static readonly TimeSpan Allowance = TimeSpan.FromSeconds(2);

    private static SoakJudge.Inputs Passing() => new()
    {
        Signals = [new SoakStrategyResult(101, 100, 100, 0, 0, 0, 0, 0, 0, 0, 100, null, [])],
        Heartbeats = new SoakHeartbeatSummary { Sent = 10, Acked = 10 },
        Flatness = [new SoakFlatResult("threads", true, true, 20, 21, 24, 15, 21, 0, "rule", null)],
        Client = new SoakClientResult { Final = new SoakClientStat { Completion = "completed" } },
        CaughtUp = true,
        DrainTimeout = TimeSpan.FromSeconds(60),
        ConnectionsAccepted = 3,
        ConnectionsEnded = 3,
    };

    [Fact]
    public void Judge_EverythingFine_NoFailureNoWarning()
    {
        (List<string> failures, List<string> warnings) = SoakJudge.Judge(Passing());

        Assert.Empty(failures);
        Assert.Empty(warnings);
    }

    [Fact]
    public void Judge_LostSignal_Fails()
    {
        var inputs = Passing() with { Signals = [new SoakStrategyResult(101, 100, 99, 0, 0, 1, 0, 0, 0, 0, 99, "1 signal(s) after 99 never arrived", [])] };

        (List<string> failures, _) = SoakJudge.Judge(inputs);

        Assert.Contains(failures, f => f.StartsWith("strategy 101: 1 missing", StringComparison.Ordinal) && f.Contains("never arrived", StringComparison.Ordinal));
    }

    [Fact]
    public void Judge_ServerGap_WarnsButPasses()
    {
        var inputs = Passing() with
        {
            Signals = [new SoakStrategyResult(101, 3000, 1100, 0, 0, 0, 1, 1900, 0, 0, 3000, null, [new SoakGapSkip(1001, 2900, 1001)])],
            GapsSent = new Dictionary<long, IReadOnlyList<C2SimulatorGap>> { [101] = [new C2SimulatorGap(1001, 2900)] },
        };

        (List<string> failures, List<string> warnings) = SoakJudge.Judge(inputs);

        Assert.Empty(failures);
        Assert.Contains(warnings, w => w.Contains("1900 signal(s) declared lost", StringComparison.Ordinal));
    }

    /// <summary>
    /// Review finding: every signal skipped after a gap was taken as the gap's, so a client that lost live signals
    /// after a gap passed. A skip must lie inside what the server declared (from its 'from' to the last published).
    /// </summary>
    [Theory]
    [InlineData(1001, 2950, 1001, 2900)] // reaches past the last signal published when the gap was sent: live ones lost
    [InlineData(1001, 2900, 1001, 0)]    // the server sent no gap at all
    [InlineData(1002, 2900, 1002, 2900)] // the server's gap said 1001
    public void Judge_GapSkipTheServerDidNotDeclare_Fails(long skipFrom, long skipTo, long gapFrom, long declaredThrough)
    {
        var inputs = Passing() with
        {
            Signals = [new SoakStrategyResult(101, 3000, 1100, 0, 0, 0, 1, 1900, 0, 0, 3000, null, [new SoakGapSkip(skipFrom, skipTo, gapFrom)])],
            GapsSent = new Dictionary<long, IReadOnlyList<C2SimulatorGap>> { [101] = declaredThrough == 0 ? [] : [new C2SimulatorGap(1001, declaredThrough)] },
        };

        (List<string> failures, _) = SoakJudge.Judge(inputs);

        Assert.Contains(failures, f => f.StartsWith("strategy 101:", StringComparison.Ordinal) && f.Contains("never declared skipped", StringComparison.Ordinal));
    }

    /// <summary>Review finding: any ack (a keep-alive too) acks every heartbeat before it on the server; the client's own answers are counted.</summary>
    [Fact]
    public void Heartbeats_ClientAnsweredFewerThanItRead_Fails()
    {
        SoakRunner.EndedConnection[] ended = [new(1, 5, 5, null, 1000), new(2, 4, 4, null, 1000)];
        var counters = new C2SimulatorCounters { HeartbeatsSent = 9, HeartbeatsAcked = 9 };

        SoakHeartbeatSummary keepAlivesOnly = SoakJudge.Heartbeats(ended, counters, Allowance, new SoakClientStat { HeartbeatsReceived = 9, HeartbeatsAcknowledged = 2, PausedAcks = 500 });
        SoakHeartbeatSummary answered = SoakJudge.Heartbeats(ended, counters, Allowance, new SoakClientStat { HeartbeatsReceived = 9, HeartbeatsAcknowledged = 7 });

        Assert.Equal(9, keepAlivesOnly.ClientReceived);
        Assert.Equal(5, keepAlivesOnly.ClientShortfall); // an ack per connection end (2) may have gone unsent
        Assert.Contains(SoakJudge.Judge(Passing() with { Heartbeats = keepAlivesOnly }).Failures, f => f.StartsWith("the client read 9 heartbeat(s) but answered 2", StringComparison.Ordinal));
        Assert.Equal(0, answered.ClientShortfall);
        Assert.Empty(SoakJudge.Judge(Passing() with { Heartbeats = answered }).Failures);
    }

    /// <summary>Review finding: with no /proc readings every metric was "flat". A metric that cannot be judged fails a full run.</summary>
    [Fact]
    public void Judge_FlatnessNotJudgedInAFullRun_Fails()
    {
        var notJudged = new SoakFlatResult("handles", false, true, 0, 0, 0, 0, 0, 0, "rule", "not judged: 0 sample(s) in the reference window and 0 in the last quarter (need 2 each)");

        Assert.Contains(SoakJudge.Judge(Passing() with { Flatness = [notJudged], JudgeFlatness = true }).Failures, f => f.StartsWith("handles could not be judged flat", StringComparison.Ordinal));
        Assert.Empty(SoakJudge.Judge(Passing() with { Flatness = [notJudged], JudgeFlatness = false }).Failures);
    }

    [Fact]
    public void Judge_UnackedHeartbeatOrAckTimeout_Fails()
    {
        var inputs = Passing() with { Heartbeats = new SoakHeartbeatSummary { Sent = 10, Acked = 9, Unacked = 1, AckTimeouts = 1, UnackedConnections = ["connection 4: 1"] } };

        (List<string> failures, _) = SoakJudge.Judge(inputs);

        Assert.Contains(failures, f => f.StartsWith("1 heartbeat(s) never acked: connection 4", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("for a missing heartbeat ack", StringComparison.Ordinal));
    }

    [Fact]
    public void Judge_NotFlatOnlyWhenJudged()
    {
        SoakFlatResult grew = new("handles", true, false, 90, 96, 92, 80, 96, 6, "rule", null);
        SoakFlatResult unjudged = grew with { Judged = false, Flat = true };

        Assert.Contains(SoakJudge.Judge(Passing() with { Flatness = [grew] }).Failures, f => f.StartsWith("handles not flat: last quarter up to 96 against 90", StringComparison.Ordinal));
        Assert.Empty(SoakJudge.Judge(Passing() with { Flatness = [unjudged] }).Failures);
    }

    [Fact]
    public void Judge_ClientProblems_EachFails()
    {
        var client = new SoakClientResult
        {
            Status = "a consumer failed: boom",
            ProtocolErrorEvents = 2,
            Final = new SoakClientStat { Completion = "faulted: 401", MessagesDropped = 3 },
        };

        (List<string> failures, _) = SoakJudge.Judge(Passing() with { Client = client, ClientExitCode = 1, CaughtUp = false, InternalErrors = 1, LastInternalError = "bug" });

        Assert.Contains("client process: a consumer failed: boom", failures);
        Assert.Contains("the client process exited with code 1", failures);
        Assert.Contains("the client gave up: faulted: 401", failures);
        Assert.Contains(failures, f => f.Contains("2 protocol error(s)", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("dropped 3 message(s)", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("had not delivered everything published 60 s after the end", StringComparison.Ordinal));
        Assert.Contains("the simulator counted 1 internal error(s): bug", failures);
    }

    [Fact]
    public void Judge_NoClientResult_Fails()
    {
        Assert.Contains("no result from the client process", SoakJudge.Judge(Passing() with { Client = null }).Failures);
    }

    [Fact]
    public void Judge_SkippedFaultsAndAStallThatEndedTheConnection_Warned()
    {
        SoakFaultRecord[] faults =
        [
            new() { Index = 1, Kind = "cut", Status = "skipped (no live subscribed connection within 10 s)" },
            new() { Index = 2, Kind = "stall", Status = "injected", Outcome = "the connection ended during a 5 s stall, shorter than the 40 s silence timeout" },
            new() { Index = 3, Kind = "stall", Status = "injected", Outcome = "stalled 5 s; the connection survived" },
        ];

        (List<string> failures, List<string> warnings) = SoakJudge.Judge(Passing() with { Faults = faults, ConnectionsEnded = 2 });

        Assert.Empty(failures);
        Assert.Contains("1 fault(s) skipped: no live subscribed connection in time", warnings);
        Assert.Contains(warnings, w => w.StartsWith("fault 2: the connection ended during", StringComparison.Ordinal));
        Assert.DoesNotContain(warnings, w => w.StartsWith("fault 3", StringComparison.Ordinal));
        Assert.Contains("3 connections accepted but 2 accounted for at their end", warnings);
    }

    [Fact]
    public void Heartbeats_UnackedSplitByAgeAtTheEnd()
    {
        SoakRunner.EndedConnection[] ended =
        [
            new(1, 10, 10, null, 1000),                              // all acked
            new(2, 5, 4, TimeSpan.FromMilliseconds(30), 0),          // one sent just before a cut: in flight
            new(3, 6, 4, TimeSpan.FromSeconds(35), 1008),            // two the client ignored
        ];
        var counters = new C2SimulatorCounters { HeartbeatsSent = 21, HeartbeatsAcked = 18, HeartbeatAckTimeouts = 1, MaxHeartbeatAckDelay = TimeSpan.FromMilliseconds(120), AcksReceived = 40 };

        SoakHeartbeatSummary summary = SoakJudge.Heartbeats(ended, counters, Allowance, new SoakClientStat { HeartbeatsAcknowledged = 18, PausedAcks = 22 });

        Assert.Equal((21L, 18L, 1L, 2L, 1L), (summary.Sent, summary.Acked, summary.InFlightAtCut, summary.Unacked, summary.AckTimeouts));
        Assert.Equal(120, summary.MaxAckDelayMilliseconds);
        Assert.Equal(2000, summary.AllowanceMilliseconds);
        Assert.Equal(22, summary.ClientPausedAcks);
        Assert.Equal(["connection 3: 2 (oldest waited 35000 ms, close code 1008)"], summary.UnackedConnections);
    }
}
