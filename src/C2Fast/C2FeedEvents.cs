namespace C2Fast;

/// <summary>One entry of a server <c>error</c> message, as the vendor documents it: <c>{code, field, message}</c>.</summary>
/// <param name="Code">E.g. <c>FORBIDDEN</c>, <c>INVALID_PARAMETER</c>.</param>
/// <param name="Field">The offending field, e.g. <c>StrategyId</c>, when named.</param>
/// <param name="Message">Human-readable text.</param>
public sealed record C2ServerError(string? Code, string? Field, string? Message);

/// <summary>Raised when the connection is ready: <c>connection.connected</c> arrived.</summary>
public sealed class C2ConnectedEventArgs : EventArgs
{
    internal C2ConnectedEventArgs(Uri endpoint, string? connectionId)
    {
        Endpoint = endpoint;
        ConnectionId = connectionId;
    }

    /// <summary>The endpoint connected to.</summary>
    public Uri Endpoint { get; }

    /// <summary>The <c>id</c> of the server's <c>connection.connected</c> message.</summary>
    public string? ConnectionId { get; }
}

/// <summary>Raised once when a connection ends.</summary>
public sealed class C2DisconnectedEventArgs : EventArgs
{
    internal C2DisconnectedEventArgs(C2FeedException? error, int? closeStatus, string? closeReason)
    {
        Error = error;
        CloseStatus = closeStatus;
        CloseReason = closeReason;
    }

    /// <summary>Why it ended, or <see langword="null"/> for a clean close we asked for.</summary>
    public C2FeedException? Error { get; }

    /// <summary>The close code exchanged, if any.</summary>
    public int? CloseStatus { get; }

    /// <summary>The close reason exchanged, if any.</summary>
    public string? CloseReason { get; }
}

/// <summary>Raised when a subscribe or unsubscribe was acknowledged.</summary>
public sealed class C2SubscriptionEventArgs : EventArgs
{
    internal C2SubscriptionEventArgs(C2Channel channel, long strategyId, bool subscribed, string requestId)
    {
        Channel = channel;
        StrategyId = strategyId;
        Subscribed = subscribed;
        RequestId = requestId;
    }

    /// <summary>The channel.</summary>
    public C2Channel Channel { get; }

    /// <summary>The strategy.</summary>
    public long StrategyId { get; }

    /// <summary><see langword="true"/> for a subscribe, <see langword="false"/> for an unsubscribe.</summary>
    public bool Subscribed { get; }

    /// <summary>The <c>request_id</c> the server echoed.</summary>
    public string RequestId { get; }
}

/// <summary>Raised for every server <c>error</c> message, whether or not it answers one of our requests.</summary>
public sealed class C2ServerErrorEventArgs : EventArgs
{
    internal C2ServerErrorEventArgs(string? requestId, IReadOnlyList<C2ServerError> errors)
    {
        RequestId = requestId;
        Errors = errors;
    }

    /// <summary>The echoed <c>request_id</c>, when the error answers a request.</summary>
    public string? RequestId { get; }

    /// <summary>The single error, or every element of the <c>errors</c> array.</summary>
    public IReadOnlyList<C2ServerError> Errors { get; }
}

/// <summary>Raised for a <c>gap</c>: the strategy's state is incomplete and needs a re-sync from the REST API.</summary>
public sealed class C2GapEventArgs : EventArgs
{
    internal C2GapEventArgs(C2Gap gap, long? strategyId)
    {
        Gap = gap;
        StrategyId = strategyId;
    }

    /// <summary>The gap payload.</summary>
    public C2Gap Gap { get; }

    /// <summary>The strategy, from the payload or else from its <c>channel</c> (<c>strategy.signal:ID</c>).</summary>
    public long? StrategyId { get; }
}

/// <summary>
/// Raised for a server message that cannot be used: not JSON, not an envelope, a string that is no text, or a binary
/// message. It is never delivered; the connection carries on.
/// </summary>
public sealed class C2ProtocolErrorEventArgs : EventArgs
{
    internal C2ProtocolErrorEventArgs(string reason, byte[] rawMessage)
    {
        Reason = reason;
        RawMessage = rawMessage;
    }

    /// <summary>
    /// What was wrong, e.g. <c>InvalidJson</c>, <c>NotAnObject</c>, <c>MissingMsgType</c>, <c>DepthExceeded</c>,
    /// <c>InvalidString</c> (an escape that is no UTF-16 text, such as a lone surrogate <c>\ud800</c>, where C2Fast must
    /// read the string) or <c>NotText</c> (a binary message: C2 messages are JSON text).
    /// </summary>
    public string Reason { get; }

    /// <summary>A copy of the message as received.</summary>
    public ReadOnlyMemory<byte> RawMessage { get; }
}

/// <summary>Raised (at most once per pending notification) when the slow-consumer policy dropped messages.</summary>
public sealed class C2DropEventArgs : EventArgs
{
    internal C2DropEventArgs(long totalDropped, long signalsDropped)
    {
        TotalDropped = totalDropped;
        SignalsDropped = signalsDropped;
    }

    /// <summary>Messages dropped since the client started.</summary>
    public long TotalDropped { get; }

    /// <summary>Of those, <c>strategy.signal</c> messages.</summary>
    public long SignalsDropped { get; }
}

/// <summary>Raised before each reconnect attempt.</summary>
public sealed class C2ReconnectingEventArgs : EventArgs
{
    internal C2ReconnectingEventArgs(int attempt, TimeSpan delay, C2FeedException? lastError)
    {
        Attempt = attempt;
        Delay = delay;
        LastError = lastError;
    }

    /// <summary>1 for the first attempt after a loss, counting up until one succeeds.</summary>
    public int Attempt { get; }

    /// <summary>How long the client waits before this attempt.</summary>
    public TimeSpan Delay { get; }

    /// <summary>Why the connection was lost, or why the previous attempt failed.</summary>
    public C2FeedException? LastError { get; }
}
