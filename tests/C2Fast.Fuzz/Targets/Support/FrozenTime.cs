namespace C2Fast.Fuzz.Targets;

/// <summary>A clock that never moves and timers that never fire: a run can only end through its input.</summary>
internal sealed class FrozenTime : TimeProvider
{
    public static FrozenTime Instance { get; } = new();

    public override DateTimeOffset GetUtcNow() => new(2024, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public override long GetTimestamp() => 1;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new NeverTimer();

    private sealed class NeverTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
