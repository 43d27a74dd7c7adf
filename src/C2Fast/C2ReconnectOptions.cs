using C2Fast.Diagnostics;

namespace C2Fast;

/// <summary>Automatic reconnection after a lost connection (<see cref="C2FeedOptions.Reconnect"/>).</summary>
/// <remarks>
/// After a loss the client waits, connects again, and restores every subscription, <c>strategy.signal</c> ones with
/// <c>resume_from</c> = the last seq_id delivered, so nothing is missed and nothing delivered twice. The first
/// <see cref="C2FeedClient.ConnectAsync"/> is never retried, and a 401 or 403 never is.
/// </remarks>
public sealed record C2ReconnectOptions
{
    /// <summary>Whether to reconnect automatically. Default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Backoff base: attempt n waits a random time in [0, min(<see cref="MaxDelay"/>, base × 2^(n-1))] (full jitter). Default 0.5 s.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Backoff cap. Default 30 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The least wait after a rejection: HTTP 429 or 503 (a longer <c>Retry-After</c> wins) or close 1008 (the
    /// vendor's connection-limit race). Default 5 s.
    /// </summary>
    public TimeSpan RejectionDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Consecutive failed attempts before giving up (the client then completes faulted); null never gives up. Default
    /// null. An attempt whose connection ends before it proves healthy counts as failed: healthy means it delivered a
    /// signal not delivered before, or the server kept sending frames for at least half of
    /// <see cref="C2HeartbeatOptions.Interval"/> after <c>connection.connected</c> (time spent detecting the failure
    /// does not count). The count, and the backoff, start again only after a healthy connection.
    /// </summary>
    public int? MaxAttempts { get; init; }

    internal void Validate()
    {
        OptionRules.Positive(BaseDelay, "Reconnect.BaseDelay");
        if (MaxDelay < BaseDelay)
        {
            ThrowHelper.ThrowArgumentOutOfRange("Reconnect.MaxDelay", MaxDelay, "Must be at least BaseDelay.");
        }

        if (RejectionDelay < TimeSpan.Zero)
        {
            ThrowHelper.ThrowArgumentOutOfRange("Reconnect.RejectionDelay", RejectionDelay, "Must not be negative.");
        }

        if (MaxAttempts is < 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange("Reconnect.MaxAttempts", MaxAttempts, "Must be at least 1, or null for no limit.");
        }
    }
}
