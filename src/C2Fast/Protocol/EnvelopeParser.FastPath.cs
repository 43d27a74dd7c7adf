// Longer than 500 lines: the byte scanner for the common messages, one validating branch per JSON form it accepts, read next to each other.
using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;

namespace C2Fast.Protocol;

/// <summary>The fast path of <see cref="EnvelopeParser"/>: a validating single-pass byte scanner for the common shape.</summary>
/// <remarks>
/// <para>
/// Almost every message on the feed is plain: unescaped names, a known <c>msg_type</c>, a
/// non-negative integer <c>seq_id</c>, an object payload with a positive integer
/// <c>strategy_id</c>. For those, a <see cref="System.Text.Json.Utf8JsonReader"/> token loop spends
/// most of its time producing tokens nobody looks at. This scanner walks the same bytes once,
/// validating them as JSON (RFC 8259: structure, strings with their escapes, numbers, literals,
/// whitespace, depth) but building no tokens: strings are skipped 16 bytes per compare, digit
/// runs 8 bytes per step, containers with a bit stack; the few names that matter are matched as
/// one 16-byte pattern each, and the keys that arrays of records repeat are remembered.
/// </para>
/// <para>
/// Its contract is one-sided: it either returns <see langword="true"/> with exactly the envelope
/// the reader path would produce, or <see langword="false"/> ("not sure") and the reader path
/// decides — every error, every escaped name or <c>msg_type</c>, every unusual value (a negative
/// or fractional <c>seq_id</c>, a non-object payload, a duplicate field, depth near the limit)
/// takes that road, so error classification has a single owner. A differential test feeds both
/// paths the same valid, mutated and random inputs and requires agreement whenever this one
/// says yes.
/// </para>
/// <para>
/// Like the reader, it does not validate UTF-8 inside strings (the framing layer has done that
/// for text frames) nor the pairing of <c>\u</c> surrogate escapes.
/// </para>
/// </remarks>
internal static partial class EnvelopeParser
{
    // Containers the bit stack tracks below the root or payload; deeper input goes to the reader.
    private const int FastPathMaxNesting = 64;

    // Longest integer accepted here: 19 digits never overflow a ulong, and the value is then checked against long.MaxValue.
    private const int FastPathMaxDigits = 19;

    // Shorter messages are scanned from a padded copy, so every 16-byte string load fits the buffer.
    private const int MinScanLength = 64;

    // The literals as little-endian words ("false" is 'f' then "alse").
    private const uint TrueWord = 't' | ('r' << 8) | ('u' << 16) | ((uint)'e' << 24);
    private const uint NullWord = 'n' | ('u' << 8) | ('l' << 16) | ((uint)'l' << 24);
    private const uint AlseWord = 'a' | ('l' << 8) | ('s' << 16) | ((uint)'e' << 24);

    // RFC 8259 §2 whitespace, one bit per byte value.
    private const ulong WhitespaceBits = (1UL << ' ') | (1UL << '\t') | (1UL << '\n') | (1UL << '\r');

    // What a value's first byte says it is (ValueKinds).
    private const byte StringKind = 1;
    private const byte ObjectKind = 2;
    private const byte ArrayKind = 3;
    private const byte NumberKind = 4;
    private const byte TrueKind = 5;
    private const byte FalseKind = 6;
    private const byte NullKind = 7;

    // "strategy_id": is 14 bytes.
    private const int StrategyIdKeyLength = 14;
    private const uint StrategyIdKeyBits = (1u << StrategyIdKeyLength) - 1;

    // Keys remembered per object by SkipContainer.
    private const int KeyMemoSlots = 4;

    // The closing quote of a name and the ':' after it, and a ',' and the next name's opening quote, as little-endian 16-bit words.
    private const ushort QuoteColon = '"' | (':' << 8);
    private const ushort CommaQuote = ',' | ('"' << 8);

    // The same names quoted and followed by ':', for one 16-byte compare where no whitespace intervenes.
    private static readonly Vector128<byte> MsgTypeKey = QuotedKey(ProtocolNames.MsgType);
    private static readonly Vector128<byte> IdKey = QuotedKey(ProtocolNames.Id);
    private static readonly Vector128<byte> SeqIdKey = QuotedKey(ProtocolNames.SeqId);
    private static readonly Vector128<byte> RequestIdKey = QuotedKey(ProtocolNames.RequestId);
    private static readonly Vector128<byte> TimestampKey = QuotedKey(ProtocolNames.Timestamp);
    private static readonly Vector128<byte> VersionKey = QuotedKey(ProtocolNames.Version);
    private static readonly Vector128<byte> PayloadKey = QuotedKey(ProtocolNames.Payload);
    private static readonly Vector128<byte> StrategyIdKey = QuotedKey(ProtocolNames.StrategyId);

