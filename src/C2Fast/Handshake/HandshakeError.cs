namespace C2Fast.Handshake;

/// <summary>Why the upgrade failed: one value per RFC 6455 §4.1 / HTTP rule the response broke, or how else it ended.</summary>
internal enum HandshakeError : byte
{
    None = 0,
    MalformedStatusLine,
    MalformedHeader,
    ResponseTooLarge,
    MissingUpgrade,
    MissingConnection,
    InvalidAccept,
    UnrequestedExtension,
    UnrequestedSubprotocol,

    /// <summary>The server answered with a status other than 101 (see <see cref="HandshakeException.Rejection"/>).</summary>
    Rejected,

    /// <summary>The connection failed or ended before the response was complete.</summary>
    ConnectionLost,
}

/// <summary>A non-101 answer to the upgrade: the status and what the server said about it.</summary>
/// <param name="StatusCode">The HTTP status (401, 429, 503, …).</param>
/// <param name="ErrorHeader">The <c>X-WS-Error</c> header, when present.</param>
/// <param name="Code">The <c>code</c> of the JSON body, when present.</param>
/// <param name="Message">The <c>message</c> of the JSON body, when present.</param>
/// <param name="RetryAfter">The <c>Retry-After</c> header as a delay, when present and valid.</param>
internal sealed record HandshakeRejection(int StatusCode, string? ErrorHeader, string? Code, string? Message, TimeSpan? RetryAfter);

/// <summary>The upgrade failed; the session maps it to the public error type.</summary>
internal sealed class HandshakeException(HandshakeError error, string message, HandshakeRejection? rejection = null, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>What went wrong.</summary>
    public HandshakeError Error { get; } = error;

    /// <summary>The server's answer when <see cref="Error"/> is <see cref="HandshakeError.Rejected"/>.</summary>
    public HandshakeRejection? Rejection { get; } = rejection;
}
