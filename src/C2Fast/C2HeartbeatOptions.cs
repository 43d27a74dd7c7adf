using C2Fast.Diagnostics;

namespace C2Fast;

/// <summary>Heartbeats and liveness (<see cref="C2FeedOptions.Heartbeat"/>).</summary>
/// <remarks>
/// The server sends a heartbeat every 30 s and closes a connection whose last <c>heartbeat.ack</c> is more than
/// 40 s old. The client answers each heartbeat as soon as it is parsed, on the read loop, never behind queued messages
/// (an inline handler sees the messages of the same read first: keep it short).
/// </remarks>
public sealed record C2HeartbeatOptions
{
    /// <summary>The server's heartbeat period. With <see cref="Grace"/> it sets client-side liveness. Default 30 s.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Grace after a missed heartbeat. With no complete frame (any kind) for <see cref="Interval"/> + grace (40 s by default) the
    /// connection is treated as dead (half-open TCP, or bytes that never complete a frame) and dropped. Default 10 s.
    /// </summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// While backpressure pauses the read loop (<see cref="C2SlowConsumerPolicy.Wait"/> with the budget used or a
    /// partition full), the loop reads nothing, so a heartbeat waiting behind the backlog is not seen: a
    /// <c>heartbeat.ack</c> goes out this often instead, so a stalled consumer never gets the connection closed.
    /// Default 100 ms; <see cref="TimeSpan.Zero"/> turns it off (a consumer stalled past interval + grace then
    /// loses the connection). Must be below <see cref="Interval"/>.
    /// </summary>
    public TimeSpan PausedAckInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Client-side liveness limit: interval + grace.</summary>
    internal TimeSpan SilenceTimeout => Interval == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : Interval + Grace;

    internal void Validate()
    {
        OptionRules.Positive(Interval, "Heartbeat.Interval");
        if (Grace < TimeSpan.Zero)
        {
            ThrowHelper.ThrowArgumentOutOfRange("Heartbeat.Grace", Grace, "Must not be negative.");
        }

        if (PausedAckInterval < TimeSpan.Zero || (Interval != Timeout.InfiniteTimeSpan && PausedAckInterval >= Interval))
        {
            ThrowHelper.ThrowArgumentOutOfRange("Heartbeat.PausedAckInterval", PausedAckInterval, "Must be zero (off) or positive and below Interval.");
        }
    }
}