    /// <summary>The fast path alone (for tests and benchmarks): <see langword="true"/> with the envelope, or "not sure".</summary>
    /// <param name="message">The whole message.</param>
    /// <param name="envelope">The envelope when <see langword="true"/>.</param>
    /// <param name="maxDepth">Maximum nesting depth, root object included.</param>
    /// <returns>Whether the fast path accepted the message.</returns>
    public static bool TryParseFast(ReadOnlySpan<byte> message, out Envelope envelope, int maxDepth = DefaultMaxDepth)
    {
        ValidateMaxDepth(maxDepth);
        return TryScan(message, maxDepth, out envelope);
    }

    /// <summary>The <see cref="Utf8JsonReader"/> path alone: the authority on every error, <see cref="Parse(ReadOnlySpan{byte}, out Envelope, out EnvelopeError, int)"/>'s fallback, and a contender in tests and benchmarks.</summary>
    /// <param name="message">The whole message.</param>
    /// <param name="envelope">The envelope when <see cref="OperationStatus.Done"/>.</param>
    /// <param name="error">Why the message is invalid.</param>
    /// <param name="maxDepth">Maximum nesting depth, root object included.</param>
    /// <returns>As <see cref="Parse(ReadOnlySpan{byte}, out Envelope, out EnvelopeError, int)"/>.</returns>
    public static OperationStatus ParseWithReader(ReadOnlySpan<byte> message, out Envelope envelope, out EnvelopeError error, int maxDepth = DefaultMaxDepth)
    {
        ValidateMaxDepth(maxDepth);
        var reader = new Utf8JsonReader(message, ReaderOptions(maxDepth));
        return ParseGuarded(ref reader, maxDepth, out envelope, out error, segmented: false);
    }

    /// <summary>The <see cref="Utf8JsonReader"/> path alone for multi-segment input: the fallback of the multi-segment <c>Parse</c>.</summary>
    /// <param name="message">The whole message, possibly multi-segment.</param>
    /// <param name="envelope">The envelope when <see cref="OperationStatus.Done"/>.</param>
    /// <param name="error">Why the message is invalid.</param>
    /// <param name="maxDepth">Maximum nesting depth, root object included.</param>
    /// <returns>As <see cref="Parse(in ReadOnlySequence{byte}, out Envelope, out EnvelopeError, int)"/>.</returns>
    public static OperationStatus ParseWithReader(in ReadOnlySequence<byte> message, out Envelope envelope, out EnvelopeError error, int maxDepth = DefaultMaxDepth)
    {
        ValidateMaxDepth(maxDepth);
        var reader = new Utf8JsonReader(message, ReaderOptions(maxDepth));
        return ParseGuarded(ref reader, maxDepth, out envelope, out error, segmented: !message.IsSingleSegment);
    }

    /// <summary>Scans a complete message; <see langword="true"/> only with the envelope the reader path would return.</summary>
    /// <param name="s">The whole message.</param>
    /// <param name="maxDepth">Maximum nesting depth, root object included.</param>
    /// <param name="envelope">The envelope when <see langword="true"/>.</param>
    /// <returns><see langword="false"/> when the reader path must decide (invalid or unusual input).</returns>
    private static bool TryScan(ReadOnlySpan<byte> s, int maxDepth, out Envelope envelope) =>
        s.Length >= MinScanLength
            ? ScanRoot(ref MemoryMarshal.GetReference(s), s.Length, s.Length, maxDepth, out envelope)
            : ScanPadded(s, maxDepth, out envelope);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool ScanPadded(ReadOnlySpan<byte> s, int maxDepth, out Envelope envelope)
    {
        var padded = default(PaddedMessage);
        Span<byte> copy = padded;
        s.CopyTo(copy);
        return ScanRoot(ref MemoryMarshal.GetReference(copy), MinScanLength, s.Length, maxDepth, out envelope);
    }

