using C2Fast.Cli.Soak;

namespace C2Fast.Tests.Cli.Soak;

public class SoakPlanTests
{
    internal static SoakPlan Plan() => new()
    {
        Duration = TimeSpan.FromHours(1),
        Seed = 1,
        HeartbeatInterval = TimeSpan.FromSeconds(30),
        HeartbeatGrace = TimeSpan.FromSeconds(10),
        SignalRate = 5,
        Strategies = [101, 102, 103],
        SampleInterval = TimeSpan.FromSeconds(60),
        Transport = "wss",
        Faults = new SoakFaultSettings(TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(5), SoakFaultKinds.All),
        ConsumerStallEvery = TimeSpan.FromSeconds(20),
        ShortStallMax = TimeSpan.FromSeconds(3),
        LongStallEvery = 5,
        Partitions = 2,
        Capacity = 64,
        PositionsInterval = TimeSpan.FromSeconds(10),
        JudgeFlatness = true,
        Quick = false,
    };

    [Fact]
    public void AckAllowance_HalfAnIntervalAtMostTwoSeconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), Plan().AckAllowance);
        Assert.Equal(TimeSpan.FromSeconds(0.5), (Plan() with { HeartbeatInterval = TimeSpan.FromSeconds(1) }).AckAllowance);
    }

    [Fact]
    public void Timeouts_FollowTheHeartbeatAndTheBackoffCap()
    {
        SoakPlan plan = Plan();

        Assert.Equal(TimeSpan.FromSeconds(40), plan.SilenceTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), plan.MaxReconnectDelay);
        Assert.Equal(TimeSpan.FromSeconds(80 + 30 + 60), plan.DrainTimeout);
        Assert.Equal(TimeSpan.FromSeconds(80 + 60), plan.LiveWait);
        Assert.Equal(TimeSpan.FromSeconds(20), (plan with { Quick = true }).DrainTimeout);
    }

    [Fact]
    public void StallSettings_PartitionWithoutStrategies_LongStallWithoutFillTime()
    {
        SoakPlan plan = Plan() with { Strategies = [102], Partitions = 2 };

        Assert.Equal(TimeSpan.FromSeconds(60), plan.StallSettings(1).LongMin);
    }
}
