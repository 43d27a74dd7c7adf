using C2Fast.Cli.Soak;

namespace C2Fast.Tests.Cli.Soak;

public class SoakSequenceCheckerTests
{
    private static SoakStrategyResult Run(long lastPublished, params object[] events)
    {
        var checker = new SoakSequenceChecker();
        foreach (object e in events)
        {
            switch (e)
            {
                case long seq:
                    checker.OnSignal(101, seq);
                    break;
                case int seq:
                    checker.OnSignal(101, seq);
                    break;
                case string gap: // "gap:FROM" or "gap"
                    checker.OnGap(101, gap.Length > 4 ? long.Parse(gap[4..], System.Globalization.CultureInfo.InvariantCulture) : null);
                    break;
            }
        }

        return checker.Finish(101, lastPublished);
    }

    [Fact]
    public void InOrderFromOne_Ok()
    {
        SoakStrategyResult result = Run(5, 1, 2, 3, 4, 5);

        Assert.True(result.Ok);
        Assert.Equal((5L, 5L, 5L, 0L), (result.Published, result.Delivered, result.LastSeqId, result.Missing));
        Assert.Null(result.FirstProblem);
    }

    [Fact]
    public void NothingPublished_Ok()
    {
        Assert.True(Run(0).Ok);
    }

    [Fact]
    public void Duplicate_Counted()
    {
        SoakStrategyResult result = Run(3, 1, 2, 2, 3);

        Assert.False(result.Ok);
        Assert.Equal(1, result.Duplicates);
        Assert.Equal(3, result.Delivered);
        Assert.Contains("2 delivered again", result.FirstProblem, StringComparison.Ordinal);
    }

    [Fact]
    public void JumpWithoutGap_Missing()
    {
        SoakStrategyResult result = Run(6, 1, 2, 5, 6);

        Assert.False(result.Ok);
        Assert.Equal(2, result.Missing);
        Assert.Equal(0, result.Duplicates);
        Assert.Contains("jump from 2 to 5", result.FirstProblem, StringComparison.Ordinal);
    }

    [Fact]
    public void FirstSignalNotTheFirstPublished_Missing()
    {
        SoakStrategyResult result = Run(4, 3, 4);

        Assert.Equal(2, result.Missing);
        Assert.False(result.Ok);
    }

    [Fact]
    public void LateSignalFillingAHole_Reordered()
    {
        SoakStrategyResult result = Run(5, 1, 2, 4, 3, 5);

        Assert.False(result.Ok);
        Assert.Equal(1, result.Reordered);
        Assert.Equal(0, result.Missing);
        Assert.Equal(0, result.Duplicates);
        Assert.Equal(5, result.Delivered);
    }

    [Fact]
    public void LateSignalInsideAWideHole_SplitsIt()
    {
        SoakStrategyResult result = Run(10, 1, 10, 5, 5);

        Assert.Equal(1, result.Reordered);
        Assert.Equal(1, result.Duplicates);
        Assert.Equal(7, result.Missing); // 2-4 and 6-9
    }

    [Fact]
    public void TailNeverArrived_Missing()
    {
        SoakStrategyResult result = Run(5, 1, 2, 3);

        Assert.False(result.Ok);
        Assert.Equal(2, result.Missing);
        Assert.Contains("after 3 never arrived", result.FirstProblem, StringComparison.Ordinal);
    }

    [Fact]
    public void GapThenJump_DeclaredNotMissing()
    {
        SoakStrategyResult result = Run(1401, 1, 2, "gap:3", 1400, 1401);

        Assert.True(result.Ok);
        Assert.Equal(1, result.Gaps);
        Assert.Equal(1397, result.LostToGaps);
        Assert.Equal(0, result.Missing);
        Assert.Equal(result.Published, result.Delivered + result.LostToGaps + result.Missing);
    }

    [Fact]
    public void GapWhoseFromIsNotTheFirstSkipped_Mismatch()
    {
        SoakStrategyResult result = Run(10, 1, 2, "gap:5", 9, 10);

        Assert.False(result.Ok);
        Assert.Equal(1, result.GapMismatches);
        Assert.Contains("gap said from 5", result.FirstProblem, StringComparison.Ordinal);
    }

    /// <summary>Review finding: a gap with no 'from' excused any jump after it. It names nothing, so it declares nothing.</summary>
    [Fact]
    public void GapWithoutFrom_ThenAJump_Mismatch()
    {
        SoakStrategyResult result = Run(10, 1, "gap", 10);

        Assert.False(result.Ok);
        Assert.Equal(1, result.GapMismatches);
        Assert.Empty(result.GapSkips);
        Assert.Contains("without a 'from'", result.FirstProblem, StringComparison.Ordinal);
    }

    [Fact]
    public void GapThenJump_RecordsWhatItSkippedForTheServerToConfirm()
    {
        SoakStrategyResult result = Run(1401, 1, 2, "gap:3", 1400, 1401);

        Assert.Equal([new SoakGapSkip(3, 1399, 3)], result.GapSkips);
    }

    [Fact]
    public void GapAtTheEnd_DeclaresTheTail()
    {
        SoakStrategyResult result = Run(2000, 1, 2, "gap:3");

        Assert.True(result.Ok);
        Assert.Equal(1998, result.LostToGaps);
        Assert.Equal(0, result.Missing);
        Assert.Equal([new SoakGapSkip(3, 2000, 3)], result.GapSkips); // held to what the server declared
    }

    [Fact]
    public void GapThenTheNextSignal_NothingLost()
    {
        SoakStrategyResult result = Run(3, 1, "gap:2", 2, 3);

        Assert.True(result.Ok);
        Assert.Equal(0, result.LostToGaps);
    }

    [Fact]
    public void JumpAfterTheGapWasUsed_MissingAgain()
    {
        SoakStrategyResult result = Run(20, 1, "gap:2", 10, 15, 16, 17, 18, 19, 20);

        Assert.Equal(8, result.LostToGaps);
        Assert.Equal(4, result.Missing); // 11-14: no gap declared them
    }

    [Fact]
    public void DeliveredBeyondPublished_Flagged()
    {
        SoakStrategyResult result = Run(2, 1, 2, 3);

        Assert.False(result.Ok);
        Assert.Equal(1, result.BeyondPublished);
    }

    [Fact]
    public void Strategies_TrackedApart_AndLastSeqIdsAndPendingGapsReported()
    {
        var checker = new SoakSequenceChecker();
        checker.OnSignal(101, 1);
        checker.OnSignal(102, 1);
        checker.OnSignal(101, 2);
        checker.OnGap(102, 2);

        Assert.Equal(new Dictionary<long, long> { [101] = 2, [102] = 1 }, checker.LastSeqIds);
        Assert.True(checker.HasPendingGap(102));
        Assert.False(checker.HasPendingGap(101));
        Assert.Equal(3, checker.Delivered);
        Assert.True(checker.Finish(101, 2).Ok);
        Assert.True(checker.Finish(102, 1).Ok);
    }

    [Fact]
    public void FirstSeqIdOption_StartsThere()
    {
        var checker = new SoakSequenceChecker(firstSeqId: 100);
        checker.OnSignal(7, 100);
        checker.OnSignal(7, 101);

        SoakStrategyResult result = checker.Finish(7, 101);
        Assert.True(result.Ok);
        Assert.Equal(2, result.Published);
    }
}
