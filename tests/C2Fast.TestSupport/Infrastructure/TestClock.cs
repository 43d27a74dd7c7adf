using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace C2Fast.Tests.Infrastructure;

/// <summary>
/// A fake clock (<see cref="FakeTimeProvider"/>) that also reports every timer the code under test creates, so a
/// test can wait for the timer it is about to fire instead of hoping the code got there: then
/// <see cref="Advance"/> is deterministic. Nothing moves until the test advances it.
/// </summary>
internal sealed class TestClock : TimeProvider
{
    private readonly FakeTimeProvider _fake = new(new DateTimeOffset(2026, 12, 8, 0, 0, 0, TimeSpan.Zero));
    private readonly Channel<TimeSpan> _created = Channel.CreateUnbounded<TimeSpan>();

    public override DateTimeOffset GetUtcNow() => _fake.GetUtcNow();

    public override long GetTimestamp() => _fake.GetTimestamp();

    public override long TimestampFrequency => _fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => _fake.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ITimer timer = _fake.CreateTimer(callback, state, dueTime, period);
        _created.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>Moves the clock on; timers that fall due fire on this thread.</summary>
    public void Advance(TimeSpan by) => _fake.Advance(by);

    /// <summary>Forgets the timers created so far: a later wait only sees timers created from now on.</summary>
    public void ForgetTimers()
    {
        while (_created.Reader.TryRead(out _))
        {
        }
    }

    /// <summary>Waits until the code creates a timer whose due time matches (since the last <see cref="ForgetTimers"/>).</summary>
    /// <exception cref="TimeoutException">No such timer within <paramref name="timeout"/> (10 s by default).</exception>
    public async Task<TimeSpan> WaitForTimerAsync(Func<TimeSpan, bool> match, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            while (true)
            {
                TimeSpan due = await _created.Reader.ReadAsync(cts.Token);
                if (match(due))
                {
                    return due;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The code never started a timer for {what} within {timeout ?? TimeSpan.FromSeconds(10)}.");
        }
    }

    /// <summary>Waits for a timer of exactly <paramref name="dueTime"/>.</summary>
    public Task<TimeSpan> WaitForTimerAsync(TimeSpan dueTime, string what, TimeSpan? timeout = null)
        => WaitForTimerAsync(due => due == dueTime, what, timeout);

    /// <summary>
    /// Disposes <paramref name="disposable"/> while moving the clock on a second at a time, so close and drain
    /// timeouts can run out (a test's teardown against a server that no longer answers). Bounded: fails after 10 s.
    /// </summary>
    public async Task DisposeWhileAdvancingAsync(IAsyncDisposable disposable)
    {
        Task disposing = disposable.DisposeAsync().AsTask();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!disposing.IsCompleted)
        {
            Advance(TimeSpan.FromSeconds(1));
            try
            {
                await Task.WhenAny(disposing, Task.Delay(10, bound.Token));
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("Disposal did not complete within 10 s of real time, with the fake clock moving on.");
            }
        }

        await disposing;
    }

    /// <summary>An <c>await using</c> scope that disposes with <see cref="DisposeWhileAdvancingAsync"/>.</summary>
    public Scope Owning(IAsyncDisposable disposable) => new(this, disposable);

    /// <summary>See <see cref="Owning"/>.</summary>
    internal readonly struct Scope(TestClock clock, IAsyncDisposable disposable) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => new(clock.DisposeWhileAdvancingAsync(disposable));
    }
}
