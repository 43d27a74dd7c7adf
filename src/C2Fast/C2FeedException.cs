namespace C2Fast;

/// <summary>The one exception type C2Fast throws for feed, transport and protocol failures.</summary>
/// <remarks>
/// Branch on <see cref="Error"/>. <see cref="HttpStatus"/> is set for handshake rejections,
/// <see cref="CloseStatus"/> for failures that ended in (or with) a WebSocket close frame.
/// Messages never contain the API key.
/// </remarks>
public sealed class C2FeedException : Exception
{
    /// <summary>Creates an exception for <paramref name="error"/>.</summary>
    /// <param name="error">What went wrong.</param>
    /// <param name="message">A human-readable description (never contains secrets).</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public C2FeedException(C2FeedError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>What went wrong.</summary>
    public C2FeedError Error { get; }

    /// <summary>The HTTP status of a rejected upgrade (401, 429, 503, …); <see langword="null"/> otherwise.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>
    /// The WebSocket close status: the code the client sent when it failed the connection
    /// (1002, 1007, 1009) or the code the server closed with; <see langword="null"/> when no close frame was involved.
    /// </summary>
    public int? CloseStatus { get; init; }

    /// <summary>The server's close reason, when it sent one.</summary>
    public string? CloseReason { get; init; }

    /// <summary>The value of the <c>X-WS-Error</c> header of a rejected upgrade, when present.</summary>
    public string? ServerErrorHeader { get; init; }

    /// <summary>The <c>code</c> field of the JSON body of a rejected upgrade (e.g. <c>UNAUTHORIZED</c>), when present.</summary>
    public string? ServerCode { get; init; }

    /// <summary>The <c>message</c> field of the JSON body of a rejected upgrade, when present.</summary>
    public string? ServerMessage { get; init; }

    /// <summary>The <c>field</c> of a server <c>error</c> message (e.g. <c>StrategyId</c>), when present.</summary>
    public string? ServerField { get; init; }

    /// <summary>Every entry of a server <c>error</c> message (one, or the whole <c>errors</c> array).</summary>
    public IReadOnlyList<C2ServerError>? ServerErrors { get; init; }

    /// <summary>The server's <c>Retry-After</c> header of a rejected upgrade, when present.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Whether trying again later may succeed (not for a bad key, a rejected request or a local limit).</summary>
    public bool IsRetryable => Error is not (C2FeedError.AuthenticationFailed or C2FeedError.ConnectionNotOpen
        or C2FeedError.ServerError or C2FeedError.SubscriptionLimitExceeded or C2FeedError.HandlerFailed);
}
