// Longer than 500 lines: one pass of Utf8JsonReader over every envelope field, kept in one file so the rules can be read together.
using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace C2Fast.Protocol;

/// <summary>Parses the envelope of one complete server message in a single pass, without allocating.</summary>
/// <remarks>
/// <para>
/// One forward pass of <see cref="Utf8JsonReader"/> over the root object (Contract.md §2):
/// </para>
/// <code>
///   {  name : value , name : value , ... }        any field order, names matched with
///      │      │                                   ValueTextEquals semantics (escapes decoded)
///      │      ├─ msg_type / id / request_id / timestamp → ValueRange of the raw string
///      │      ├─ seq_id / v                              → long / int (absent ≡ null)
///      │      ├─ payload                                 → ValueRange of the whole value; if an
///      │      │                                            object, its top-level strategy_id is
///      │      │                                            read on the way and the rest skipped
///      │      └─ anything else                           → skipped (objects/arrays depth-checked)
///      └─ a known field seen twice → DuplicateField
/// </code>
/// <para>
/// The payload may come before <c>msg_type</c>, so <c>strategy_id</c> is read whenever the
/// payload has one and judged at the end, once the type is known: only <c>strategy.signal</c>,
/// <c>strategy.positions</c> and <c>gap</c> treat a malformed one as an error.
/// </para>
/// <para>
/// Nesting is checked by the parser itself, not by the reader, so that "too deep" is reported as
/// <see cref="EnvelopeError.DepthExceeded"/> rather than as an opaque reader exception. The reader
/// throws <see cref="JsonException"/> on malformed JSON; that is caught at the entry points (the
/// only allocation, and only on invalid input) and reported as <see cref="EnvelopeError.InvalidJson"/>.
/// Valid input allocates nothing, for span and multi-segment input alike.
/// </para>
/// <para>
/// The input is a complete message: this parser never returns
/// <see cref="OperationStatus.NeedMoreData"/> (a truncated message is invalid JSON).
/// </para>
/// </remarks>
internal static partial class EnvelopeParser
{
    /// <summary>The default maximum nesting depth (the root object counts as 1), as <see cref="JsonReaderOptions.MaxDepth"/>'s default.</summary>
    public const int DefaultMaxDepth = 64;

    /// <summary>The largest accepted maximum depth.</summary>
    public const int MaxSupportedDepth = 4096;

    private const int MaxInputLength = int.MaxValue;

    // Multi-segment messages up to this size are scanned from a contiguous pooled copy (copying is
    // ~20x cheaper per byte than tokenizing); larger ones go to the reader's multi-segment mode.
    private const int MaxScanCopy = 64 * 1024;

    [Flags]
    private enum Field : byte
    {
        None = 0,
        MsgType = 1,
        Id = 2,
        SeqId = 4,
        RequestId = 8,
        Timestamp = 16,
        Version = 32,
        Payload = 64,
    }

    private enum StrategyIdState : byte
    {
        Absent,
        Valid,
        Invalid,
    }

    /// <summary>Parses the envelope of a complete message held in one span.</summary>
    /// <param name="message">The whole text message (UTF-8 JSON).</param>
    /// <param name="envelope">The envelope when <see cref="OperationStatus.Done"/>; <c>default</c> otherwise.</param>
    /// <param name="error">Why the message is invalid; <see cref="EnvelopeError.None"/> when <see cref="OperationStatus.Done"/>.</param>
    /// <param name="maxDepth">Maximum nesting depth, root object included (an option; default <see cref="DefaultMaxDepth"/>).</param>
    /// <returns><see cref="OperationStatus.Done"/> or <see cref="OperationStatus.InvalidData"/>; never throws for bad input.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxDepth"/> is below 1 or above <see cref="MaxSupportedDepth"/>.</exception>
    public static OperationStatus Parse(ReadOnlySpan<byte> message, out Envelope envelope, out EnvelopeError error, int maxDepth = DefaultMaxDepth)
    {
        ValidateMaxDepth(maxDepth);
        if (TryScan(message, maxDepth, out envelope))
        {
            error = EnvelopeError.None;
            return OperationStatus.Done;
        }

        return ParseWithReader(message, out envelope, out error, maxDepth);
    }