    /*
     * Three loops: the root object (envelope fields), the payload object (strategy_id), and any
     * other container (SkipContainer, a bit stack). Each helper takes the offset of what it
     * reads and returns the offset after it, or -1 ("decline"): a cursor passed by reference
     * would live in memory instead of a register.
     *
     * Bounds: the last byte that is not whitespace (end) must be the root's '}'. A single-byte
     * step reads at p <= end and moves past a byte that is not '}', so the next read is in
     * bounds too; the only '}' allowed at end is the root's (the nested loops decline one).
     * Whitespace and digit runs stop at that '}'; a string is found 16 bytes at a time within
     * the buffer and must close before end; literals and \u escapes check their length.
     */
    private static bool ScanRoot(ref byte b, nint bufferLength, nint length, int maxDepth, out Envelope envelope)
    {
        envelope = default;
        nint end = length - 1;
        while (end >= 0 && IsWhitespace(Unsafe.Add(ref b, end)))
        {
            end--;
        }

        if (end <= 0 || Unsafe.Add(ref b, end) != '}')
        {
            return false;
        }

        nint p = 0;
        uint c = NextToken(ref b, ref p);
        if (c != '{')
        {
            return false;
        }

        var seen = Field.None;
        var type = MessageType.Unknown;
        ValueRange msgType = default, id = default, requestId = default, timestamp = default, payload = default;
        long seqId = 0, strategyId = 0, version = 0;
        bool hasSeqId = false, hasVersion = false, hasStrategyId = false;
        p++;
        c = NextToken(ref b, ref p);
        while (true)
        {
            // "name" : (the root cannot be empty: it needs a msg_type). An escaped name might spell a field: the reader decides.
            if (c != '"')
            {
                return false;
            }

            bool escaped = false;
            nint close;
            Field field = KnownRootName(ref b, bufferLength, ref p);
            if (field != Field.None)
            {
                c = NextToken(ref b, ref p);
            }
            else
            {
                close = SkipString(ref b, bufferLength, end, p, ref escaped);
                if (close < 0 || escaped)
                {
                    return false;
                }

                field = RootField(ref b, p + 1, close - p - 1);
                if ((c = NextValue(ref b, close, out p)) == 0)
                {
                    return false;
                }
            }

            if ((seen & field) != 0)
            {
                return false;
            }

            seen |= field;
            switch (field)
            {
                case Field.MsgType:
                    // An escaped msg_type goes to the reader, which matches it unescaped.
                    if (c != '"' || (close = SkipString(ref b, bufferLength, end, p, ref escaped)) < 0 || escaped)
                    {
                        return false;
                    }

                    msgType = new ValueRange((int)(p + 1), (int)(close - p - 1));
                    type = MatchTypeName(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref b, p + 1), (int)(close - p - 1)));
                    p = close + 1;
                    break;
                case Field.Id:
                    p = ScanOptionalString(ref b, bufferLength, end, p, c, out id);
                    break;
                case Field.RequestId:
                    p = ScanOptionalString(ref b, bufferLength, end, p, c, out requestId);
                    break;
                case Field.Timestamp:
                    p = ScanOptionalString(ref b, bufferLength, end, p, c, out timestamp);
                    break;
                case Field.SeqId:
                    p = ScanOptionalInteger(ref b, bufferLength, end, p, c, out hasSeqId, out seqId);
                    break;
                case Field.Version:
                    p = ScanOptionalInteger(ref b, bufferLength, end, p, c, out hasVersion, out version);
                    if (version > int.MaxValue)
                    {
                        return false;
                    }

                    break;
                case Field.Payload:
                    if (c == '{')
                    {
                        nint start = p;
                        p = ScanPayload(ref b, bufferLength, end, p, maxDepth, out hasStrategyId, out strategyId);
                        if (p >= 0)
                        {
                            payload = new ValueRange((int)start, (int)(p - start));
                        }
                    }
                    else
                    {
                        p = SkipNull(ref b, end, p); // a non-object payload: the reader path judges it
                    }

                    break;
                default:
                    p = c is '{' or '['
                        ? SkipContainer(ref b, bufferLength, end, p, 2, maxDepth)
                        : SkipScalar(ref b, bufferLength, end, p, c);
                    break;
            }

            if (p < 0)
            {
                return false;
            }

