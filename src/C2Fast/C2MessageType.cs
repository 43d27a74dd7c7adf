namespace C2Fast;

/// <summary>The <c>msg_type</c> of a message delivered to consumers.</summary>
/// <remarks>
/// Heartbeats, acknowledgements and errors are handled by the client itself (see the events on
/// <see cref="C2FeedClient"/>); consumers see the ordered, per-strategy stream plus anything new.
/// </remarks>
public enum C2MessageType
{
    /// <summary>A <c>msg_type</c> this version does not know, handed over untouched; see <see cref="C2FeedMessage.MsgTypeUtf8"/>.</summary>
    Unknown = 0,

    /// <summary><c>strategy.signal</c>: a trading signal, always with a <see cref="C2FeedMessage.SeqId"/>.</summary>
    Signal,

    /// <summary><c>strategy.positions</c>: a position update of a subscribed strategy.</summary>
    Positions,

    /// <summary><c>gap</c>: more signals were missed than the server replays; the strategy needs a REST re-sync.</summary>
    Gap,

    /// <summary><c>connection.disconnected</c>: reserved by the vendor, not sent today.</summary>
    Disconnected,
}