    /// <summary>Parses the envelope of a complete message that may span several segments.</summary>
    /// <param name="message">The whole text message (UTF-8 JSON), possibly multi-segment.</param>
    /// <param name="envelope">The envelope when <see cref="OperationStatus.Done"/>; <c>default</c> otherwise. Offsets are absolute from the start of <paramref name="message"/>.</param>
    /// <param name="error">Why the message is invalid; <see cref="EnvelopeError.None"/> when <see cref="OperationStatus.Done"/>.</param>
    /// <param name="maxDepth">Maximum nesting depth, root object included (an option; default <see cref="DefaultMaxDepth"/>).</param>
    /// <returns><see cref="OperationStatus.Done"/> or <see cref="OperationStatus.InvalidData"/>; never throws for bad input.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxDepth"/> is below 1 or above <see cref="MaxSupportedDepth"/>.</exception>
    public static OperationStatus Parse(in ReadOnlySequence<byte> message, out Envelope envelope, out EnvelopeError error, int maxDepth = DefaultMaxDepth)
    {
        ValidateMaxDepth(maxDepth);
        if (message.IsSingleSegment)
        {
            return Parse(message.FirstSpan, out envelope, out error, maxDepth);
        }

        if (message.Length > MaxInputLength)
        {
            envelope = default;
            error = EnvelopeError.TooLarge;
            return OperationStatus.InvalidData;
        }

        // A message split across pipe segments: copied once for the fast path.
        if (message.Length <= MaxScanCopy && TryScanCopy(message, maxDepth, out envelope))
        {
            error = EnvelopeError.None;
            return OperationStatus.Done;
        }

        return ParseWithReader(message, out envelope, out error, maxDepth);
    }

    /// <summary>Decodes the JSON escapes of a string range into <paramref name="destination"/>.</summary>
    /// <param name="message">The message the range was parsed from.</param>
    /// <param name="range">A string range of an <see cref="Envelope"/> (not <see cref="Envelope.Payload"/>).</param>
    /// <param name="destination">Receives the decoded UTF-8; must hold at least <see cref="ValueRange.Length"/> bytes when the range is escaped (decoding never grows the text).</param>
    /// <param name="bytesWritten">Bytes written to <paramref name="destination"/>.</param>
    /// <returns>
    /// <see cref="OperationStatus.Done"/> (an absent range decodes to nothing),
    /// <see cref="OperationStatus.DestinationTooSmall"/>, or <see cref="OperationStatus.InvalidData"/>
    /// when the range does not delimit a JSON string of <paramref name="message"/>.
    /// </returns>
    public static OperationStatus Unescape(ReadOnlySpan<byte> message, ValueRange range, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (!range.IsPresent)
        {
            return OperationStatus.Done;
        }

        if (!IsQuoted(message, range))
        {
            return OperationStatus.InvalidData;
        }

        if (destination.Length < range.Length)
        {
            return OperationStatus.DestinationTooSmall;
        }

        if (!range.IsEscaped)
        {
            range.Slice(message).CopyTo(destination);
            bytesWritten = range.Length;
            return OperationStatus.Done;
        }

        var reader = new Utf8JsonReader(message.Slice(range.Start - 1, range.Length + 2));
        return CopyString(ref reader, destination, out bytesWritten);
    }