            // , or } (which must be the last byte but whitespace: one value per text)
            c = NextToken(ref b, ref p);
            if (c != ',')
            {
                if (c != '}' || p != end || (seen & Field.MsgType) == 0)
                {
                    return false;
                }

                break;
            }

            p++;
            c = NextToken(ref b, ref p);
        }

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
            Version = (int)version,
            HasStrategyId = hasStrategyId,
            StrategyId = strategyId,
        };
        return true;
    }

    // At the payload's '{': reads its top-level strategy_id (a positive integer or null), skips the rest; returns the offset past its '}'.
    private static nint ScanPayload(ref byte b, nint bufferLength, nint end, nint p, int maxDepth, out bool hasStrategyId, out long strategyId)
    {
        hasStrategyId = false;
        strategyId = 0;
        if (maxDepth < 2)
        {
            return -1;
        }

        bool seenStrategyId = false;
        p++;
        uint c = NextToken(ref b, ref p);
        if (c == '}')
        {
            return p < end ? p + 1 : -1;
        }

        while (true)
        {
            if (c != '"')
            {
                return -1;
            }

            bool isStrategyId;
            if (p <= bufferLength - Vector128<byte>.Count
                && Unsafe.Add(ref b, p + 1) == 's'
                && (Vector128.Equals(Vector128.LoadUnsafe(ref b, (nuint)p), StrategyIdKey).ExtractMostSignificantBits() & StrategyIdKeyBits) == StrategyIdKeyBits)
            {
                isStrategyId = true;
                p += StrategyIdKeyLength;
                c = NextToken(ref b, ref p);
            }
            else
            {
                // An escaped name might spell strategy_id: the reader decides.
                bool escaped = false;
                nint close = SkipString(ref b, bufferLength, end, p, ref escaped);
                if (close < 0 || escaped)
                {
                    return -1;
                }

                isStrategyId = IsStrategyIdName(ref b, p + 1, close - p - 1);
                if ((c = NextValue(ref b, close, out p)) == 0)
                {
                    return -1;
                }
            }

            if (isStrategyId)
            {
                // A second strategy_id, or one that is not a positive integer or null: the reader path decides.
                if (seenStrategyId)
                {
                    return -1;
                }

                seenStrategyId = true;
                p = ScanOptionalInteger(ref b, bufferLength, end, p, c, out hasStrategyId, out strategyId);
                if (hasStrategyId && strategyId == 0)
                {
                    return -1;
                }
            }
            else
            {
                bool escaped = false;
                switch (ValueKinds[(byte)c])
                {
                    case StringKind:
                        if ((p = SkipString(ref b, bufferLength, end, p, ref escaped)) < 0)
                        {
                            return -1;
                        }

                        p++;
                        break;
                    case ObjectKind or ArrayKind:
                        if ((p = SkipContainer(ref b, bufferLength, end, p, 3, maxDepth)) < 0)
                        {
                            return -1;
                        }

                        break;
                    default:
                        if ((p = SkipScalar(ref b, bufferLength, end, p, c)) < 0)
                        {
                            return -1;
                        }

                        break;
                }
            }

            if (p < 0)
            {
                return -1;
            }

            // ',"' without whitespace is the next member's start in one compare (p < end: both bytes are in bounds).
            if (p < end && Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref b, p)) == (BitConverter.IsLittleEndian ? CommaQuote : BinaryPrimitives.ReverseEndianness(CommaQuote)))
            {
                c = '"';
                p++;
                continue;
            }

            c = NextToken(ref b, ref p);
            if (c == ',')
            {
                p++;
                c = NextToken(ref b, ref p);
                continue;
            }

            // A '}' at end closes the root, not the payload.
            return c == '}' && p < end ? p + 1 : -1;
        }
    }

    /*
     * Container walk, one loop for any nesting: a bit per open container (1 = object) says what
     * may come next. States, with whitespace allowed between all of them:
     *   Open      '{' or '[' pushed           → Close if empty, else Member / Value
     *   Member    object: "name" ':'          → Value
     *   Value     a string, number or literal → After;  '{' or '[' → Open
     *   After     ',' → Member (object) or Value (array)  |  the matching '}' / ']' → Close
     *   Close     pop; stack empty → done, else → After
     * level is the nesting level of the container at p (the root is 1); the walk declines past
     * maxDepth and past the 64 levels of its bit stack. Nothing here is a call, so the cursor,
     * the stack and the depth stay in registers.
     *
     * Arrays of records (a positions payload) repeat the same keys in every element, so the
     * first four keys of an object are remembered as the 16 bytes from their opening quote: a
     * later member whose bytes match one (quote, name, quote, ':') is known valid after one
     * compare. A member index is only known until a nested container closes inside the object.
     */
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nint SkipContainer(ref byte b, nint bufferLength, nint end, nint p, int level, int maxDepth)
    {
        int limit = Math.Min(maxDepth, level - 1 + FastPathMaxNesting);
        int depth = level - 1;
        ulong objects = 0;
        bool escaped = false;
        Unsafe.SkipInit(out KeyMemo memo); // a slot is read only once memoLengths says it holds a key
        uint memoLengths = 0; // a byte per slot: the remembered key's length with its quotes and ':', 0 when empty
        int member = KeyMemoSlots;
        uint c = Unsafe.Add(ref b, p);

    Open:
        if (depth >= limit)
        {
            return -1;
        }

        depth++;
        p++;
        if (c == '[')
        {
            objects <<= 1;
            c = NextToken(ref b, ref p);
            if (c == ']')
            {
                goto Close;
            }

            goto Value;
        }

        objects = (objects << 1) | 1;
        member = 0;
        c = NextToken(ref b, ref p);
        if (c == '}')
        {
            goto Close;
        }

    Member:
        if (c != '"')
        {
            return -1;
        }

        if (member < KeyMemoSlots && p <= bufferLength - Vector128<byte>.Count)
        {
            int length = (int)(memoLengths >> (member * 8)) & 0xFF;
            ref Vector128<byte> slot = ref Unsafe.Add(ref Unsafe.As<KeyMemo, Vector128<byte>>(ref memo), member);
            uint need = (1u << length) - 1;
            if (length != 0 && (Vector128.Equals(Vector128.LoadUnsafe(ref b, (nuint)p), slot).ExtractMostSignificantBits() & need) == need)
            {
                p += length;
                member++;
                c = NextToken(ref b, ref p);
                goto Value;
            }

            nint close = SkipString(ref b, bufferLength, end, p, ref escaped);
            if (close < 0)
            {
                return -1;
            }

            length = (int)(close + 2 - p);
            if (Unsafe.Add(ref b, close + 1) == ':' && length <= Vector128<byte>.Count)
            {
                slot = Vector128.LoadUnsafe(ref b, (nuint)p);
                memoLengths = (memoLengths & ~(0xFFu << (member * 8))) | ((uint)length << (member * 8));
            }

            member++;
            if ((c = NextValue(ref b, close, out p)) == 0)
            {
                return -1;
            }
        }
        else
        {
            nint close = SkipString(ref b, bufferLength, end, p, ref escaped);
            if (close < 0 || (c = NextValue(ref b, close, out p)) == 0)
            {
                return -1;
            }
        }

    Value:
        // Strings and numbers first, as conditional branches: they predict better here than a jump table.
        if (c == '"')
        {
            if ((p = SkipString(ref b, bufferLength, end, p, ref escaped)) < 0)
            {
                return -1;
            }

            p++;
            goto After;
        }

        if (c - '0' <= 9 || c == '-')
        {
            if ((p = SkipNumber(ref b, bufferLength, p, c)) < 0)
            {
                return -1;
            }

            goto After;
        }

        switch (ValueKinds[(byte)c])
        {
            case ObjectKind or ArrayKind:
                goto Open;
            case TrueKind:
                if (p + 4 > end || ReadAscii4(ref b, p) != TrueWord)
                {
                    return -1;
                }

                p += 4;
                break;
            case FalseKind:
                if (p + 5 > end || ReadAscii4(ref b, p + 1) != AlseWord)
                {
                    return -1;
                }

                p += 5;
                break;
            case NullKind:
                if (p + 4 > end || ReadAscii4(ref b, p) != NullWord)
                {
                    return -1;
                }

                p += 4;
                break;
            default:
                return -1;
        }

    After:
        c = NextToken(ref b, ref p);
        if ((objects & 1) != 0)
        {
            if (c == ',')
            {
                p++;
                c = NextToken(ref b, ref p);
                goto Member;
            }

            if (c != '}')
            {
                return -1;
            }
        }
        else
        {
            if (c == ',')
            {
                p++;
                c = NextToken(ref b, ref p);
                goto Value;
            }

            if (c != ']')
            {
                return -1;
            }
        }

    Close:
        if (p == end)
        {
            return -1; // a '}' at end closes the root, which is not in this walk
        }

        p++;
        if (depth == level)
        {
            return p;
        }

        depth--;
        objects >>= 1;
        member = KeyMemoSlots;
        goto After;
    }

    // At the first byte of a value that is not a container; returns the offset past it, or -1.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint SkipScalar(ref byte b, nint bufferLength, nint end, nint p, uint c)
    {
        bool escaped = false;
        switch (ValueKinds[(byte)c])
        {
            case StringKind:
                nint close = SkipString(ref b, bufferLength, end, p, ref escaped);
                return close < 0 ? -1 : close + 1;
            case NumberKind:
                return SkipNumber(ref b, bufferLength, p, c);
            case TrueKind:
                return p + 4 <= end && ReadAscii4(ref b, p) == TrueWord ? p + 4 : -1;
            case FalseKind:
                return p + 5 <= end && ReadAscii4(ref b, p + 1) == AlseWord ? p + 5 : -1;
            case NullKind:
                return SkipNull(ref b, end, p);
            default:
                return -1;
        }
    }

    /*
     * A string, from its opening quote at p: 16 bytes per compare (one bit per '"', '\' or
     * control character), escapes checked as they come (RFC 8259 §7). Within 16 bytes of the
     * buffer's end the last 16 bytes are loaded and shifted instead. The closing quote must come
     * before end (the root's '}'). Returns its offset, or -1; escaped is set when a backslash
     * was seen.
     */
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint SkipString(ref byte b, nint bufferLength, nint end, nint p, ref bool escaped)
    {
        p++;
        while (true)
        {
            uint stops;
            if (p <= bufferLength - Vector128<byte>.Count)
            {
                stops = StopBits(Vector128.LoadUnsafe(ref b, (nuint)p));
                if (stops == 0)
                {
                    p += Vector128<byte>.Count;
                    continue;
                }
            }
            else
            {
                nint last = bufferLength - Vector128<byte>.Count;
                stops = StopBits(Vector128.LoadUnsafe(ref b, (nuint)last)) >> (int)(p - last);
                if (stops == 0)
                {
                    return -1;
                }
            }

            p += BitOperations.TrailingZeroCount(stops);
            if (p >= end)
            {
                return -1;
            }

            uint c = Unsafe.Add(ref b, p);
            if (c == '"')
            {
                return p;
            }

            if (c != '\\')
            {
                return -1; // an unescaped control character
            }

            escaped = true;
            c = Unsafe.Add(ref b, p + 1);
            if (c == 'u')
            {
                if (p + 6 > end || !IsHex4(ref b, p + 2))
                {
                    return -1;
                }

                p += 6;
            }
            else if (c is '"' or '\\' or '/' or 'b' or 'f' or 'n' or 'r' or 't')
            {
                p += 2;
            }
            else
            {
                return -1;
            }
        }
    }

    // '"', '\' and everything below ' ' (unsigned: UTF-8 lead and continuation bytes are plain). XOR 2 maps
    // '"' to ' ' and the control characters onto themselves, so one unsigned "at most ' '" covers both.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint StopBits(Vector128<byte> v)
    {
        Vector128<byte> folded = v ^ Vector128.Create((byte)2);
        return (Vector128.Equals(Vector128.Min(folded, Vector128.Create((byte)' ')), folded)
            | Vector128.Equals(v, Vector128.Create((byte)'\\'))).ExtractMostSignificantBits();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsHex4(ref byte b, nint p) =>
        char.IsAsciiHexDigit((char)Unsafe.Add(ref b, p)) && char.IsAsciiHexDigit((char)Unsafe.Add(ref b, p + 1))
        && char.IsAsciiHexDigit((char)Unsafe.Add(ref b, p + 2)) && char.IsAsciiHexDigit((char)Unsafe.Add(ref b, p + 3));

    // At a string value (c is '"') or null: the raw range between the quotes (absent for null), and whether it holds an escape.
    private static nint ScanOptionalString(ref byte b, nint bufferLength, nint end, nint p, uint c, out ValueRange range)
    {
        range = default;
        if (c != '"')
        {
            return SkipNull(ref b, end, p);
        }

        bool escaped = false;
        nint close = SkipString(ref b, bufferLength, end, p, ref escaped);
        if (close < 0)
        {
            return -1;
        }

        range = new ValueRange((int)(p + 1), (int)(close - p - 1), escaped);
        return close + 1;
    }

    // After a name's closing quote: ':' and whitespace; the value's first byte (p at it), or 0 if the ':' is missing (0 starts no value).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint NextValue(ref byte b, nint close, out nint p)
    {
        if (Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref b, close)) == (BitConverter.IsLittleEndian ? QuoteColon : BinaryPrimitives.ReverseEndianness(QuoteColon)))
        {
            p = close + 2;
        }
        else
        {
            p = close + 1;
            if (NextToken(ref b, ref p) != ':')
            {
                return 0;
            }

            p++;
        }

        return NextToken(ref b, ref p);
    }

    // The byte at p, or the first one after whitespace from p (p moves to it). Stops at the root's '}' at the latest.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint NextToken(ref byte b, ref nint p)
    {
        uint c = Unsafe.Add(ref b, p);
        if (c <= ' ')
        {
            while (IsWhitespace(c))
            {
                c = Unsafe.Add(ref b, ++p);
            }
        }

        return c;
    }

    /*
     * At a root member's opening quote: when the bytes are exactly "name": for an envelope
     * name, the field, with p moved past the ':'. One 16-byte compare with the quoted name and
     * its ':' picked by the name's first letter replaces finding the closing quote, matching
     * the name and finding the ':'. Field.None otherwise (any other or escaped name, whitespace
     * before the ':', near the buffer's end): the caller takes the general path.
     */
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Field KnownRootName(ref byte b, nint bufferLength, ref nint p)
    {
        if (p > bufferLength - Vector128<byte>.Count)
        {
            return Field.None;
        }

        Vector128<byte> bytes = Vector128.LoadUnsafe(ref b, (nuint)p);
        (Field field, Vector128<byte> key, int length) = Unsafe.Add(ref b, p + 1) switch
        {
            (byte)'m' => (Field.MsgType, MsgTypeKey, ProtocolNames.MsgType.Length + 3),
            (byte)'i' => (Field.Id, IdKey, ProtocolNames.Id.Length + 3),
            (byte)'s' => (Field.SeqId, SeqIdKey, ProtocolNames.SeqId.Length + 3),
            (byte)'r' => (Field.RequestId, RequestIdKey, ProtocolNames.RequestId.Length + 3),
            (byte)'t' => (Field.Timestamp, TimestampKey, ProtocolNames.Timestamp.Length + 3),
            (byte)'v' => (Field.Version, VersionKey, ProtocolNames.Version.Length + 3),
            (byte)'p' => (Field.Payload, PayloadKey, ProtocolNames.Payload.Length + 3),
            _ => (Field.None, default, 0),
        };

        uint need = (1u << length) - 1;
        if (field == Field.None || (Vector128.Equals(bytes, key).ExtractMostSignificantBits() & need) != need)
        {
            return Field.None;
        }

        p += length;
        return field;
    }

    // '"', the name, '"', ':' (at most 16 bytes), then zeros.
    private static Vector128<byte> QuotedKey(ReadOnlySpan<byte> name)
    {
        Span<byte> key = stackalloc byte[Vector128<byte>.Count];
        key.Clear();
        key[0] = (byte)'"';
        name.CopyTo(key[1..]);
        key[name.Length + 1] = (byte)'"';
        key[name.Length + 2] = (byte)':';
        return Vector128.Create((ReadOnlySpan<byte>)key);
    }

    // The general path's name matches: a name (not escaped) that the pattern compare did not take.
    private static Field RootField(ref byte b, nint start, nint length) =>
        MatchFieldName(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref b, start), (int)length));

    private static bool IsStrategyIdName(ref byte b, nint start, nint length) =>
        length == ProtocolNames.StrategyId.Length
        && MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref b, start), (int)length).SequenceEqual(ProtocolNames.StrategyId);

    // Eight bytes as a little-endian word.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadWord(ref byte b, nint p)
    {
        ulong word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, p));
        return BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word);
    }

    // At a value that must be a non-negative integer that fits a long (no sign, fraction or exponent), or null; returns the offset past it.
    private static nint ScanOptionalInteger(ref byte b, nint bufferLength, nint end, nint p, uint c, out bool present, out long value)
    {
        present = false;
        value = 0;
        if (c == 'n')
        {
            return SkipNull(ref b, end, p);
        }

        if (c - '0' > 9)
        {
            return -1;
        }

        nint q = SkipDigits(ref b, bufferLength, p + 1);
        nint digits = q - p;

        // A fraction or exponent: still a number, but not one these fields take here.
        uint next = Unsafe.Add(ref b, q);
        if (digits > FastPathMaxDigits || (digits > 1 && c == '0') || next == '.' || (next | 0x20) == 'e')
        {
            return -1;
        }

        ulong number = 0;
        for (nint i = p; i < q; i++)
        {
            number = (number * 10) + (uint)(Unsafe.Add(ref b, i) - '0');
        }

        if (number > long.MaxValue)
        {
            return -1;
        }

        present = true;
        value = (long)number;
        return q;
    }

    // RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?; the caller checks what follows.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint SkipNumber(ref byte b, nint bufferLength, nint p, uint c)
    {
        if (c == '-')
        {
            c = Unsafe.Add(ref b, ++p);
        }

        if (c == '0')
        {
            p++; // a digit after it is not a delimiter: the caller declines
        }
        else if (c - '1' <= 8)
        {
            p = SkipDigits(ref b, bufferLength, p + 1);
        }
        else
        {
            return -1;
        }

        c = Unsafe.Add(ref b, p);
        if (c == '.')
        {
            nint fraction = p + 1;
            p = SkipDigits(ref b, bufferLength, fraction);
            if (p == fraction)
            {
                return -1;
            }

            c = Unsafe.Add(ref b, p);
        }

        if ((c | 0x20) == 'e')
        {
            c = Unsafe.Add(ref b, ++p);
            if (c is '+' or '-')
            {
                p++;
            }

            nint exponent = p;
            p = SkipDigits(ref b, bufferLength, exponent);
            if (p == exponent)
            {
                return -1;
            }
        }

        return p;
    }

    /*
     * Past the ASCII digits from p: eight at a time, then one at a time up to the root's '}'.
     * A byte is a digit when its XOR with '0' (t) is below 10, so t + 0x76 and t both leave the
     * top bit clear. Adding across the whole word lets a byte carry into the next one, but only
     * a byte that is not a digit carries, so every byte up to the first non-digit is judged
     * right, and that first one is all the count needs.
     */
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint SkipDigits(ref byte b, nint bufferLength, nint p)
    {
        while (p <= bufferLength - sizeof(ulong))
        {
            ulong x = ReadWord(ref b, p) ^ 0x3030303030303030;
            ulong nonDigits = ((x + 0x7676767676767676) | x) & 0x8080808080808080;
            if (nonDigits != 0)
            {
                return p + (nint)(ulong.TrailingZeroCount(nonDigits) >> 3);
            }

            p += sizeof(ulong);
        }

        while (Unsafe.Add(ref b, p) - (uint)'0' <= 9)
        {
            p++;
        }

        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint SkipNull(ref byte b, nint end, nint p) =>
        p + 4 <= end && ReadAscii4(ref b, p) == NullWord ? p + 4 : -1;

    // Four bytes as a little-endian word, to compare with the *Word constants.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ReadAscii4(ref byte b, nint p)
    {
        uint word = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref b, p));
        return BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word);
    }

    // RFC 8259 §2: space, tab, line feed, carriage return (one bit each, tested with a shift).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsWhitespace(uint c) => c <= ' ' && ((WhitespaceBits >> (int)c) & 1) != 0;

    // The kind of value each first byte starts (0: none), one table load instead of a chain of compares.
    private static ReadOnlySpan<byte> ValueKinds =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x00
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x10
        0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, // 0x20
        4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0, // 0x30
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x40
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, // 0x50
        0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 7, 0, // 0x60
        0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, // 0x70
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x80
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x90
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0xA0
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0xB0
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0xC0
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0xD0
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0xE0
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0xF0
    ];

    [InlineArray(MinScanLength)]
    private struct PaddedMessage
    {
        private byte _first;
    }

    [InlineArray(KeyMemoSlots)]
    private struct KeyMemo
    {
        private Vector128<byte> _first;
    }
}
