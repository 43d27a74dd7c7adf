namespace C2Fast;

/// <summary>What went wrong, as carried by <see cref="C2FeedException.Error"/>.</summary>
/// <remarks>
/// Tests and applications branch on this value, never on message text. Where the failure has
/// an HTTP status or a WebSocket close status, the exception carries it too.
/// </remarks>
public enum C2FeedError
{
    /// <summary>TCP connect failed: DNS, refused, unreachable or the connect timeout elapsed.</summary>
    ConnectFailed = 1,

    /// <summary>The TLS handshake failed, for example the server certificate did not validate.</summary>
    TlsFailed,

    /// <summary>The server rejected the upgrade with HTTP 401 (the API key is missing or invalid) or 403 (the key may not connect). Retrying cannot help.</summary>
    AuthenticationFailed,

    /// <summary>The server rejected the upgrade with HTTP 429 or 503 (rate or connection limit). Retry later.</summary>
    ConnectionRejected,

    /// <summary>The server answered the upgrade with another non-101 status.</summary>
    HandshakeFailed,

    /// <summary>The server answered 101 but the response broke RFC 6455 §4.1 (accept key, headers, unrequested extension or subprotocol, size).</summary>
    InvalidHandshake,

    /// <summary>The server broke RFC 6455 framing; the client sent close 1002 (protocol error).</summary>
    ProtocolViolation,

    /// <summary>A text message, or the reason of the server's close frame, was not valid UTF-8; the client sent close 1007.</summary>
    InvalidUtf8,

    /// <summary>A message exceeded the configured maximum size; the client sent close 1009.</summary>
    MessageTooBig,

    /// <summary>
    /// The connection ended with a close frame that the application did not ask for: the server's (see
    /// <see cref="C2FeedException.CloseStatus"/>), or the client's own when it sheds load under
    /// <see cref="C2SlowConsumerPolicy.DisconnectAndResume"/> (1006 if the server never answered).
    /// </summary>
    ConnectionClosed,

    /// <summary>The transport ended without a close handshake: reset, EOF or I/O failure.</summary>
    ConnectionLost,

    /// <summary>A timeout elapsed: liveness (no frame for heartbeat interval + grace), a request's answer, or <c>connection.connected</c> after the upgrade.</summary>
    Timeout,

    /// <summary>An operation was attempted on a connection that is closed or disposed.</summary>
    ConnectionNotOpen,

    /// <summary>The server answered a request with an <c>error</c> message; see <see cref="C2FeedException.ServerCode"/> and <see cref="C2FeedException.ServerErrors"/>.</summary>
    ServerError,

    /// <summary>A subscribe would exceed <see cref="C2FeedOptions.MaxSubscriptions"/> (the vendor allows 100 per connection); nothing was sent.</summary>
    SubscriptionLimitExceeded,

    /// <summary>The inline handler (see <see cref="C2FeedClient(C2FeedOptions, Action{C2FeedMessage}, Microsoft.Extensions.Logging.ILoggerFactory?)"/>) threw (see <see cref="Exception.InnerException"/>); the connection was dropped and is not retried.</summary>
    HandlerFailed,
}
