using C2Fast.Session;

namespace C2Fast.Tests.Session;

/// <summary>
/// The per-strategy duplicate filter: the read loop advances it, requests seed it from other threads. A signal at
/// or below the last seq_id is a duplicate; jumps forward are fine; strategies never affect each other.
/// </summary>
public class SequenceTrackerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(987_654_321)]
    public void TryAdvance_FirstSeqOfAStrategy_AcceptedAndRecorded(long seq)
    {
        var tracker = new SequenceTracker();
        Assert.Null(tracker.Last(101));

        Assert.True(tracker.TryAdvance(101, seq));
        Assert.Equal(seq, tracker.Last(101));
    }

    [Fact]
    public void TryAdvance_IncreasingSeqs_AllAcceptedAndLastFollows()
    {
        var tracker = new SequenceTracker();
        for (long seq = 1; seq <= 100; seq++)
        {
            Assert.True(tracker.TryAdvance(101, seq));
            Assert.Equal(seq, tracker.Last(101));
        }
    }

    [Theory]
    [InlineData(10)] // equal
    [InlineData(9)]  // lower
    [InlineData(1)]
    [InlineData(0)]
    public void TryAdvance_AtOrBelowTheLast_DuplicateAndLastUnchanged(long seq)
    {
        var tracker = new SequenceTracker();
        Assert.True(tracker.TryAdvance(101, 10));

        Assert.False(tracker.TryAdvance(101, seq));
        Assert.Equal(10, tracker.Last(101));
    }

    [Fact]
    public void TryAdvance_JumpForward_AcceptedThenTheSkippedIdsAreDuplicates()
    {
        var tracker = new SequenceTracker();
        Assert.True(tracker.TryAdvance(101, 5));
        Assert.True(tracker.TryAdvance(101, 1_000)); // ids are not consecutive: not a gap
        Assert.Equal(1_000, tracker.Last(101));
        Assert.False(tracker.TryAdvance(101, 6)); // below the last: a replay
        Assert.True(tracker.TryAdvance(101, 1_001));
    }

    [Fact]
    public void Last_StrategyNeverSeen_Null()
    {
        var tracker = new SequenceTracker();
        Assert.True(tracker.TryAdvance(101, 3));
        Assert.Null(tracker.Last(202));
    }

    [Fact]
    public void Seed_StrategyNeverSeen_SeedsItAndTryAdvanceAtOrBelowIsDuplicate()
    {
        var tracker = new SequenceTracker();
        tracker.Seed(101, 50);
        Assert.Equal(50, tracker.Last(101));

        Assert.False(tracker.TryAdvance(101, 49));
        Assert.False(tracker.TryAdvance(101, 50));
        Assert.True(tracker.TryAdvance(101, 51));
        Assert.Equal(51, tracker.Last(101));
    }

    [Fact]
    public void Seed_Zero_SeedsAndZeroIsThenADuplicate()
    {
        var tracker = new SequenceTracker();
        tracker.Seed(101, 0);
        Assert.Equal(0, tracker.Last(101));
        Assert.False(tracker.TryAdvance(101, 0));
        Assert.True(tracker.TryAdvance(101, 1));
    }

    [Fact]
    public void Seed_OnlyMovesUp()
    {
        var tracker = new SequenceTracker();
        tracker.Seed(101, 50);
        tracker.Seed(101, 20); // lower: ignored
        Assert.Equal(50, tracker.Last(101));
        tracker.Seed(101, 50); // equal: no change
        Assert.Equal(50, tracker.Last(101));
        tracker.Seed(101, 70);
        Assert.Equal(70, tracker.Last(101));

        Assert.True(tracker.TryAdvance(101, 80));
        tracker.Seed(101, 75); // below what the loop delivered: ignored
        Assert.Equal(80, tracker.Last(101));
    }

    [Fact]
    public void TryAdvance_SeveralStrategies_Independent()
    {
        var tracker = new SequenceTracker();
        Assert.True(tracker.TryAdvance(101, 10));
        Assert.True(tracker.TryAdvance(202, 3)); // lower than 101's, but another strategy
        tracker.Seed(303, 100);
        Assert.True(tracker.TryAdvance(101, 11));
        Assert.False(tracker.TryAdvance(202, 3));
        Assert.True(tracker.TryAdvance(303, 101));

        Assert.Equal(11, tracker.Last(101));
        Assert.Equal(3, tracker.Last(202));
        Assert.Equal(101, tracker.Last(303));
    }

    [Fact]
    public void TryAdvance_AlternatingStrategies_TheLoopsCachedEntryKeepsThemIndependent()
    {
        // Each switch replaces the loop's cached entry (_recent): going back must find the right one again.
        var tracker = new SequenceTracker();
        for (long seq = 1; seq <= 50; seq++)
        {
            Assert.True(tracker.TryAdvance(101, seq * 10));
            Assert.True(tracker.TryAdvance(202, seq));
            Assert.False(tracker.TryAdvance(101, seq)); // 202's seq is far below 101's last
            Assert.False(tracker.TryAdvance(202, seq)); // just seen: a duplicate right after the switch back
        }

        Assert.Equal(500, tracker.Last(101));
        Assert.Equal(50, tracker.Last(202));
    }

    [Fact]
    public void Seed_OfTheStrategyTheLoopHasCached_SeenByTheNextTryAdvance()
    {
        var tracker = new SequenceTracker();
        Assert.True(tracker.TryAdvance(101, 1)); // 101 is now the loop's cached entry
        tracker.Seed(101, 40);                    // a request seeds the same entry
        Assert.False(tracker.TryAdvance(101, 40));
        Assert.True(tracker.TryAdvance(101, 41));

        tracker.Seed(202, 7); // a strategy the loop never saw, while 101 stays cached
        Assert.True(tracker.TryAdvance(101, 42));
        Assert.False(tracker.TryAdvance(202, 7));
        Assert.True(tracker.TryAdvance(202, 8));
    }

    [Fact]
    public async Task Seed_FromAnotherThreadWhileTheLoopAdvances_LastNeverGoesBackAndNothingIsLost()
    {
        // The loop delivers 1..N in order while a request thread seeds the even ids. Whatever the interleaving,
        // what the loop accepts is strictly increasing, Last never moves back, and the loop's final id wins.
        const long N = 200_000;
        var tracker = new SequenceTracker();
        using var start = new Barrier(2);

        Task<string?> loop = Task.Run(() =>
        {
            start.SignalAndWait(Bound);
            long lastAccepted = -1;
            long lastSeen = -1;
            for (long seq = 1; seq <= N; seq++)
            {
                if (tracker.TryAdvance(101, seq))
                {
                    if (seq <= lastAccepted)
                    {
                        return $"accepted {seq} after {lastAccepted}";
                    }

                    lastAccepted = seq;
                }

                long last = tracker.Last(101) ?? -1;
                if (last < lastSeen || last < seq)
                {
                    return $"Last {last} after {lastSeen}, at seq {seq}";
                }

                lastSeen = last;
            }

            return null;
        });
        Task seeder = Task.Run(() =>
        {
            start.SignalAndWait(Bound);
            for (long seq = 2; seq <= N - 2; seq += 2)
            {
                tracker.Seed(101, seq);
            }
        });

        await Task.WhenAll(loop, seeder).WaitAsync(Bound);
        Assert.Null(await loop);
        Assert.Equal(N, tracker.Last(101));
    }

    [Fact]
    public async Task Seed_NewStrategiesFromAnotherThreadWhileTheLoopMeetsThem_OneEntryEach()
    {
        // Both threads create entries for the same new strategies at once: each strategy must end with one entry,
        // so the seed (10) wins over the loop's signal (5) whichever came first.
        const int Strategies = 5_000;
        var tracker = new SequenceTracker();
        using var start = new Barrier(2);

        Task loop = Task.Run(() =>
        {
            start.SignalAndWait(Bound);
            for (long id = 1; id <= Strategies; id++)
            {
                tracker.TryAdvance(id, 5);
            }
        });
        Task seeder = Task.Run(() =>
        {
            start.SignalAndWait(Bound);
            for (long id = 1; id <= Strategies; id++)
            {
                tracker.Seed(id, 10);
            }
        });

        await Task.WhenAll(loop, seeder).WaitAsync(Bound);
        for (long id = 1; id <= Strategies; id++)
        {
            Assert.Equal(10, tracker.Last(id));
            Assert.False(tracker.TryAdvance(id, 10));
        }
    }
}
