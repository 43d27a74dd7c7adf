namespace C2Fast.Session;

/// <summary>When to try again after a lost connection: exponential backoff with full jitter, floored after rejections.</summary>
internal sealed class ReconnectPolicy(C2ReconnectOptions options)
{
    /// <summary>The wait before attempt <paramref name="attempt"/> (1-based) after <paramref name="failure"/>; <paramref name="random"/> is in [0, 1).</summary>
    public TimeSpan Delay(int attempt, C2FeedException? failure, double random)
    {
        double cap = Math.Min(options.MaxDelay.TotalMilliseconds, options.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30)));
        // Whole milliseconds (rounded up, but never past the cap): timers have no finer resolution, and a fraction left
        // over would cost a second timer.
        TimeSpan delay = TimeSpan.FromMilliseconds(Math.Min(Math.Ceiling(cap * random), cap));
        if (IsRejection(failure))
        {
            // The vendor's 429/503 and the close-1008 connection race: never sooner than the floor or Retry-After.
            TimeSpan floor = failure!.RetryAfter is TimeSpan retryAfter && retryAfter > options.RejectionDelay ? retryAfter : options.RejectionDelay;
            delay = delay > floor ? delay : floor;
        }

        return delay;
    }

    /// <summary>Whether the client should stop rather than try again: an invalid key stays invalid, a failed handler is the application's.</summary>
    public static bool IsTerminal(C2FeedException failure) => failure.Error is C2FeedError.AuthenticationFailed or C2FeedError.HandlerFailed;

    private static bool IsRejection(C2FeedException? failure)
        => failure is { Error: C2FeedError.ConnectionRejected } or { Error: C2FeedError.ConnectionClosed, CloseStatus: 1008 };
}
