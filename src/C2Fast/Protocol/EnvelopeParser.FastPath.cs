using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace C2Fast.Protocol;

/// <summary>The fast path of <see cref="EnvelopeParser"/>: a validating single-pass byte scanner for the common shape.</summary>
/// <remarks>
/// <para>
/// Almost every message on the feed is plain: unescaped names, a known <c>msg_type</c>, a
/// non-negative integer <c>seq_id</c>, an object payload with a positive integer
/// <c>strategy_id</c>. For those, a <see cref="System.Text.Json.Utf8JsonReader"/> token loop spends
/// most of its time producing tokens nobody looks at. This scanner walks the same bytes once,
/// validating the JSON grammar (RFC 8259: structure, strings with their escapes, numbers,
/// literals, whitespace) but building no tokens: strings are skipped 16 bytes at a time,
/// containers with a bit stack.
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
    // Nesting the container scanner tracks in its bit stack; deeper input goes to the reader.
    private const int FastPathMaxNesting = 64;

    // Masks on the stack up to 4 KiB (messages up to 16 KiB); larger messages rent them.
    private const int MaxStackMasks = 512;

    // Longest integer accepted here: 19 digits never overflow a ulong, and the value is then checked against long.MaxValue.
    private const int FastPathMaxDigits = 19;

    // The literals as little-endian words ("false" is 'f' then "alse").
    private const uint TrueWord = 't' | ('r' << 8) | ('u' << 16) | ((uint)'e' << 24);
    private const uint NullWord = 'n' | ('u' << 8) | ('l' << 16) | ((uint)'l' << 24);
    private const uint AlseWord = 'a' | ('l' << 8) | ('s' << 16) | ((uint)'e' << 24);

    private const ulong WhitespaceBits = (1UL << ' ') | (1UL << '\t') | (1UL << '\n') | (1UL << '\r');

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
        return ParseGuarded(ref reader, maxDepth, out envelope, out error);
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
        return ParseGuarded(ref reader, maxDepth, out envelope, out error);
    }

    /// <summary>Scans a complete message; <see langword="true"/> only with the envelope the reader path would return.</summary>
    /// <param name="s">The whole message.</param>
    /// <param name="maxDepth">Maximum nesting depth, root object included.</param>
    /// <param name="envelope">The envelope when <see langword="true"/>.</param>
    /// <returns><see langword="false"/> when the reader path must decide (invalid or unusual input).</returns>
    private static bool TryScan(ReadOnlySpan<byte> s, int maxDepth, out Envelope envelope) =>
        s.Length >= ScanIndex.WordBytes
            ? Scan(ref MemoryMarshal.GetReference(s), s.Length, s.Length, maxDepth, out envelope)
            : ScanPadded(s, maxDepth, out envelope);

    // The index loads 64 bytes at a time, so a shorter message is scanned from a copy padded to 64 (offsets are unchanged).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool ScanPadded(ReadOnlySpan<byte> s, int maxDepth, out Envelope envelope)
    {
        var padded = default(PaddedMessage);
        Span<byte> copy = padded;
        s.CopyTo(copy);
        return Scan(ref MemoryMarshal.GetReference(copy), ScanIndex.WordBytes, s.Length, maxDepth, out envelope);
    }

    /*
     * Bounds: the last non-whitespace byte (end) must be the root's '}'. A single-byte step
     * reads at p <= end and moves past a byte that is not '}', so the next read is in bounds
     * too; a '}' at end can only close the root, which the callers check. Whitespace and digit
     * runs stop at that '}'; the index marks everything from end on as the end of any string
     * or digit run; literals and \u escapes check their length against end.
     */
    private static bool Scan(ref byte b, nint bufferLength, nint length, int maxDepth, out Envelope envelope)
    {
        envelope = default;
        nint end = length - 1;
        while (end >= 0 && IsWhitespace(Unsafe.Add(ref b, end)))
        {
            end--;
        }

        if (end <= 0 || Unsafe.Add(ref b, end) != '}' || SkipWhitespace(ref b, 0) is var p && Unsafe.Add(ref b, p) != '{')
        {
            return false;
        }

        int maskLength = ScanIndex.Length(end);
        if (maskLength > MaxStackMasks)
        {
            return ScanRented(ref b, bufferLength, end, p, maxDepth, maskLength, out envelope);
        }

        Span<ulong> masks = stackalloc ulong[maskLength];
        ScanIndex.Build(ref b, bufferLength, end, masks);
        return ScanRoot(ref b, ref MemoryMarshal.GetReference(masks), end, p, maxDepth, out envelope);
    }

    // A message over 16 KiB: its masks (over 4 KiB) come from the pool rather than the stack.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool ScanRented(ref byte b, nint bufferLength, nint end, nint p, int maxDepth, int maskLength, out Envelope envelope)
    {
        ulong[] rented = ArrayPool<ulong>.Shared.Rent(maskLength);
        Span<ulong> masks = rented.AsSpan(0, maskLength);
        ScanIndex.Build(ref b, bufferLength, end, masks);
        bool done = ScanRoot(ref b, ref MemoryMarshal.GetReference(masks), end, p, maxDepth, out envelope);
        ArrayPool<ulong>.Shared.Return(rented);
        return done;
    }

    // At the root's '{' (p), with the message indexed.
    private static bool ScanRoot(ref byte b, ref ulong masks, nint end, nint p, int maxDepth, out Envelope envelope)
    {
        envelope = default;
        var seen = Field.None;
        var type = MessageType.Unknown;
        ValueRange msgType = default, id = default, requestId = default, timestamp = default, payload = default;
        long seqId = 0, strategyId = 0, version = 0;
        bool hasSeqId = false, hasVersion = false, hasStrategyId = false;
        uint c = NextToken(ref b, ref p);
        while (true)
        {
            // "name" : (the root cannot be empty: it needs a msg_type)
            if (c != '"')
            {
                return false;
            }

            nint nameStart = p + 1;
            nint q = ScanIndex.NextStringStop(ref masks, nameStart);
            if (q >= end || Unsafe.Add(ref b, q) != '"')
            {
                return false; // an escaped name (it might spell a field) or a bad one: the reader decides
            }

            Field field = MatchFieldName(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref b, nameStart), (int)(q - nameStart)));
            p = q + 1;
            if ((c = NextColonValue(ref b, ref p)) == 0)
            {
                return false;
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
                    if (c != '"' || (q = ScanIndex.NextStringStop(ref masks, p + 1)) >= end || Unsafe.Add(ref b, q) != '"')
                    {
                        return false;
                    }

                    msgType = new ValueRange((int)(p + 1), (int)(q - p - 1));
                    type = MatchTypeName(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref b, p + 1), (int)(q - p - 1)));
                    p = q + 1;
                    break;
                case Field.Id:
                    p = ScanOptionalString(ref b, ref masks, end, p, c, out id);
                    break;
                case Field.RequestId:
                    p = ScanOptionalString(ref b, ref masks, end, p, c, out requestId);
                    break;
                case Field.Timestamp:
                    p = ScanOptionalString(ref b, ref masks, end, p, c, out timestamp);
                    break;
                case Field.SeqId:
                    p = ScanOptionalInteger(ref b, ref masks, end, p, c, out hasSeqId, out seqId);
                    break;
                case Field.Version:
                    p = ScanOptionalInteger(ref b, ref masks, end, p, c, out hasVersion, out version);
                    if (version > int.MaxValue)
                    {
                        return false;
                    }

                    break;
                case Field.Payload:
                    if (c == '{')
                    {
                        nint start = p;
                        p = ScanPayload(ref b, ref masks, end, p, maxDepth, out hasStrategyId, out strategyId);
                        if (p < 0)
                        {
                            return false;
                        }

                        payload = new ValueRange((int)start, (int)(p - start));
                    }
                    else
                    {
                        p = SkipNull(ref b, end, p); // a non-object payload: the reader path judges it
                    }

                    break;
                default:
                    p = c is '{' or '[' ? SkipContainer(ref b, ref masks, end, p, 2, maxDepth) : SkipScalar(ref b, ref masks, end, p, c);
                    break;
            }

            if (p < 0)
            {
                return false;
            }

            // , or }
            c = Unsafe.Add(ref b, p);
            if (c <= ' ')
            {
                p = SkipWhitespace(ref b, p);
                c = Unsafe.Add(ref b, p);
            }

            if (c == ',')
            {
                c = NextToken(ref b, ref p);
                continue;
            }

            // One value per text: the root's '}' must be the last non-whitespace byte.
            if (c != '}' || p != end || (seen & Field.MsgType) == 0)
            {
                return false;
            }

            break;
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
    private static nint ScanPayload(ref byte b, ref ulong masks, nint end, nint p, int maxDepth, out bool hasStrategyId, out long strategyId)
    {
        hasStrategyId = false;
        strategyId = 0;
        if (maxDepth < 2)
        {
            return -1;
        }

        bool seenStrategyId = false;
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

            nint nameStart = p + 1;
            nint q = ScanIndex.NextStringStop(ref masks, nameStart);
            if (q >= end || Unsafe.Add(ref b, q) != '"')
            {
                return -1; // an escaped name might spell strategy_id
            }

            bool isStrategyId = IsStrategyIdName(ref b, nameStart, q - nameStart);
            p = q + 1;
            if ((c = NextColonValue(ref b, ref p)) == 0)
            {
                return -1;
            }

            if (isStrategyId)
            {
                // A second strategy_id, or one that is not a positive integer or null: the reader path decides.
                if (seenStrategyId)
                {
                    return -1;
                }

                seenStrategyId = true;
                p = ScanOptionalInteger(ref b, ref masks, end, p, c, out hasStrategyId, out strategyId);
                if (hasStrategyId && strategyId == 0)
                {
                    return -1;
                }
            }
            else
            {
                p = c is '{' or '[' ? SkipContainer(ref b, ref masks, end, p, 3, maxDepth) : SkipScalar(ref b, ref masks, end, p, c);
            }

            if (p < 0)
            {
                return -1;
            }

            c = Unsafe.Add(ref b, p);
            if (c <= ' ')
            {
                p = SkipWhitespace(ref b, p);
                c = Unsafe.Add(ref b, p);
            }

            if (c == ',')
            {
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
     *   Open      '{' or '[' pushed           → Close if empty, else Element
     *   Element   object: "name" ':' value    (a container value → Open)
     *             array:  value
     *   After     ',' → Element  |  the matching '}' / ']' → Close
     *   Close     pop; stack empty → done, else → After
     * level is the nesting level of the container at p (the root is 1); the walk declines past
     * maxDepth and past the 64 levels of its bit stack. Nothing here is a call on the common
     * path, so the cursor, the stack and the depth stay in registers.
     */
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nint SkipContainer(ref byte b, ref ulong masks, nint end, nint p, int level, int maxDepth)
    {
        int limit = Math.Min(maxDepth, level - 1 + FastPathMaxNesting);
        int depth = level - 1;
        ulong objects = 0;
        uint c = Unsafe.Add(ref b, p);

    Open:
        if (depth == limit)
        {
            return -1;
        }

        depth++;
        objects = (objects << 1) | (c == '{' ? 1UL : 0UL);
        c = NextToken(ref b, ref p);
        if (c == ((objects & 1) != 0 ? '}' : ']'))
        {
            goto Close;
        }

    Element:
        if ((objects & 1) != 0)
        {
            if (c != '"')
            {
                return -1;
            }

            nint q = ScanIndex.NextStringStop(ref masks, p + 1);
            if (q >= end || (Unsafe.Add(ref b, q) != '"' && (q = SkipEscapes(ref b, ref masks, end, q)) < 0))
            {
                return -1;
            }

            p = q + 1;
            if ((c = NextColonValue(ref b, ref p)) == 0)
            {
                return -1;
            }
        }

        if (c is '{' or '[')
        {
            goto Open;
        }

        if ((p = SkipScalar(ref b, ref masks, end, p, c)) < 0)
        {
            return -1;
        }

    After:
        c = Unsafe.Add(ref b, p);
        if (c <= ' ')
        {
            p = SkipWhitespace(ref b, p);
            c = Unsafe.Add(ref b, p);
        }

        if (c == ',')
        {
            c = NextToken(ref b, ref p);
            goto Element;
        }

        if (c != ((objects & 1) != 0 ? '}' : ']'))
        {
            return -1;
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
        goto After;
    }

    // At the first byte of a value that is not a container; returns the offset past it, or -1.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint SkipScalar(ref byte b, ref ulong masks, nint end, nint p, uint c)
    {
        switch (c)
        {
            case '"':
                nint q = ScanIndex.NextStringStop(ref masks, p + 1);
                if (q >= end || (Unsafe.Add(ref b, q) != '"' && (q = SkipEscapes(ref b, ref masks, end, q)) < 0))
                {
                    return -1;
                }

                return q + 1;
            case 't':
                return p + 4 <= end && ReadAscii4(ref b, p) == TrueWord ? p + 4 : -1;
            case 'f':
                return p + 5 <= end && ReadAscii4(ref b, p + 1) == AlseWord ? p + 5 : -1;
            case 'n':
                return SkipNull(ref b, end, p);
            default:
                return SkipNumber(ref b, ref masks, p, c);
        }
    }

    // Past the byte at p (not '}', so p < end), then past any whitespace: the next token's first byte.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint NextToken(ref byte b, ref nint p)
    {
        uint c = Unsafe.Add(ref b, ++p);
        if (c <= ' ')
        {
            p = SkipWhitespace(ref b, p);
            c = Unsafe.Add(ref b, p);
        }

        return c;
    }

    // After a member name: whitespace, ':', whitespace; the value's first byte, or 0 if the ':' is missing (0 starts no value).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint NextColonValue(ref byte b, ref nint p)
    {
        uint c = Unsafe.Add(ref b, p);
        if (c <= ' ')
        {
            p = SkipWhitespace(ref b, p);
            c = Unsafe.Add(ref b, p);
        }

        return c == ':' ? NextToken(ref b, ref p) : 0;
    }

    // At a string value (c is '"') or null: the raw range between the quotes (absent for null), and whether it holds an escape.
    private static nint ScanOptionalString(ref byte b, ref ulong masks, nint end, nint p, uint c, out ValueRange range)
    {
        range = default;
        if (c != '"')
        {
            return SkipNull(ref b, end, p);
        }

        nint start = p + 1;
        nint q = ScanIndex.NextStringStop(ref masks, start);
        if (q >= end)
        {
            return -1;
        }

        bool escaped = Unsafe.Add(ref b, q) != '"';
        if (escaped && (q = SkipEscapes(ref b, ref masks, end, q)) < 0)
        {
            return -1;
        }

        range = new ValueRange((int)start, (int)(q - start), escaped);
        return q + 1;
    }

    // At a value that must be a non-negative integer that fits a long (no sign, fraction or exponent), or null.
    private static nint ScanOptionalInteger(ref byte b, ref ulong masks, nint end, nint p, uint c, out bool present, out long value)
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

        nint q = ScanIndex.NextNonDigit(ref masks, p + 1);
        nint digits = q - p;
        if (digits > FastPathMaxDigits || (digits > 1 && c == '0'))
        {
            return -1;
        }

        // A fraction or exponent: still a number, but not one these fields take here.
        uint next = Unsafe.Add(ref b, q);
        if (next == '.' || (next | 0x20) == 'e')
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
    private static nint SkipNumber(ref byte b, ref ulong masks, nint p, uint c)
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
            p = ScanIndex.NextNonDigit(ref masks, p + 1);
        }
        else
        {
            return -1;
        }

        c = Unsafe.Add(ref b, p);
        if (c == '.')
        {
            nint fraction = p + 1;
            p = ScanIndex.NextNonDigit(ref masks, fraction);
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
            p = ScanIndex.NextNonDigit(ref masks, exponent);
            if (p == exponent)
            {
                return -1;
            }
        }

        return p;
    }

    // From a '\' or control character inside a string to its closing quote; -1 if the string is not valid JSON.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nint SkipEscapes(ref byte b, ref ulong masks, nint end, nint p)
    {
        while (true)
        {
            uint c = Unsafe.Add(ref b, p);
            if (c == '"')
            {
                return p;
            }

            if (c != '\\')
            {
                return -1; // an unescaped control character
            }

            switch (Unsafe.Add(ref b, p + 1))
            {
                case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    p += 2;
                    break;
                case (byte)'u':
                    if (p + 6 > end
                        || !IsHex(Unsafe.Add(ref b, p + 2)) || !IsHex(Unsafe.Add(ref b, p + 3))
                        || !IsHex(Unsafe.Add(ref b, p + 4)) || !IsHex(Unsafe.Add(ref b, p + 5)))
                    {
                        return -1;
                    }

                    p += 6;
                    break;
                default:
                    return -1;
            }

            p = ScanIndex.NextStringStop(ref masks, p);
            if (p >= end)
            {
                return -1;
            }
        }
    }

    private static bool IsHex(byte c) => char.IsAsciiHexDigit((char)c);

    private static bool IsStrategyIdName(ref byte b, nint start, nint length) =>
        length == 11 && MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref b, start), 11).SequenceEqual(ProtocolNames.StrategyId);

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

    // Stops at anything else, in particular at the root's closing '}', so it needs no length.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint SkipWhitespace(ref byte b, nint p)
    {
        while (IsWhitespace(Unsafe.Add(ref b, p)))
        {
            p++;
        }

        return p;
    }

    [InlineArray(ScanIndex.WordBytes)]
    private struct PaddedMessage
    {
        private byte _first;
    }
}
