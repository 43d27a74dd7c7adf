using C2Fast.Cli.Soak;

namespace C2Fast.Tests.Cli.Soak;

public class SoakFaultScheduleTests
{
    private static readonly SoakFaultSettings Settings = new(TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(5), SoakFaultKinds.All);

    [Fact]
    public void Create_SameSeed_SameSchedule()
    {
        var a = SoakFaultSchedule.Create(42, Settings, TimeSpan.FromHours(1));
        var b = SoakFaultSchedule.Create(42, Settings, TimeSpan.FromHours(1));

        Assert.Equal(a, b);
    }

    [Fact]
    public void Create_OtherSeed_OtherSchedule()
    {
        var a = SoakFaultSchedule.Create(42, Settings, TimeSpan.FromHours(1));
        var b = SoakFaultSchedule.Create(43, Settings, TimeSpan.FromHours(1));

        Assert.NotEqual(a.Select(f => (f.Kind, f.After)), b.Select(f => (f.Kind, f.After)));
    }

    [Fact]
    public void Create_PausesAddUpToTheHorizonAndIndexesCountFromOne()
    {
        var faults = SoakFaultSchedule.Create(1, Settings, TimeSpan.FromHours(1));

        Assert.True(faults.Sum(f => f.After.TotalSeconds) >= 3600);
        Assert.True(faults.Take(faults.Count - 1).Sum(f => f.After.TotalSeconds) < 3600, "no fault beyond the one that reaches the horizon");
        Assert.Equal(Enumerable.Range(1, faults.Count), faults.Select(f => f.Index));
        Assert.InRange(faults.Count, 3600 / 60, 3600 / 20 + 1); // mean 40 s, each pause 20-60 s
    }

    [Fact]
    public void Create_EveryRoundHoldsEveryKindOnce()
    {
        var faults = SoakFaultSchedule.Create(7, Settings, TimeSpan.FromHours(2));
        int kinds = SoakFaultKinds.All.Count;

        for (int round = 0; round + kinds <= faults.Count; round += kinds)
        {
            Assert.Equal(SoakFaultKinds.All.OrderBy(k => k), faults.Skip(round).Take(kinds).Select(f => f.Kind).OrderBy(k => k));
        }

        Assert.NotEqual(faults.Take(kinds).Select(f => f.Kind), faults.Skip(kinds).Take(kinds).Select(f => f.Kind)); // shuffled, not a fixed order
    }

    [Fact]
    public void Create_PausesAndDurationsWithinTheirRanges()
    {
        var faults = SoakFaultSchedule.Create(3, Settings, TimeSpan.FromHours(3));
        double silence = Settings.SilenceTimeout.TotalSeconds;

        Assert.All(faults, f => Assert.InRange(f.After.TotalSeconds, 20, 60));
        Assert.All(faults.Where(f => f.Kind == SoakFaultKind.Stall), f => Assert.InRange(f.Duration.TotalSeconds, 0.1 * silence, 0.6 * silence));
        Assert.All(faults.Where(f => f.Kind == SoakFaultKind.LongStall), f => Assert.InRange(f.Duration.TotalSeconds, 1.5 * silence, 2.0 * silence));
        Assert.All(faults.Where(f => f.Kind == SoakFaultKind.Restart), f => Assert.InRange(f.Duration.TotalSeconds, 0.5, 5));
        Assert.All(faults.Where(f => f.Kind is SoakFaultKind.Cut or SoakFaultKind.Reset or SoakFaultKind.Close1008), f => Assert.Equal(TimeSpan.Zero, f.Duration));
    }

    [Fact]
    public void Create_SubsetOfKinds_OnlyThose()
    {
        var settings = Settings with { Kinds = [SoakFaultKind.Reset, SoakFaultKind.Restart, SoakFaultKind.Reset] };

        var faults = SoakFaultSchedule.Create(5, settings, TimeSpan.FromMinutes(10));

        Assert.Equal([SoakFaultKind.Reset, SoakFaultKind.Restart], faults.Select(f => f.Kind).Distinct().OrderBy(k => k));
    }

    [Fact]
    public void Create_NoKinds_NoFaults()
    {
        Assert.Empty(SoakFaultSchedule.Create(5, Settings with { Kinds = [] }, TimeSpan.FromHours(1)));
    }

    [Theory]
    [InlineData("cut", (int)SoakFaultKind.Cut)]
    [InlineData("RST", (int)SoakFaultKind.Reset)]
    [InlineData("stall", (int)SoakFaultKind.Stall)]
    [InlineData("long-stall", (int)SoakFaultKind.LongStall)]
    [InlineData("close-1008", (int)SoakFaultKind.Close1008)]
    [InlineData("restart", (int)SoakFaultKind.Restart)]
    public void Kinds_NameAndParse_RoundTrip(string name, int kind)
    {
        Assert.True(SoakFaultKinds.TryParse(name, out SoakFaultKind parsed));
        Assert.Equal((SoakFaultKind)kind, parsed);
        Assert.Equal(name.ToLowerInvariant(), SoakFaultKinds.Name((SoakFaultKind)kind));
    }

    [Fact]
    public void Kinds_Unknown_NotParsed()
    {
        Assert.False(SoakFaultKinds.TryParse("drop", out _));
    }
}