    /// <summary>Decodes the JSON escapes of a string range of a multi-segment message into <paramref name="destination"/>.</summary>
    /// <param name="message">The message the range was parsed from.</param>
    /// <param name="range">A string range of an <see cref="Envelope"/> (not <see cref="Envelope.Payload"/>).</param>
    /// <param name="destination">Receives the decoded UTF-8; must hold at least <see cref="ValueRange.Length"/> bytes.</param>
    /// <param name="bytesWritten">Bytes written to <paramref name="destination"/>.</param>
    /// <returns>As <see cref="Unescape(ReadOnlySpan{byte}, ValueRange, Span{byte}, out int)"/>.</returns>
    public static OperationStatus Unescape(in ReadOnlySequence<byte> message, ValueRange range, Span<byte> destination, out int bytesWritten)
    {
        if (message.IsSingleSegment)
        {
            return Unescape(message.FirstSpan, range, destination, out bytesWritten);
        }

        bytesWritten = 0;
        if (!range.IsPresent)
        {
            return OperationStatus.Done;
        }

        if (!IsQuoted(message, range))
        {
            return OperationStatus.InvalidData;
        }

        if (destination.Length < range.Length)
        {
            return OperationStatus.DestinationTooSmall;
        }

        if (!range.IsEscaped)
        {
            // As for one span: an unescaped string is its bytes (the same answer whatever the segmentation).
            message.Slice(range.Start, range.Length).CopyTo(destination);
            bytesWritten = range.Length;
            return OperationStatus.Done;
        }

        var reader = new Utf8JsonReader(message.Slice(range.Start - 1, range.Length + 2));
        return CopyString(ref reader, destination, out bytesWritten);
    }

    /// <summary>Whether a string range, once unescaped, equals <paramref name="utf8Text"/> (e.g. a pending <c>request_id</c>).</summary>
    /// <param name="message">The message the range was parsed from.</param>
    /// <param name="range">A string range of an <see cref="Envelope"/>.</param>
    /// <param name="utf8Text">The text to compare with, as UTF-8.</param>
    /// <returns><see langword="true"/> when equal; <see langword="false"/> when different, absent or not a string range.</returns>
    public static bool TextEquals(ReadOnlySpan<byte> message, ValueRange range, ReadOnlySpan<byte> utf8Text)
    {
        if (!range.IsPresent || !IsQuoted(message, range))
        {
            return false;
        }

        if (!range.IsEscaped)
        {
            return range.Slice(message).SequenceEqual(utf8Text);
        }

        var reader = new Utf8JsonReader(message.Slice(range.Start - 1, range.Length + 2));
        return ReadsAsStringEqualTo(ref reader, utf8Text);
    }

    /// <summary>Whether a string range of a multi-segment message, once unescaped, equals <paramref name="utf8Text"/>.</summary>
    /// <param name="message">The message the range was parsed from.</param>
    /// <param name="range">A string range of an <see cref="Envelope"/>.</param>
    /// <param name="utf8Text">The text to compare with, as UTF-8.</param>
    /// <returns><see langword="true"/> when equal; <see langword="false"/> when different, absent or not a string range.</returns>
    public static bool TextEquals(in ReadOnlySequence<byte> message, ValueRange range, ReadOnlySpan<byte> utf8Text)
    {
        if (message.IsSingleSegment)
        {
            return TextEquals(message.FirstSpan, range, utf8Text);
        }

        if (!range.IsPresent || !IsQuoted(message, range))
        {
            return false;
        }

        var reader = new Utf8JsonReader(message.Slice(range.Start - 1, range.Length + 2));
        return ReadsAsStringEqualTo(ref reader, utf8Text);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryScanCopy(in ReadOnlySequence<byte> message, int maxDepth, out Envelope envelope)
    {
        int length = (int)message.Length;
        byte[] copy = ArrayPool<byte>.Shared.Rent(length);
        message.CopyTo(copy);
        bool done = TryScan(copy.AsSpan(0, length), maxDepth, out envelope);
        ArrayPool<byte>.Shared.Return(copy);
        return done;
    }

    private static JsonReaderOptions ReaderOptions(int maxDepth) =>
        // One more than ours, so the parser (not the reader) sees the first level too deep.
        new() { MaxDepth = maxDepth + 1 };

    private static void ValidateMaxDepth(int maxDepth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDepth, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDepth, MaxSupportedDepth);
    }

