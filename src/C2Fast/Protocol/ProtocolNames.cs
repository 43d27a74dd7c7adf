namespace C2Fast.Protocol;

/// <summary>Every JSON name and literal of the C2 v4 envelope, as UTF-8 (Contract.md §2–§4).</summary>
/// <remarks>
/// Properties over <c>u8</c> literals compile to spans over the assembly's data section: no
/// allocation, no static constructor. Match them with <see cref="System.Text.Json.Utf8JsonReader.ValueTextEquals(ReadOnlySpan{byte})"/>
/// so escaped spellings on the wire (<c>"msg\u005ftype"</c>) still match.
/// </remarks>
internal static class ProtocolNames
{
    // Envelope field names (§2).

    /// <summary><c>msg_type</c>.</summary>
    public static ReadOnlySpan<byte> MsgType => "msg_type"u8;

    /// <summary><c>id</c>.</summary>
    public static ReadOnlySpan<byte> Id => "id"u8;

    /// <summary><c>seq_id</c>.</summary>
    public static ReadOnlySpan<byte> SeqId => "seq_id"u8;

    /// <summary><c>request_id</c>.</summary>
    public static ReadOnlySpan<byte> RequestId => "request_id"u8;

    /// <summary><c>timestamp</c>.</summary>
    public static ReadOnlySpan<byte> Timestamp => "timestamp"u8;

    /// <summary><c>v</c>.</summary>
    public static ReadOnlySpan<byte> Version => "v"u8;

    /// <summary><c>payload</c>.</summary>
    public static ReadOnlySpan<byte> Payload => "payload"u8;

    // Payload field names (§3, §4).

    /// <summary><c>strategy_id</c>.</summary>
    public static ReadOnlySpan<byte> StrategyId => "strategy_id"u8;

    /// <summary><c>action</c>.</summary>
    public static ReadOnlySpan<byte> Action => "action"u8;

    /// <summary><c>channel</c>.</summary>
    public static ReadOnlySpan<byte> Channel => "channel"u8;

    /// <summary><c>resume_from</c>.</summary>
    public static ReadOnlySpan<byte> ResumeFrom => "resume_from"u8;

    // Server → client msg_type values (§3).

    /// <summary><c>connection.connected</c>.</summary>
    public static ReadOnlySpan<byte> ConnectionConnected => "connection.connected"u8;

    /// <summary><c>connection.disconnected</c>.</summary>
    public static ReadOnlySpan<byte> ConnectionDisconnected => "connection.disconnected"u8;

    /// <summary><c>heartbeat</c>.</summary>
    public static ReadOnlySpan<byte> Heartbeat => "heartbeat"u8;

    /// <summary><c>subscription.ack</c>.</summary>
    public static ReadOnlySpan<byte> SubscriptionAck => "subscription.ack"u8;

    /// <summary><c>strategy.signal</c> (also a channel name).</summary>
    public static ReadOnlySpan<byte> StrategySignal => "strategy.signal"u8;

    /// <summary><c>strategy.positions</c> (also a channel name).</summary>
    public static ReadOnlySpan<byte> StrategyPositions => "strategy.positions"u8;

    /// <summary><c>gap</c>.</summary>
    public static ReadOnlySpan<byte> Gap => "gap"u8;

    /// <summary><c>error</c>.</summary>
    public static ReadOnlySpan<byte> Error => "error"u8;

    // Client → server msg_type values and literals (§4).

    /// <summary><c>heartbeat.ack</c>.</summary>
    public static ReadOnlySpan<byte> HeartbeatAck => "heartbeat.ack"u8;

    /// <summary><c>subscription.request</c>.</summary>
    public static ReadOnlySpan<byte> SubscriptionRequest => "subscription.request"u8;

    /// <summary><c>subscribe</c>.</summary>
    public static ReadOnlySpan<byte> Subscribe => "subscribe"u8;

    /// <summary><c>unsubscribe</c>.</summary>
    public static ReadOnlySpan<byte> Unsubscribe => "unsubscribe"u8;

    /// <summary>The UTF-8 <c>msg_type</c> value of a known <paramref name="type"/>; empty for <see cref="MessageType.Unknown"/>.</summary>
    /// <param name="type">A message type.</param>
    /// <returns>The wire name, without quotes.</returns>
    public static ReadOnlySpan<byte> Of(MessageType type) => type switch
    {
        MessageType.ConnectionConnected => ConnectionConnected,
        MessageType.ConnectionDisconnected => ConnectionDisconnected,
        MessageType.Heartbeat => Heartbeat,
        MessageType.SubscriptionAck => SubscriptionAck,
        MessageType.StrategySignal => StrategySignal,
        MessageType.StrategyPositions => StrategyPositions,
        MessageType.Gap => Gap,
        MessageType.Error => Error,
        _ => [],
    };
}
