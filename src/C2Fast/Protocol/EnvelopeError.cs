namespace C2Fast.Protocol;

/// <summary>Why <see cref="EnvelopeParser"/> returned <see cref="System.Buffers.OperationStatus.InvalidData"/>.</summary>
/// <remarks>
/// An invalid message is a protocol-error event for the application (issue 5), never a reason
/// to fail the connection: the parser is pure and the next message parses independently.
/// </remarks>
internal enum EnvelopeError : byte
{
    /// <summary>No error: the envelope parsed.</summary>
    None = 0,

    /// <summary>Not well-formed JSON (RFC 8259): syntax error, truncated input, trailing data, empty input.</summary>
    InvalidJson,

    /// <summary>Well-formed so far, but the root value is not an object.</summary>
    NotAnObject,

    /// <summary>Nesting deeper than the configured maximum depth.</summary>
    DepthExceeded,

    /// <summary>The root object has no <c>msg_type</c>.</summary>
    MissingMsgType,

    /// <summary><c>msg_type</c> is not a string (a number, <c>null</c>, an object…).</summary>
    MsgTypeNotString,

    /// <summary>An envelope field appears twice in the root object (ambiguous: rejected rather than guessed).</summary>
    DuplicateField,

    /// <summary><c>id</c> is neither a string nor <c>null</c>.</summary>
    InvalidId,

    /// <summary><c>seq_id</c> is neither <c>null</c> nor an integer in 0..<see cref="long.MaxValue"/> (negative, fractional, exponent, too big, a string…).</summary>
    InvalidSeqId,

    /// <summary><c>request_id</c> is neither a string nor <c>null</c>.</summary>
    InvalidRequestId,

    /// <summary><c>timestamp</c> is neither a string nor <c>null</c>.</summary>
    InvalidTimestamp,

    /// <summary><c>v</c> is neither <c>null</c> nor an integer that fits in <see cref="int"/>.</summary>
    InvalidVersion,

    /// <summary>A known message type carries a <c>payload</c> that is neither an object nor <c>null</c>.</summary>
    InvalidPayload,

    /// <summary>
    /// <c>strategy.signal</c>, <c>strategy.positions</c> or <c>gap</c> whose payload
    /// <c>strategy_id</c> is neither <c>null</c> nor a positive integer (or appears twice).
    /// </summary>
    InvalidStrategyId,

    /// <summary>The message is longer than <see cref="int.MaxValue"/> bytes (offsets are 32-bit).</summary>
    TooLarge,

    /// <summary>A name or value the envelope reads has an escape that is not valid UTF-16 (a lone surrogate such as <c>\ud800</c>).</summary>
    InvalidString,

    /// <summary>A binary message: C2 messages are JSON text.</summary>
    NotText,
}
