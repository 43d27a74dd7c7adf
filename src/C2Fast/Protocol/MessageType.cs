namespace C2Fast.Protocol;

/// <summary>The <c>msg_type</c> of a server message, as recognised by <see cref="EnvelopeParser"/>.</summary>
/// <remarks>
/// <see cref="Unknown"/> means "well-formed, but not a type this client knows": the raw
/// <c>msg_type</c> bytes are in <see cref="Envelope.MsgType"/> and the message goes to the
/// application untouched (Contract.md §2, a choice where the vendor is silent).
/// </remarks>
internal enum MessageType : byte
{
    /// <summary>A <c>msg_type</c> this client does not know.</summary>
    Unknown = 0,

    /// <summary><c>connection.connected</c>: sent once after the upgrade; the connection is ready.</summary>
    ConnectionConnected,

    /// <summary><c>connection.disconnected</c>: reserved by the vendor, not sent today.</summary>
    ConnectionDisconnected,

    /// <summary><c>heartbeat</c>: every 30 s; must be answered with <c>heartbeat.ack</c>.</summary>
    Heartbeat,

    /// <summary><c>subscription.ack</c>: echoes the request's <c>request_id</c>.</summary>
    SubscriptionAck,

    /// <summary><c>strategy.signal</c>: a trading signal, always with <c>seq_id</c>.</summary>
    StrategySignal,

    /// <summary><c>strategy.positions</c>: a position update of a subscribed strategy.</summary>
    StrategyPositions,

    /// <summary><c>gap</c>: more messages were missed than the server replays.</summary>
    Gap,

    /// <summary><c>error</c>: a rejected request (single error or an <c>errors</c> array).</summary>
    Error,
}
