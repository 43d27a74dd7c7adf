using System.Threading.Channels;
using C2Fast.Session;
using C2Fast.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace C2Fast.Tests.Session;

/// <summary>
/// The committed seq_ids per strategy and their background saver, on the fake clock: loading seeds them, an
/// anchor records "everything before the first signal", commits only move forward, the saver saves when the
/// interval passes and something changed, a failing store is logged and retried, and disposal saves last.
/// </summary>
public class CheckpointTrackerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private static CheckpointTracker NewTracker(IC2CheckpointStore store, TestClock clock, ILogger? logger = null)
        => new(store, Interval, clock, logger ?? new ListLogger());

    /// <summary>Loads, then waits until the saver has started its periodic timer, so advancing the clock fires it.</summary>
    private static async Task<IReadOnlyDictionary<long, long>> LoadAndWaitForTheSaverAsync(CheckpointTracker tracker, TestClock clock)
    {
        IReadOnlyDictionary<long, long> loaded = await tracker.LoadAsync(CancellationToken.None).WaitAsync(Bound);
        TimeSpan due = await clock.WaitForTimerAsync(_ => true, "the saver's periodic timer");
        Assert.Equal(Interval, due);
        return loaded;
    }

    [Fact]
    public async Task LoadAsync_StoreHoldsCheckpoints_ReturnsThemAndSeedsGet()
    {
        var clock = new TestClock();
        var memory = new C2MemoryCheckpointStore(new Dictionary<long, long> { [101] = 5, [202] = 7 });
        CheckpointTracker tracker = NewTracker(memory, clock);

        IReadOnlyDictionary<long, long> loaded = await LoadAndWaitForTheSaverAsync(tracker, clock);

        Assert.Equal(new Dictionary<long, long> { [101] = 5, [202] = 7 }, loaded);
        Assert.Equal(5, tracker.Get(101));
        Assert.Equal(7, tracker.Get(202));
        Assert.Null(tracker.Get(303));

        await tracker.DisposeAsync();
        Assert.Equal(0, memory.SaveCount); // nothing changed: loading is not a change
    }

    [Fact]
    public void Get_NothingLoadedOrCommitted_Null()
    {
        CheckpointTracker tracker = NewTracker(new C2MemoryCheckpointStore(), new TestClock());
        Assert.Null(tracker.Get(101));
    }

    [Fact]
    public async Task Anchor_StrategyWithoutCheckpoint_RecordsTheSeqBeforeOnlyOnce()
    {
        var clock = new TestClock();
        var memory = new C2MemoryCheckpointStore(new Dictionary<long, long> { [202] = 7 });
        CheckpointTracker tracker = NewTracker(memory, clock);
        await LoadAndWaitForTheSaverAsync(tracker, clock);

        tracker.Anchor(101, 10);
        Assert.Equal(9, tracker.Get(101));
        tracker.Anchor(101, 20); // it has one now
        Assert.Equal(9, tracker.Get(101));
        tracker.Anchor(202, 100); // loaded one: kept
        Assert.Equal(7, tracker.Get(202));
        tracker.Anchor(303, 1);
        Assert.Equal(0, tracker.Get(303));
        tracker.Anchor(404, 0); // never below zero
        Assert.Equal(0, tracker.Get(404));

        await tracker.FlushAsync().WaitAsync(Bound);
        IReadOnlyDictionary<long, long> saved = await memory.LoadAsync();
        Assert.Equal(new Dictionary<long, long> { [101] = 9, [202] = 7, [303] = 0, [404] = 0 }, saved);
        await tracker.DisposeAsync();
    }

    [Fact]
    public async Task Anchor_StrategyWithCheckpoint_ChangesNothingSoNothingIsSaved()
    {
        var memory = new C2MemoryCheckpointStore();
        CheckpointTracker tracker = NewTracker(memory, new TestClock());
        tracker.Commit(101, 50);
        await tracker.FlushAsync().WaitAsync(Bound);
        Assert.Equal(1, memory.SaveCount);

        tracker.Anchor(101, 10);
        await tracker.FlushAsync().WaitAsync(Bound);

        Assert.Equal(1, memory.SaveCount);
        Assert.Equal(50, tracker.Get(101));
        await tracker.DisposeAsync();
    }

    [Fact]
    public async Task Commit_OnlyMovesForward()
    {
        var memory = new C2MemoryCheckpointStore();
        CheckpointTracker tracker = NewTracker(memory, new TestClock());

        tracker.Commit(101, 5);
        Assert.Equal(5, tracker.Get(101));
        tracker.Commit(101, 3);
        Assert.Equal(5, tracker.Get(101));
        tracker.Commit(101, 8);
        Assert.Equal(8, tracker.Get(101));
        tracker.Anchor(202, 10);
        tracker.Commit(202, 9); // equal to the anchor: no change
        Assert.Equal(9, tracker.Get(202));
        tracker.Commit(202, 0); // commits 0 for a strategy that has 9: ignored
        Assert.Equal(9, tracker.Get(202));
        tracker.Commit(303, 0); // a first commit of 0 is recorded
        Assert.Equal(0, tracker.Get(303));

        await tracker.FlushAsync().WaitAsync(Bound);
        Assert.Equal(1, memory.SaveCount);
        tracker.Commit(101, 7); // backwards: not a change
        tracker.Commit(101, 8); // equal: not a change
        await tracker.FlushAsync().WaitAsync(Bound);
        Assert.Equal(1, memory.SaveCount);
        Assert.Equal(new Dictionary<long, long> { [101] = 8, [202] = 9, [303] = 0 }, await memory.LoadAsync());
        await tracker.DisposeAsync();
    }

    [Fact]
    public async Task FlushAsync_SomethingChanged_SavesTheWholeMapNowAndOnlyOnce()
    {
        var clock = new TestClock();
        var memory = new C2MemoryCheckpointStore(new Dictionary<long, long> { [202] = 7 });
        CheckpointTracker tracker = NewTracker(memory, clock);
        await LoadAndWaitForTheSaverAsync(tracker, clock);
        tracker.Commit(101, 5);

        await tracker.FlushAsync().WaitAsync(Bound); // the clock has not moved: this is the flush, not the timer

        Assert.Equal(1, memory.SaveCount);
        Assert.Equal(new Dictionary<long, long> { [101] = 5, [202] = 7 }, await memory.LoadAsync());
        await tracker.FlushAsync().WaitAsync(Bound);
        Assert.Equal(1, memory.SaveCount);
        await tracker.DisposeAsync();
        Assert.Equal(1, memory.SaveCount);
    }

    [Fact]
    public async Task Saver_ClockPassesTheInterval_SavesThenAndNotBefore()
    {
        var clock = new TestClock();
        var memory = new C2MemoryCheckpointStore();
        var store = new RecordingStore(memory);
        CheckpointTracker tracker = NewTracker(store, clock);
        await LoadAndWaitForTheSaverAsync(tracker, clock);
        tracker.Commit(101, 5);

        clock.Advance(Interval - TimeSpan.FromTicks(1));
        Assert.Equal(0, memory.SaveCount); // the timer is not due, and nothing else saves

        clock.Advance(TimeSpan.FromTicks(1));
        SaveAttempt first = await store.NextAttemptAsync("the first periodic save");
        Assert.True(first.Succeeded);
        Assert.Equal(new Dictionary<long, long> { [101] = 5 }, first.Checkpoints);
        Assert.Equal(1, memory.SaveCount);

        tracker.Commit(101, 6);
        clock.Advance(Interval);
        SaveAttempt second = await store.NextAttemptAsync("the second periodic save");
        Assert.Equal(new Dictionary<long, long> { [101] = 6 }, second.Checkpoints);

        await tracker.DisposeAsync();
        Assert.Equal(2, memory.SaveCount);
    }

    [Fact]
    public async Task Saver_TicksWithNothingChanged_DoNotSave()
    {
        // A tick that finds nothing changed is not observable as such, so the unchanged ticks are put between two
        // changes: the second save must be the one that carries the second change, and the only other one.
        var clock = new TestClock();
        var memory = new C2MemoryCheckpointStore(new Dictionary<long, long> { [101] = 1 });
        var store = new RecordingStore(memory);
        CheckpointTracker tracker = NewTracker(store, clock);
        await LoadAndWaitForTheSaverAsync(tracker, clock);
        tracker.Commit(101, 5);
        clock.Advance(Interval);
        Assert.Equal(5, (await store.NextAttemptAsync("the save of the first change")).Checkpoints[101]);

        clock.Advance(Interval); // nothing changed since
        clock.Advance(Interval);
        tracker.Commit(101, 9);
        clock.Advance(Interval);

        Assert.Equal(9, (await store.NextAttemptAsync("the save of the second change")).Checkpoints[101]);
        await tracker.DisposeAsync();
        Assert.Equal(2, store.Attempts);
        Assert.Equal(2, memory.SaveCount);
    }

    [Theory]
    [InlineData(typeof(IOException))]
    [InlineData(typeof(UnauthorizedAccessException))]
    public async Task Saver_StoreFails_LoggedNotThrownAndRetriedOnTheNextTick(Type failure)
    {
        var clock = new TestClock();
        var memory = new C2MemoryCheckpointStore();
        var store = new RecordingStore(memory, failures: 1, failure);
        var logger = new ListLogger();
        CheckpointTracker tracker = NewTracker(store, clock, logger);
        await LoadAndWaitForTheSaverAsync(tracker, clock);
        tracker.Commit(101, 5);

        clock.Advance(Interval);
        Assert.False((await store.NextAttemptAsync("the failing save")).Succeeded);
        LogEntry logged = await logger.NextAsync("the failure's log entry");
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.IsType(failure, logged.Exception);
        Assert.Equal(0, memory.SaveCount);

        clock.Advance(Interval); // no new commit: the change is still pending and the saver still runs
        SaveAttempt retry = await store.NextAttemptAsync("the retry");
        Assert.True(retry.Succeeded);
        Assert.Equal(new Dictionary<long, long> { [101] = 5 }, retry.Checkpoints);
        Assert.Equal(1, memory.SaveCount);

        await tracker.DisposeAsync(); // nothing left to save, and nothing thrown
        Assert.Equal(2, store.Attempts);
        Assert.Equal(0, logger.Count);
    }

    [Fact]
    public async Task FlushAsync_StoreFails_ThrowsAndTheNextFlushSavesTheSameChange()
    {
        var memory = new C2MemoryCheckpointStore();
        var store = new RecordingStore(memory, failures: 1);
        CheckpointTracker tracker = NewTracker(store, new TestClock());
        tracker.Commit(101, 5);

        await Assert.ThrowsAsync<IOException>(() => tracker.FlushAsync().WaitAsync(Bound));
        await tracker.FlushAsync().WaitAsync(Bound);

        Assert.Equal(1, memory.SaveCount);
        Assert.Equal(new Dictionary<long, long> { [101] = 5 }, await memory.LoadAsync());
        await tracker.DisposeAsync();
    }

    [Fact]
    public async Task DisposeAsync_ChangesSinceTheLastTick_MakesTheFinalSave()
    {
        var clock = new TestClock();
        var memory = new C2MemoryCheckpointStore();
        CheckpointTracker tracker = NewTracker(memory, clock);
        await LoadAndWaitForTheSaverAsync(tracker, clock);
        tracker.Commit(101, 5);
        tracker.Anchor(202, 3);

        await tracker.DisposeAsync().AsTask().WaitAsync(Bound); // the clock never moved: no tick saved it

        Assert.Equal(1, memory.SaveCount);
        Assert.Equal(new Dictionary<long, long> { [101] = 5, [202] = 2 }, await memory.LoadAsync());
    }

    [Fact]
    public async Task DisposeAsync_NeverLoaded_StillSavesWhatWasCommitted()
    {
        var memory = new C2MemoryCheckpointStore();
        CheckpointTracker tracker = NewTracker(memory, new TestClock());
        tracker.Commit(101, 5);

        await tracker.DisposeAsync().AsTask().WaitAsync(Bound);

        Assert.Equal(new Dictionary<long, long> { [101] = 5 }, await memory.LoadAsync());
    }

    private sealed record SaveAttempt(Dictionary<long, long> Checkpoints, bool Succeeded);

    /// <summary>A store that reports every save attempt and fails the first <c>failures</c> of them.</summary>
    private sealed class RecordingStore(C2MemoryCheckpointStore inner, int failures = 0, Type? failure = null) : IC2CheckpointStore
    {
        private readonly Channel<SaveAttempt> _attempts = Channel.CreateUnbounded<SaveAttempt>();
        private int _failuresLeft = failures;
        private int _count;

        public int Attempts => Volatile.Read(ref _count);

        public ValueTask<IReadOnlyDictionary<long, long>> LoadAsync(CancellationToken cancellationToken = default) => inner.LoadAsync(cancellationToken);

        public async ValueTask SaveAsync(IReadOnlyDictionary<long, long> checkpoints, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _count);
            var copy = new Dictionary<long, long>(checkpoints);
            if (Interlocked.Decrement(ref _failuresLeft) >= 0)
            {
                _attempts.Writer.TryWrite(new SaveAttempt(copy, Succeeded: false));
                throw failure == typeof(UnauthorizedAccessException)
                    ? new UnauthorizedAccessException("denied (test)")
                    : new IOException("disk full (test)");
            }

            await inner.SaveAsync(checkpoints, cancellationToken);
            _attempts.Writer.TryWrite(new SaveAttempt(copy, Succeeded: true));
        }

        public async Task<SaveAttempt> NextAttemptAsync(string what)
        {
            try
            {
                return await _attempts.Reader.ReadAsync().AsTask().WaitAsync(Bound);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"No save attempt for {what} within {Bound} ({Attempts} so far).");
            }
        }
    }

    private sealed record LogEntry(LogLevel Level, EventId Id, Exception? Exception);

    /// <summary>A logger that keeps what it is given.</summary>
    private sealed class ListLogger : ILogger
    {
        private readonly Channel<LogEntry> _entries = Channel.CreateUnbounded<LogEntry>();

        /// <summary>Entries not taken yet.</summary>
        public int Count => _entries.Reader.Count;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => _entries.Writer.TryWrite(new LogEntry(logLevel, eventId, exception));

        public async Task<LogEntry> NextAsync(string what)
        {
            try
            {
                return await _entries.Reader.ReadAsync().AsTask().WaitAsync(Bound);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"Nothing logged for {what} within {Bound}.");
            }
        }
    }
}
