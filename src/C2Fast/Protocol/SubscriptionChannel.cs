namespace C2Fast.Protocol;

/// <summary>The <c>channel</c> of a <c>subscription.request</c> (Contract.md §4).</summary>
internal enum SubscriptionChannel : byte
{
    /// <summary><c>strategy.signal</c>: trading signals, with <c>seq_id</c> and replay via <c>resume_from</c>.</summary>
    StrategySignal,

    /// <summary><c>strategy.positions</c>: position updates (no replay).</summary>
    StrategyPositions,
}