    private static OperationStatus ParseGuarded(ref Utf8JsonReader reader, int maxDepth, out Envelope envelope, out EnvelopeError error, bool segmented)
    {
        try
        {
            error = ParseRoot(ref reader, maxDepth, out envelope);
        }
        catch (JsonException)
        {
            // Utf8JsonReader reports malformed JSON only by throwing; this path alone allocates.
            envelope = default;
            error = EnvelopeError.InvalidJson;
        }
        catch (IndexOutOfRangeException) when (segmented)
        {
            // Utf8JsonReader over segments throws this instead of a JsonException for a literal cut short by the end of
            // the data when a segment after it is empty (e.g. "n", "" or "[", "tr", ""; .NET 10.0.12, dotnet/runtime
            // #134448). Found by the envelope fuzz target. Malformed JSON either way; valid JSON never gets here (the
            // fuzz target holds every valid document to JsonDocument's reading), and one span never does.
            envelope = default;
            error = EnvelopeError.InvalidJson;
        }
        catch (InvalidOperationException)
        {
            // A string escape that is not valid UTF-16 (a lone surrogate such as \ud800), met while a name or a
            // value was compared or read: well-formed JSON, but no text.
            envelope = default;
            error = EnvelopeError.InvalidString;
        }

        if (error != EnvelopeError.None)
        {
            envelope = default;
            return OperationStatus.InvalidData;
        }

        return OperationStatus.Done;
    }

    private static EnvelopeError ParseRoot(ref Utf8JsonReader reader, int maxDepth, out Envelope envelope)
    {
        envelope = default;
        if (!reader.Read())
        {
            return EnvelopeError.InvalidJson;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return EnvelopeError.NotAnObject;
        }

        var seen = Field.None;
        var type = MessageType.Unknown;
        ValueRange msgType = default, id = default, requestId = default, timestamp = default, payload = default;
        long seqId = 0, strategyId = 0;
        int version = 0;
        bool hasSeqId = false, hasVersion = false, payloadIsObject = false;
        var strategy = StrategyIdState.Absent;
        EnvelopeError error;

        while (true)
        {
            if (!reader.Read())
            {
                return EnvelopeError.InvalidJson;
            }

            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            Field field = MatchField(ref reader);
            if (field != Field.None)
            {
                if ((seen & field) != 0)
                {
                    return EnvelopeError.DuplicateField;
                }

                seen |= field;
            }

            if (!reader.Read())
            {
                return EnvelopeError.InvalidJson;
            }

            switch (field)
            {
                case Field.MsgType:
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return EnvelopeError.MsgTypeNotString;
                    }

                    msgType = StringRange(ref reader);
                    type = MatchType(ref reader);
                    break;

                case Field.Id:
                    if (!TryReadOptionalString(ref reader, out id))
                    {
                        return EnvelopeError.InvalidId;
                    }

                    break;

                case Field.RequestId:
                    if (!TryReadOptionalString(ref reader, out requestId))
                    {
                        return EnvelopeError.InvalidRequestId;
                    }

                    break;

                case Field.Timestamp:
                    if (!TryReadOptionalString(ref reader, out timestamp))
                    {
                        return EnvelopeError.InvalidTimestamp;
                    }

                    break;

                case Field.SeqId:
                    if (reader.TokenType == JsonTokenType.Number)
                    {
                        if (!TryGetInt64(ref reader, out seqId) || seqId < 0)
                        {
                            return EnvelopeError.InvalidSeqId;
                        }

                        hasSeqId = true;
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        return EnvelopeError.InvalidSeqId;
                    }

                    break;

                case Field.Version:
                    if (reader.TokenType == JsonTokenType.Number)
                    {
                        if (!TryGetInt32(ref reader, out version))
                        {
                            return EnvelopeError.InvalidVersion;
                        }

                        hasVersion = true;
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        return EnvelopeError.InvalidVersion;
                    }

                    break;

                case Field.Payload:
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        break;
                    }

                    long start = reader.TokenStartIndex;
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        error = ParsePayloadObject(ref reader, maxDepth, ref strategy, ref strategyId);
                        payloadIsObject = true;
                    }
                    else
                    {
                        error = SkipValue(ref reader, maxDepth);
                    }

