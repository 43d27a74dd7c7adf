using System.CommandLine;
using C2Fast.Cli.Commands;
using C2Fast.Cli.Soak;

namespace C2Fast.Tests.Cli.Soak;

/// <summary>The small pure parts: /proc parsing, durations, the child's STOP line, the drain's caught-up rule, the option mapping.</summary>
public class SoakPiecesTests
{
    [Fact]
    public void ParseStatus_ReadsRssHwmAndThreads()
    {
        const string status = "Name:\tdotnet\nVmPeak:\t 9000 kB\nVmHWM:\t   81234 kB\nVmRSS:\t   70000 kB\nThreads:\t23\nSigQ:\t0/1\n";

        (long rss, long hwm, int threads) = SoakProcessSampler.ParseStatus(status);

        Assert.Equal(70000L * 1024, rss);
        Assert.Equal(81234L * 1024, hwm);
        Assert.Equal(23, threads);
    }

    [Fact]
    public void ParseStatus_MissingFields_Zero()
    {
        Assert.Equal((0L, 0L, 0), SoakProcessSampler.ParseStatus("Name:\tx\n"));
    }

    [Fact]
    public void Read_ThisProcess_HasMemoryThreadsAndHandles()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // /proc is Linux's
        }

        SoakProcessSample? sample = SoakProcessSampler.Read(Environment.ProcessId);

        Assert.NotNull(sample);
        Assert.True(sample.WorkingSetBytes > 1 << 20);
        Assert.True(sample.PeakWorkingSetBytes >= sample.WorkingSetBytes);
        Assert.True(sample.Threads > 1);
        Assert.True(sample.Handles > 3);
    }

    [Fact]
    public void Read_NoSuchProcess_Null()
    {
        Assert.Null(SoakProcessSampler.Read(int.MaxValue));
    }

    [Theory]
    [InlineData("600", 600)]
    [InlineData("600s", 600)]
    [InlineData("10m", 600)]
    [InlineData("1h", 3600)]
    [InlineData("0.5h", 1800)]
    [InlineData(" 2.5 ", 2.5)]
    public void TryParseDuration_Forms(string text, double seconds)
    {
        Assert.True(CliParsers.TryParseDuration(text, out TimeSpan value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("1d")]
    [InlineData("h")]
    [InlineData("1e9h")]
    public void TryParseDuration_Rejects(string text)
    {
        Assert.False(CliParsers.TryParseDuration(text, out _));
    }

    [Fact]
    public void ParseLastPublished_StopLine()
    {
        Assert.Equal(new Dictionary<long, long> { [101] = 1234, [102] = 7 }, SoakClient.ParseLastPublished("STOP 101=1234,102=7,bad,x=1"));
        Assert.Empty(SoakClient.ParseLastPublished("STOP"));
    }

    [Fact]
    public void CaughtUp_EveryStrategyAtItsLastPublishedOrWithAGapPending()
    {
        var published = new Dictionary<long, long> { [101] = 10, [102] = 20, [103] = 0 };

        Func<long, long> noGaps = _ => 0;
        Func<long, long> gapThrough20 = s => s == 102 ? 20 : 0;

        Assert.True(SoakRunner.CaughtUp(new SoakClientStat { LastSeqIds = new() { ["101"] = 10, ["102"] = 20 } }, published, noGaps));
        Assert.False(SoakRunner.CaughtUp(new SoakClientStat { LastSeqIds = new() { ["101"] = 10, ["102"] = 19 } }, published, noGaps));
        Assert.True(SoakRunner.CaughtUp(new SoakClientStat { LastSeqIds = new() { ["101"] = 10, ["102"] = 5 }, PendingGaps = [102] }, published, gapThrough20));
        // Review finding: a pending gap alone was taken as caught up; it is only when the server declared the rest.
        Assert.False(SoakRunner.CaughtUp(new SoakClientStat { LastSeqIds = new() { ["101"] = 10, ["102"] = 5 }, PendingGaps = [102] }, published, s => s == 102 ? 15 : 0));
        Assert.False(SoakRunner.CaughtUp(new SoakClientStat { LastSeqIds = new() { ["101"] = 10 } }, published, noGaps));
    }

    private static (SoakCommand Command, ParseResult Result) Parse(string args)
    {
        var soak = new SoakCommand();
        var root = new RootCommand { soak.Command };
        return (soak, root.Parse("soak " + args));
    }

    [Fact]
    public void ToPlan_Defaults_AnHourWithTheRealHeartbeat()
    {
        var (command, result) = Parse("");

        (SoakPlan? plan, string? error) = command.ToPlan(result, "c2fast soak", 99);

        Assert.Null(error);
        Assert.Equal(TimeSpan.FromHours(1), plan!.Duration);
        Assert.Equal(99, plan.Seed);
        Assert.Equal(TimeSpan.FromSeconds(30), plan.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), plan.HeartbeatGrace);
        Assert.Equal(TimeSpan.FromSeconds(60), plan.SampleInterval);
        Assert.Equal([101L, 102, 103], plan.Strategies);
        Assert.Equal(SoakFaultKinds.All, plan.Faults.Kinds);
        Assert.Equal(TimeSpan.FromSeconds(40), plan.Faults.SilenceTimeout);
        Assert.Equal("wss", plan.Transport);
        Assert.Null(plan.Reconnect); // the library's own backoff
        Assert.True(plan.JudgeFlatness);
        Assert.False(plan.Quick);
    }

    [Fact]
    public void ToPlan_Quick_ShortFastAndNotJudgedForFlatness()
    {
        var (command, result) = Parse("--quick --seed 5 --duration 25 --faults rst,restart");

        (SoakPlan? plan, _) = command.ToPlan(result, "c2fast soak --quick", 99);

        Assert.Equal(TimeSpan.FromSeconds(25), plan!.Duration);
        Assert.Equal(5, plan.Seed);
        Assert.Equal(TimeSpan.FromSeconds(1), plan.HeartbeatInterval);
        Assert.Equal([SoakFaultKind.Reset, SoakFaultKind.Restart], plan.Faults.Kinds);
        Assert.NotNull(plan.Reconnect);
        Assert.False(plan.JudgeFlatness);
    }

    [Fact]
    public void ToPlan_EveryOption_Mapped()
    {
        var (command, result) = Parse("--duration 10m --heartbeat-interval 5 --heartbeat-grace 1 --signal-rate 2.5 --strategies 7,8 --sample-interval 15 " +
            "--fault-every 12 --max-downtime 3 --consumer-stall-every 9 --transport ws --partitions 3 --capacity 32 --verbose --faults none");

        (SoakPlan? plan, string? error) = command.ToPlan(result, "x", 1);

        Assert.Null(error);
        Assert.Equal(TimeSpan.FromMinutes(10), plan!.Duration);
        Assert.Equal((5.0, 1.0, 2.5, 15.0), (plan.HeartbeatInterval.TotalSeconds, plan.HeartbeatGrace.TotalSeconds, plan.SignalRate, plan.SampleInterval.TotalSeconds));
        Assert.Equal([7L, 8], plan.Strategies);
        Assert.Equal((12.0, 3.0, 6.0), (plan.Faults.MeanGap.TotalSeconds, plan.Faults.MaxDowntime.TotalSeconds, plan.Faults.SilenceTimeout.TotalSeconds));
        Assert.Empty(plan.Faults.Kinds);
        Assert.Equal(TimeSpan.FromSeconds(9), plan.ConsumerStallEvery);
        Assert.Equal(("ws", 3, 32, true), (plan.Transport, plan.Partitions, plan.Capacity, plan.Verbose));
    }

    [Theory]
    [InlineData("--faults cut,bogus", "unknown kind 'bogus'")]
    [InlineData("--transport tcp", "ws or wss")]
    [InlineData("--partitions 0", "--partitions must be 1..64")]
    [InlineData("--signal-rate 0", "must be positive")]
    [InlineData("--heartbeat-interval 0.05", "above 0.1 s")]
    public void ToPlan_BadValues_UsageError(string args, string message)
    {
        var (command, result) = Parse(args);

        (SoakPlan? plan, string? error) = command.ToPlan(result, "x", 1);

        Assert.Null(plan);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Duration_NotADuration_ParseError()
    {
        var (_, result) = Parse("--duration soon");

        Assert.Contains(result.Errors, e => e.Message.Contains("'soon' is not a duration", StringComparison.Ordinal));
    }
}
