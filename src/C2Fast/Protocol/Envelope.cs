using System.Globalization;

namespace C2Fast.Protocol;

/// <summary>The parsed envelope of one server message: the type, the scalar fields and byte ranges into the message.</summary>
/// <remarks>
/// A plain value (no references), so it can be stored next to a pooled message buffer and
/// outlive the parse call; the ranges stay meaningful as long as the caller keeps the bytes.
/// Absent fields and JSON <c>null</c> look the same (<see cref="ValueRange.IsPresent"/>,
/// <see cref="HasSeqId"/>, <see cref="HasVersion"/>, <see cref="HasStrategyId"/> are <see langword="false"/>).
/// </remarks>
internal readonly struct Envelope
{
    /// <summary>The recognised <c>msg_type</c>; <see cref="MessageType.Unknown"/> for a type this client does not know.</summary>
    public MessageType Type { get; init; }

    /// <summary>The raw <c>msg_type</c> string (between the quotes, escapes not decoded); always present after a successful parse.</summary>
    public ValueRange MsgType { get; init; }

    /// <summary>The raw <c>id</c> string.</summary>
    public ValueRange Id { get; init; }

    /// <summary>The raw <c>request_id</c> string (echoed by <c>subscription.ack</c> and <c>error</c>).</summary>
    public ValueRange RequestId { get; init; }

    /// <summary>The raw <c>timestamp</c> string (ISO-8601 UTC, not validated).</summary>
    public ValueRange Timestamp { get; init; }

    /// <summary>The whole <c>payload</c> value, braces included; absent for <c>null</c> or a missing payload.</summary>
    public ValueRange Payload { get; init; }

    /// <summary>Whether <c>seq_id</c> was a number (rather than absent or <c>null</c>).</summary>
    public bool HasSeqId { get; init; }

    /// <summary>The <c>seq_id</c> (0 or more); 0 when <see cref="HasSeqId"/> is <see langword="false"/>.</summary>
    public long SeqId { get; init; }

    /// <summary>Whether <c>v</c> was a number (rather than absent or <c>null</c>).</summary>
    public bool HasVersion { get; init; }

    /// <summary>The protocol version <c>v</c> (4 today); 0 when <see cref="HasVersion"/> is <see langword="false"/>.</summary>
    public int Version { get; init; }

    /// <summary>Whether the payload's top-level <c>strategy_id</c> was a positive integer.</summary>
    /// <remarks>
    /// Filled for any message type whose payload is an object (a <c>subscription.ack</c> echoes it
    /// too). Only for <c>strategy.signal</c>, <c>strategy.positions</c> and <c>gap</c> is a
    /// malformed <c>strategy_id</c> an error; elsewhere it just leaves this <see langword="false"/>.
    /// A <c>gap</c> may carry <c>"strategy_id":null</c> (Contract.md §3).
    /// </remarks>
    public bool HasStrategyId { get; init; }

    /// <summary>The payload's <c>strategy_id</c>; 0 when <see cref="HasStrategyId"/> is <see langword="false"/>.</summary>
    public long StrategyId { get; init; }

    /// <inheritdoc/>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Type} msg_type={MsgType} id={Id} seq_id={(HasSeqId ? (long?)SeqId : null)} request_id={RequestId} " +
        $"timestamp={Timestamp} v={(HasVersion ? (int?)Version : null)} payload={Payload} strategy_id={(HasStrategyId ? (long?)StrategyId : null)}");
}