                    if (error != EnvelopeError.None)
                    {
                        return error;
                    }

                    payload = new ValueRange((int)start, (int)(reader.BytesConsumed - start));
                    break;

                default:
                    error = SkipValue(ref reader, maxDepth);
                    if (error != EnvelopeError.None)
                    {
                        return error;
                    }

                    break;
            }
        }

        // Anything but whitespace after the root object: the reader throws (RFC 8259, one value per text).
        if (reader.Read())
        {
            return EnvelopeError.InvalidJson;
        }

        if ((seen & Field.MsgType) == 0)
        {
            return EnvelopeError.MissingMsgType;
        }

        if (strategy == StrategyIdState.Invalid
            && type is MessageType.StrategySignal or MessageType.StrategyPositions or MessageType.Gap)
        {
            return EnvelopeError.InvalidStrategyId;
        }

        if (payload.IsPresent && !payloadIsObject && type != MessageType.Unknown)
        {
            return EnvelopeError.InvalidPayload;
        }

        bool hasStrategyId = strategy == StrategyIdState.Valid;
        envelope = new Envelope
        {
            Type = type,
            MsgType = msgType,
            Id = id,
            RequestId = requestId,
            Timestamp = timestamp,
            Payload = payload,
            HasSeqId = hasSeqId,
            SeqId = seqId,
            HasVersion = hasVersion,
            Version = version,
            HasStrategyId = hasStrategyId,
            StrategyId = hasStrategyId ? strategyId : 0,
        };
        return EnvelopeError.None;
    }

    // At the payload's StartObject: reads its top-level strategy_id, skips everything else, ends on its EndObject.
    private static EnvelopeError ParsePayloadObject(ref Utf8JsonReader reader, int maxDepth, ref StrategyIdState strategy, ref long strategyId)
    {
        if (reader.CurrentDepth >= maxDepth)
        {
            return EnvelopeError.DepthExceeded;
        }

        bool seenStrategyId = false;
        while (true)
        {
            if (!reader.Read())
            {
                return EnvelopeError.InvalidJson;
            }

            // Nested containers are skipped whole, so the first EndObject here is the payload's own.
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return EnvelopeError.None;
            }

            bool isStrategyId = IsStrategyIdName(ref reader);
            if (!reader.Read())
            {
                return EnvelopeError.InvalidJson;
            }

            if (isStrategyId)
            {
                if (seenStrategyId)
                {
                    strategy = StrategyIdState.Invalid;
                }
                else
                {
                    seenStrategyId = true;
                    strategy = reader.TokenType switch
                    {
                        JsonTokenType.Null => StrategyIdState.Absent,
                        JsonTokenType.Number when TryGetInt64(ref reader, out strategyId) && strategyId > 0 => StrategyIdState.Valid,
                        _ => StrategyIdState.Invalid,
                    };
                }
            }

            EnvelopeError error = SkipValue(ref reader, maxDepth);
            if (error != EnvelopeError.None)
            {
                return error;
            }
        }
    }

    // On the first token of a value: leaves the reader on its last token. Depth-checked, unlike TrySkip.
    // Most values are scalars, so that test stays inline and only containers pay for a call.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static EnvelopeError SkipValue(ref Utf8JsonReader reader, int maxDepth) =>
        reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray
            ? SkipContainer(ref reader, maxDepth)
            : EnvelopeError.None;

    private static EnvelopeError SkipContainer(ref Utf8JsonReader reader, int maxDepth)
    {
        int depth = reader.CurrentDepth;
        if (depth >= maxDepth)
        {
            return EnvelopeError.DepthExceeded;
        }

        while (reader.Read())
        {
            JsonTokenType token = reader.TokenType;
            if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                if (reader.CurrentDepth >= maxDepth)
                {
                    return EnvelopeError.DepthExceeded;
                }
            }
            else if (token is JsonTokenType.EndObject or JsonTokenType.EndArray && reader.CurrentDepth == depth)
            {
                return EnvelopeError.None;
            }
        }

        return EnvelopeError.InvalidJson;
    }

    private static bool TryReadOptionalString(ref Utf8JsonReader reader, out ValueRange range)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            range = StringRange(ref reader);
            return true;
        }

        range = default;
        return reader.TokenType == JsonTokenType.Null;
    }

    // Utf8JsonReader.TryGetInt64 copies a number split across segments into a new array
    // (ValueSequence.ToArray()); copy it to the stack instead, with the same parse rules.
    private static bool TryGetInt64(ref Utf8JsonReader reader, out long value) =>
        reader.HasValueSequence ? TryParseSplitNumber(reader.ValueSequence, out value) : reader.TryGetInt64(out value);

    private static bool TryGetInt32(ref Utf8JsonReader reader, out int value)
    {
        if (!reader.HasValueSequence)
        {
            return reader.TryGetInt32(out value);
        }

        bool ok = TryParseSplitNumber(reader.ValueSequence, out long wide) && wide is >= int.MinValue and <= int.MaxValue;
        value = ok ? (int)wide : 0;
        return ok;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryParseSplitNumber(in ReadOnlySequence<byte> number, out long value)
    {
        // "-9223372036854775808" is the longest JSON number that is a valid Int64.
        const int MaxInt64Length = 20;
        value = 0;
        if (number.Length > MaxInt64Length)
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[MaxInt64Length];
        buffer = buffer[..(int)number.Length];
        number.CopyTo(buffer);
        return Utf8Parser.TryParse(buffer, out value, out int consumed) && consumed == buffer.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ValueRange StringRange(ref Utf8JsonReader reader)
    {
        // TokenStartIndex is the opening quote; the raw (escaped) contents follow it.
        long length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        return new ValueRange((int)reader.TokenStartIndex + 1, (int)length, reader.ValueIsEscaped);
    }

    // Every envelope name has a distinct length: one length switch and one compare on the common path.
    private static Field MatchField(ref Utf8JsonReader reader)
    {
        return !reader.ValueIsEscaped && !reader.HasValueSequence ? MatchFieldName(reader.ValueSpan) : MatchFieldSlow(ref reader);
    }

    // The raw bytes of an unescaped name.
    private static Field MatchFieldName(ReadOnlySpan<byte> name) =>
        name.Length switch
        {
            8 when name.SequenceEqual(ProtocolNames.MsgType) => Field.MsgType,
            2 when name.SequenceEqual(ProtocolNames.Id) => Field.Id,
            6 when name.SequenceEqual(ProtocolNames.SeqId) => Field.SeqId,
            10 when name.SequenceEqual(ProtocolNames.RequestId) => Field.RequestId,
            9 when name.SequenceEqual(ProtocolNames.Timestamp) => Field.Timestamp,
            1 when name.SequenceEqual(ProtocolNames.Version) => Field.Version,
            7 when name.SequenceEqual(ProtocolNames.Payload) => Field.Payload,
            _ => Field.None,
        };

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Field MatchFieldSlow(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals(ProtocolNames.MsgType))
        {
            return Field.MsgType;
        }

        if (reader.ValueTextEquals(ProtocolNames.Id))
        {
            return Field.Id;
        }

        if (reader.ValueTextEquals(ProtocolNames.SeqId))
        {
            return Field.SeqId;
        }

        if (reader.ValueTextEquals(ProtocolNames.RequestId))
        {
            return Field.RequestId;
        }

        if (reader.ValueTextEquals(ProtocolNames.Timestamp))
        {
            return Field.Timestamp;
        }

        if (reader.ValueTextEquals(ProtocolNames.Version))
        {
            return Field.Version;
        }

        return reader.ValueTextEquals(ProtocolNames.Payload) ? Field.Payload : Field.None;
    }

    private static bool IsStrategyIdName(ref Utf8JsonReader reader) =>
        !reader.ValueIsEscaped && !reader.HasValueSequence
            ? reader.ValueSpan.SequenceEqual(ProtocolNames.StrategyId)
            : reader.ValueTextEquals(ProtocolNames.StrategyId);

    // Every known msg_type has a distinct length too.
    private static MessageType MatchType(ref Utf8JsonReader reader)
    {
        return !reader.ValueIsEscaped && !reader.HasValueSequence ? MatchTypeName(reader.ValueSpan) : MatchTypeSlow(ref reader);
    }

    // The raw bytes of an unescaped msg_type.
    private static MessageType MatchTypeName(ReadOnlySpan<byte> value) =>
        value.Length switch
        {
            9 when value.SequenceEqual(ProtocolNames.Heartbeat) => MessageType.Heartbeat,
            15 when value.SequenceEqual(ProtocolNames.StrategySignal) => MessageType.StrategySignal,
            18 when value.SequenceEqual(ProtocolNames.StrategyPositions) => MessageType.StrategyPositions,
            16 when value.SequenceEqual(ProtocolNames.SubscriptionAck) => MessageType.SubscriptionAck,
            3 when value.SequenceEqual(ProtocolNames.Gap) => MessageType.Gap,
            5 when value.SequenceEqual(ProtocolNames.Error) => MessageType.Error,
            20 when value.SequenceEqual(ProtocolNames.ConnectionConnected) => MessageType.ConnectionConnected,
            23 when value.SequenceEqual(ProtocolNames.ConnectionDisconnected) => MessageType.ConnectionDisconnected,
            _ => MessageType.Unknown,
        };

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static MessageType MatchTypeSlow(ref Utf8JsonReader reader)
    {
        for (var type = MessageType.ConnectionConnected; type <= MessageType.Error; type++)
        {
            if (reader.ValueTextEquals(ProtocolNames.Of(type)))
            {
                return type;
            }
        }

        return MessageType.Unknown;
    }

    private static bool IsQuoted(ReadOnlySpan<byte> message, ValueRange range) =>
        range.Start >= 1 && range.End < message.Length && message[range.Start - 1] == (byte)'"' && message[range.End] == (byte)'"';

    private static bool IsQuoted(in ReadOnlySequence<byte> message, ValueRange range)
    {
        if (range.Start < 1 || range.End >= message.Length)
        {
            return false;
        }

        Span<byte> quote = stackalloc byte[1];
        message.Slice(range.Start - 1, 1).CopyTo(quote);
        if (quote[0] != (byte)'"')
        {
            return false;
        }

        message.Slice(range.End, 1).CopyTo(quote);
        return quote[0] == (byte)'"';
    }

    private static OperationStatus CopyString(ref Utf8JsonReader reader, Span<byte> destination, out int bytesWritten)
    {
        try
        {
            if (reader.Read() && reader.TokenType == JsonTokenType.String)
            {
                bytesWritten = reader.CopyString(destination);
                return OperationStatus.Done;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // The range was not a well-formed string of this message, or its escapes are not valid UTF-16.
        }

        bytesWritten = 0;
        return OperationStatus.InvalidData;
    }

    private static bool ReadsAsStringEqualTo(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8Text)
    {
        try
        {
            return reader.Read() && reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(utf8Text);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return false; // not a string of this message, or escapes that are not valid UTF-16: equal to no text
        }
    }
}
