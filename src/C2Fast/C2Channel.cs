namespace C2Fast;

/// <summary>A channel a strategy can be subscribed on.</summary>
public enum C2Channel
{
    /// <summary><c>strategy.signal</c>: trading signals, ordered by <c>seq_id</c>, replayable with <c>resume_from</c>.</summary>
    Signal,

    /// <summary><c>strategy.positions</c>: position updates (no replay).</summary>
    Positions,
}
