using C2Fast.Cli.Soak;

namespace C2Fast.Tests.Cli.Soak;

public class SoakStallScheduleTests
{
    private static readonly SoakStallSettings Settings = new(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(70), TimeSpan.FromSeconds(90), LongEvery: 5);

    private static List<SoakStall> Take(int seed, int count)
    {
        var schedule = new SoakStallSchedule(seed, Settings);
        return [.. Enumerable.Range(0, count).Select(_ => schedule.Next())];
    }

    [Fact]
    public void Next_SameSeed_SameStalls()
    {
        Assert.Equal(Take(9, 50), Take(9, 50));
        Assert.NotEqual(Take(9, 50), Take(10, 50));
    }

    [Fact]
    public void Next_ExactlyOneLongStallInEveryRound()
    {
        List<SoakStall> stalls = Take(4, 100);

        for (int round = 0; round < 100; round += 5)
        {
            Assert.Single(stalls.Skip(round).Take(5), s => s.Long);
        }

        Assert.True(stalls.Select((s, i) => (s, i)).Where(p => p.s.Long).Select(p => p.i % 5).Distinct().Count() > 1, "the long one moves within its round");
    }

    [Fact]
    public void Next_DurationsAndPausesWithinTheirRanges()
    {
        List<SoakStall> stalls = Take(11, 200);

        Assert.All(stalls, s => Assert.InRange(s.After.TotalSeconds, 10, 30));
        Assert.All(stalls.Where(s => s.Long), s => Assert.InRange(s.Duration.TotalSeconds, 70, 90));
        Assert.All(stalls.Where(s => !s.Long), s => Assert.InRange(s.Duration.TotalSeconds, 0.15, 3));
    }

    [Fact]
    public void Plan_LongStallOutlastsTheFillTimePlusTheServersAckDeadline()
    {
        var plan = SoakPlanTests.Plan() with { Capacity = 64, SignalRate = 5, Strategies = [101, 102, 103], Partitions = 2 };

        SoakStallSettings partition0 = plan.StallSettings(0); // 102: 5 signals/s fill 64 in 12.8 s
        SoakStallSettings partition1 = plan.StallSettings(1); // 101, 103: 10 signals/s fill 64 in 6.4 s

        Assert.Equal(TimeSpan.FromSeconds(12.8 + 60), partition0.LongMin);
        Assert.Equal(TimeSpan.FromSeconds(12.8 + 80), partition0.LongMax);
        Assert.Equal(TimeSpan.FromSeconds(6.4 + 60), partition1.LongMin);
        Assert.NotEqual(plan.StallSeed(0), plan.StallSeed(1));
    }
}
