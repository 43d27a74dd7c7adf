namespace C2Fast;

/// <summary>What happens when consumers fall behind by more than <see cref="C2QueueOptions.MaxBufferedBytes"/> or a full partition.</summary>
/// <remarks>
/// Below the budget, and while every partition has room, the read loop keeps reading and answering heartbeats whatever
/// the consumers do. Drops are always counted (<see cref="C2FeedStatistics.MessagesDropped"/>, the
/// <c>c2fast.messages.dropped</c> metric and the <see cref="C2FeedClient.MessagesDropped"/> event).
/// </remarks>
public enum C2SlowConsumerPolicy
{
    /// <summary>
    /// Default. Stop reading until consumers catch up: nothing is lost. Meanwhile a <c>heartbeat.ack</c> goes out every
    /// <see cref="C2HeartbeatOptions.PausedAckInterval"/>, so the server keeps the stalled connection. Lossless for signals.
    /// </summary>
    Wait = 0,

    /// <summary>Discard the oldest queued message of the partition to make room (counted).</summary>
    DropOldest,

    /// <summary>Discard the incoming message (counted).</summary>
    DropNewest,

    /// <summary>
    /// Lossless for signals without stopping heartbeats for long: past the budget, close the
    /// connection, wait until consumers have drained to half the budget, then reconnect and resume
    /// from the last seq_id queued. Messages received in between are not queued (signals are
    /// replayed by the server; position snapshots are superseded by the next one). Needs <see cref="C2ReconnectOptions.Enabled"/>.
    /// </summary>
    DisconnectAndResume,
}
