using C2Fast.Cli.Bench;

namespace C2Fast.Tests.Cli.Bench;

public class BenchStatsTests
{
    [Fact]
    public void Median_OddEvenEmptyAndNaN()
    {
        Assert.Equal(2, BenchStats.Median([3, 1, 2]));
        Assert.Equal(2.5, BenchStats.Median([4, 1, 3, 2]));
        Assert.Equal(7, BenchStats.Median([7]));
        Assert.Null(BenchStats.Median([]));
        Assert.Equal(2, BenchStats.Median([double.NaN, 1, 3])); // a failed round (NaN) is left out
        Assert.Null(BenchStats.Median([double.NaN]));
    }

    [Fact]
    public void Ratio_NeedsBothAndAPositiveBaseline()
    {
        Assert.Equal(0.5, BenchStats.Ratio(50, 100));
        Assert.Equal(3.0, BenchStats.Ratio(300, 100));
        Assert.Null(BenchStats.Ratio(null, 100));
        Assert.Null(BenchStats.Ratio(100, null));
        Assert.Null(BenchStats.Ratio(100, 0));
        Assert.Null(BenchStats.Ratio(double.NaN, 10));
    }

    [Fact]
    public void RateAndPerMessage()
    {
        Assert.Equal(500_000, BenchStats.Rate(1_000_000, 2));
        Assert.Equal(0, BenchStats.Rate(10, 0));
        Assert.Equal(2.5, BenchStats.PerMessage(25, 10));
        Assert.Null(BenchStats.PerMessage(null, 10));
        Assert.Null(BenchStats.PerMessage(25, 0));
    }

    [Fact]
    public void OrderForRound_RotatesAndReversesOddRounds()
    {
        string[] clients = ["a", "b", "c", "d"];

        Assert.Equal(["a", "b", "c", "d"], BenchClients.OrderForRound(clients, 0));
        Assert.Equal(["a", "d", "c", "b"], BenchClients.OrderForRound(clients, 1)); // b c d a, reversed
        Assert.Equal(["c", "d", "a", "b"], BenchClients.OrderForRound(clients, 2));
        Assert.Empty(BenchClients.OrderForRound(Array.Empty<string>(), 3));

        // Over as many rounds as clients, everyone runs first at least once and each order holds everyone once.
        var firsts = Enumerable.Range(0, clients.Length).Select(r => BenchClients.OrderForRound(clients, r)).ToList();
        Assert.All(firsts, order => Assert.Equal(clients.Order(), order.Order()));
        Assert.Equal(clients.Length, firsts.Select(o => o[0]).Concat(firsts.Select(o => o[^1])).Distinct().Count());
    }

    [Fact]
    public void ClientAndMixNames_RoundTrip()
    {
        foreach (BenchClientKind kind in BenchClients.All)
        {
            Assert.True(BenchClients.TryParse(BenchClients.Name(kind).ToUpperInvariant(), out var parsed));
            Assert.Equal(kind, parsed);
        }

        foreach (BenchMix mix in BenchMixes.All)
        {
            Assert.True(BenchMixes.TryParse(BenchMixes.Name(mix), out var parsed));
            Assert.Equal(mix, parsed);
        }

        Assert.False(BenchClients.TryParse("netty", out _));
        Assert.False(BenchMixes.TryParse("huge", out _));
    }

    [Theory]
    [InlineData("small", 130, 170)]
    [InlineData("typical", 250, 350)]
    [InlineData("large", 3_500, 4_600)]
    public void Mixes_MeanFrameSizeAsAdvertised(string name, double min, double max)
    {
        Assert.True(BenchMixes.TryParse(name, out var mix));
        var preview = (BenchMixes.Flood(mix, 10_000) with { HeartbeatShare = 0 }).Preview();

        Assert.Equal(10_000, preview.Messages);
        Assert.InRange((double)preview.Bytes / preview.Messages, min, max); // frames without heartbeats

    }
}
