using C2Fast.Cli.Soak;

namespace C2Fast.Tests.Cli.Soak;

public class SoakFlatnessTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    /// <summary>61 samples, one a minute over an hour, value(minute).</summary>
    private static List<(TimeSpan, double)> Minutes(Func<int, double> value) =>
        [.. Enumerable.Range(0, 61).Select(m => (TimeSpan.FromMinutes(m), value(m)))];

    [Fact]
    public void Judge_FlatAfterAWarmUpRise_Flat()
    {
        // Rises for ten minutes (warm-up), then wobbles around 80 MiB.
        var samples = Minutes(m => (m < 10 ? 50 + (3 * m) : 80 + (m % 3)) * SoakFlatRule.MiB);

        SoakFlatResult result = SoakFlatness.Judge(samples, Hour, SoakFlatRule.WorkingSet);

        Assert.True(result.Judged);
        Assert.True(result.Flat);
        Assert.Equal(82 * SoakFlatRule.MiB, result.Reference);
        Assert.Equal(82 * SoakFlatRule.MiB, result.Final);
        Assert.Equal(82 * SoakFlatRule.MiB * 1.10, result.Limit, 1); // 10 % (8.2 MiB) beats 8 MiB
        Assert.Equal(50 * SoakFlatRule.MiB, result.First);
    }

    [Fact]
    public void Judge_SteadyLeak_NotFlat()
    {
        // 0.5 MiB a minute: the last quarter ends 15 MiB above the reference (75 MiB), the limit allows 7.5.
        var samples = Minutes(m => (60 + (0.5 * m)) * SoakFlatRule.MiB);

        SoakFlatResult result = SoakFlatness.Judge(samples, Hour, SoakFlatRule.GcHeap);

        Assert.True(result.Judged);
        Assert.False(result.Flat);
        Assert.Equal(30 * SoakFlatRule.MiB, result.SlopePerHour, 3);
    }

    [Fact]
    public void Judge_AbsoluteSlackForSmallValues_ThreadsPlusFourIsFlatPlusFiveIsNot()
    {
        Assert.True(SoakFlatness.Judge(Minutes(m => m < 45 ? 20 : 24), Hour, SoakFlatRule.Threads).Flat);
        Assert.False(SoakFlatness.Judge(Minutes(m => m < 45 ? 20 : 25), Hour, SoakFlatRule.Threads).Flat);
    }

    [Fact]
    public void Judge_OneHandleMoreEachTenMinutes_NotFlat()
    {
        SoakFlatResult result = SoakFlatness.Judge(Minutes(m => 90 + (m / 10)), Hour, SoakFlatRule.Handles);

        Assert.False(result.Flat);
        Assert.Equal(93, result.Reference);
        Assert.Equal(96, result.Final);
        Assert.Equal(95, result.Limit);
    }

    [Fact]
    public void Judge_OneHighSampleInTheReference_RaisesTheReference()
    {
        // A sample caught mid-reconnect (one socket more) in the second quarter does not make the end look like growth.
        SoakFlatResult result = SoakFlatness.Judge(Minutes(m => m == 20 ? 92 : 90), Hour, SoakFlatRule.Handles);

        Assert.True(result.Flat);
        Assert.Equal(92, result.Reference);
    }

    [Fact]
    public void Judge_SpikeInWarmUp_Ignored()
    {
        SoakFlatResult result = SoakFlatness.Judge(Minutes(m => m == 3 ? 500 : 20), Hour, SoakFlatRule.Threads);

        Assert.True(result.Flat);
        Assert.Equal(500, result.Max);
        Assert.Equal(20, result.Reference);
    }

    [Fact]
    public void Judge_TooFewSamples_NotJudgedAndNotFailed()
    {
        // Five minutes sampled every minute: the second quarter (75-150 s) holds one sample.
        List<(TimeSpan, double)> samples = [.. Enumerable.Range(0, 6).Select(m => (TimeSpan.FromMinutes(m), 10.0 * m))];

        SoakFlatResult result = SoakFlatness.Judge(samples, TimeSpan.FromMinutes(5), SoakFlatRule.Threads);

        Assert.False(result.Judged);
        Assert.True(result.Flat);
        Assert.Contains("1 sample(s) in the reference window", result.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Judge_NotAsked_NotJudged()
    {
        SoakFlatResult result = SoakFlatness.Judge(Minutes(m => m), Hour, SoakFlatRule.Threads, judge: false);

        Assert.False(result.Judged);
        Assert.True(result.Flat);
        Assert.Contains("quick", result.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void SlopePerHour_FlatZeroAndTooFewZero()
    {
        Assert.Equal(0, SoakFlatness.SlopePerHour(Minutes(_ => 5)), 9);
        Assert.Equal(0, SoakFlatness.SlopePerHour([(TimeSpan.Zero, 3)]));
        Assert.Equal(60, SoakFlatness.SlopePerHour(Minutes(m => m)), 6);
    }

    [Fact]
    public void Rules_DescribedForTheHelp()
    {
        Assert.Equal("last-quarter max ≤ reference + max(10 %, 8 MiB)", SoakFlatRule.WorkingSet.Describe().Replace("10%", "10 %", StringComparison.Ordinal));
        Assert.Equal("last-quarter max ≤ reference + 2 fds", SoakFlatRule.Handles.Describe());
    }
}
