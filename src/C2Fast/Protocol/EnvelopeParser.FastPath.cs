using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace C2Fast.Protocol;

/// <summary>The fast path of <see cref="EnvelopeParser"/>: a validating two-stage byte scanner for the common shape.</summary>
/// <remarks>
/// <para>
/// Almost every message on the feed is plain: unescaped names, a known <c>msg_type</c>, a
/// non-negative integer <c>seq_id</c>, an object payload with a positive integer
/// <c>strategy_id</c>. For those, a <see cref="System.Text.Json.Utf8JsonReader"/> token loop spends
/// most of its time producing tokens nobody looks at. This scanner validates the same bytes as
/// JSON (RFC 8259: structure, strings with their escapes, numbers, literals, whitespace, depth)
/// in two stages: <see cref="StructuralIndex"/> classifies 64 bytes at a time with vector compares,
/// validates strings and lists where every token starts; the walker here then checks the
/// grammar token by token with a bit stack for the containers, and picks the envelope out.
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
    // Containers the walker tracks in its bit stack, root included; deeper input goes to the reader.
    private const int FastPathMaxNesting = 64;

    // Token buffers on the stack up to 4 KiB (messages up to about 1 KiB); larger messages rent one.
    private const int MaxStackTokens = 1024;

    // Longest integer accepted here: 19 digits never overflow a ulong, and the value is then checked against long.MaxValue.
    private const int FastPathMaxDigits = 19;

    // The literals as little-endian words ("false" is 'f' then "alse").
    private const uint TrueWord = 't' | ('r' << 8) | ('u' << 16) | ((uint)'e' << 24);
    private const uint NullWord = 'n' | ('u' << 8) | ('l' << 16) | ((uint)'l' << 24);
    private const uint AlseWord = 'a' | ('l' << 8) | ('s' << 16) | ((uint)'e' << 24);

    // RFC 8259 §2 whitespace, and the bytes that may follow a number or literal: whitespace, ',' (below 64), ']' and '}'.
    private const ulong WhitespaceBits = (1UL << ' ') | (1UL << '\t') | (1UL << '\n') | (1UL << '\r');
    private const ulong LowDelimiterBits = WhitespaceBits | (1UL << ',');

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
        s.Length >= StructuralIndex.WordBytes
            ? Scan(ref MemoryMarshal.GetReference(s), s.Length, s.Length, maxDepth, out envelope)
            : ScanPadded(s, maxDepth, out envelope);

    // The index loads 64 bytes at a time, so a shorter message is scanned from a copy padded to 64 (offsets are unchanged).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool ScanPadded(ReadOnlySpan<byte> s, int maxDepth, out Envelope envelope)
    {
        var padded = default(PaddedMessage);
        Span<byte> copy = padded;
        s.CopyTo(copy);
        return Scan(ref MemoryMarshal.GetReference(copy), StructuralIndex.WordBytes, s.Length, maxDepth, out envelope);
    }

    private static bool Scan(ref byte b, nint bufferLength, nint length, int maxDepth, out Envelope envelope)
    {
        // Only whitespace may follow the root object, so the last other byte must be its '}'.
        nint end = length - 1;
        while (end >= 0 && IsWhitespace(Unsafe.Add(ref b, end)))
        {
            end--;
        }

        if (end <= 0 || Unsafe.Add(ref b, end) != '}')
        {
            envelope = default;
            return false;
        }

        int capacity = StructuralIndex.Capacity(end);
        if (capacity > MaxStackTokens)
        {
            return ScanPooled(ref b, bufferLength, end, maxDepth, capacity, out envelope);
        }

        return Walk(ref b, bufferLength, end, maxDepth, stackalloc uint[capacity], out envelope);
    }

    // A message over 1 KiB: its token buffer (a token per byte at worst) comes from the pool rather than the stack.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool ScanPooled(ref byte b, nint bufferLength, nint end, int maxDepth, int capacity, out Envelope envelope)
    {
        uint[] tokens = ArrayPool<uint>.Shared.Rent(capacity);
        bool done = Walk(ref b, bufferLength, end, maxDepth, tokens, out envelope);
        ArrayPool<uint>.Shared.Return(tokens);
        return done;
    }

    private static bool Walk(ref byte b, nint bufferLength, nint end, int maxDepth, Span<uint> tokens, out Envelope envelope)
    {
        if (StructuralIndex.Build(ref b, bufferLength, end, tokens, out nint firstBackslash) < 0)
        {
            envelope = default;
            return false;
        }

        return ScanRoot(ref b, ref MemoryMarshal.GetReference(tokens), bufferLength, end, firstBackslash, maxDepth, out envelope);
    }

    /*
     * Stage two: the grammar (RFC 8259 §2-§5) over the token offsets of StructuralIndex, in
     * three loops: the root object (envelope fields), the payload object (strategy_id), and
     * any other container (a bit stack). A string is two tokens, its quotes; a number or
     * literal is checked from its first byte, and what follows it must be whitespace, ',', '}'
     * or ']'. Each loop takes the index of the next token and returns the index after what it
     * read, or -1 ("decline"). Bounds: every byte read is at or before end (the root's '}'):
     * numbers stop at it, literals check their length against it, tokens never point past it,
     * and a '}' at end closes only the root (the nested loops decline it).
     */
    private static bool ScanRoot(ref byte b, ref uint tokens, nint bufferLength, nint end, nint firstBackslash, int maxDepth, out Envelope envelope)
    {
        envelope = default;
        nint next = 0;
        nint pos = (nint)Unsafe.Add(ref tokens, next++);
        if (Unsafe.Add(ref b, pos) != '{')
        {
            return false;
        }

        var seen = Field.None;
        var type = MessageType.Unknown;
        ValueRange msgType = default, id = default, requestId = default, timestamp = default, payload = default;
        long seqId = 0, strategyId = 0, version = 0;
        bool hasSeqId = false, hasVersion = false, hasStrategyId = false;
        while (true)
        {
            // "name" : (the root cannot be empty: it needs a msg_type)
            pos = (nint)Unsafe.Add(ref tokens, next++);
            if (Unsafe.Add(ref b, pos) != '"')
            {
                return false;
            }

            nint nameStart = pos + 1;
            nint close = (nint)Unsafe.Add(ref tokens, next++);
            if (HasBackslash(ref b, firstBackslash, nameStart, close))
            {
                return false; // an escaped name might spell a field: the reader decides
            }

            Field field = MatchFieldName(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref b, nameStart), (int)(close - nameStart)));
            if (Unsafe.Add(ref b, (nint)Unsafe.Add(ref tokens, next++)) != ':' || (seen & field) != 0)
            {
                return false;
            }

            seen |= field;
            pos = (nint)Unsafe.Add(ref tokens, next++);
            uint c = Unsafe.Add(ref b, pos);
            switch (field)
            {
                case Field.MsgType:
                    // An escaped msg_type goes to the reader, which matches it unescaped.
                    close = (nint)Unsafe.Add(ref tokens, next++);
                    if (c != '"' || HasBackslash(ref b, firstBackslash, pos + 1, close))
                    {
                        return false;
                    }

                    msgType = new ValueRange((int)(pos + 1), (int)(close - pos - 1));
                    type = MatchTypeName(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref b, pos + 1), (int)(close - pos - 1)));
                    break;
                case Field.Id:
                    next = ScanOptionalString(ref b, ref tokens, next, end, firstBackslash, pos, c, out id);
                    break;
                case Field.RequestId:
                    next = ScanOptionalString(ref b, ref tokens, next, end, firstBackslash, pos, c, out requestId);
                    break;
                case Field.Timestamp:
                    next = ScanOptionalString(ref b, ref tokens, next, end, firstBackslash, pos, c, out timestamp);
                    break;
                case Field.SeqId:
                    if (!IsOptionalInteger(ref b, bufferLength, end, pos, c, out hasSeqId, out seqId))
                    {
                        return false;
                    }

                    break;
                case Field.Version:
                    if (!IsOptionalInteger(ref b, bufferLength, end, pos, c, out hasVersion, out version) || version > int.MaxValue)
                    {
                        return false;
                    }

                    break;
                case Field.Payload:
                    if (c == '{')
                    {
                        next = ScanPayload(ref b, ref tokens, next, bufferLength, end, firstBackslash, maxDepth, out hasStrategyId, out strategyId);
                        if (next < 0)
                        {
                            return false;
                        }

                        payload = new ValueRange((int)pos, (int)(Unsafe.Add(ref tokens, next - 1) + 1 - pos));
                    }
                    else if (!IsNull(ref b, end, pos))
                    {
                        return false; // a non-object payload: the reader path judges it
                    }

                    break;
                default:
                    next = c is '{' or '['
                        ? SkipContainer(ref b, ref tokens, next, bufferLength, end, c, 2, maxDepth)
                        : SkipScalar(ref b, next, bufferLength, end, pos, c);
                    break;
            }

            if (next < 0)
            {
                return false;
            }

            // , or } (which must be the last token: only whitespace may follow the root)
            pos = (nint)Unsafe.Add(ref tokens, next++);
            c = Unsafe.Add(ref b, pos);
            if (c != ',')
            {
                if (c != '}' || pos != end || (seen & Field.MsgType) == 0)
                {
                    return false;
                }

                break;
            }
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

    // After the payload's '{': reads its top-level strategy_id (a positive integer or null), skips the rest.
    private static nint ScanPayload(ref byte b, ref uint tokens, nint next, nint bufferLength, nint end, nint firstBackslash, int maxDepth, out bool hasStrategyId, out long strategyId)
    {
        hasStrategyId = false;
        strategyId = 0;
        if (maxDepth < 2)
        {
            return -1;
        }

        bool seenStrategyId = false;
        nint pos = (nint)Unsafe.Add(ref tokens, next++);
        uint c = Unsafe.Add(ref b, pos);
        if (c == '}')
        {
            return pos != end ? next : -1;
        }

        while (true)
        {
            if (c != '"')
            {
                return -1;
            }

            nint nameStart = pos + 1;
            nint close = (nint)Unsafe.Add(ref tokens, next++);
            if (Unsafe.Add(ref b, (nint)Unsafe.Add(ref tokens, next++)) != ':')
            {
                return -1;
            }

            pos = (nint)Unsafe.Add(ref tokens, next++);
            c = Unsafe.Add(ref b, pos);
            if (close - nameStart == ProtocolNames.StrategyId.Length
                && MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref b, nameStart), ProtocolNames.StrategyId.Length).SequenceEqual(ProtocolNames.StrategyId))
            {
                // A second strategy_id, or one that is not a positive integer or null: the reader path decides.
                if (seenStrategyId || !IsOptionalInteger(ref b, bufferLength, end, pos, c, out hasStrategyId, out strategyId) || (hasStrategyId && strategyId == 0))
                {
                    return -1;
                }

                seenStrategyId = true;
            }
            else if (HasBackslash(ref b, firstBackslash, nameStart, close))
            {
                return -1; // an escaped name might spell strategy_id
            }
            else
            {
                next = c is '{' or '['
                    ? SkipContainer(ref b, ref tokens, next, bufferLength, end, c, 3, maxDepth)
                    : SkipScalar(ref b, next, bufferLength, end, pos, c);
                if (next < 0)
                {
                    return -1;
                }
            }

            pos = (nint)Unsafe.Add(ref tokens, next++);
            c = Unsafe.Add(ref b, pos);
            if (c == ',')
            {
                pos = (nint)Unsafe.Add(ref tokens, next++);
                c = Unsafe.Add(ref b, pos);
                continue;
            }

            // A '}' at end closes the root, not the payload.
            return c == '}' && pos != end ? next : -1;
        }
    }

    /*
     * Container walk, one loop for any nesting: a bit per open container (1 = object) says what
     * may come next.
     *   Open      push                        → Close if empty, else Element
     *   Element   object: '"' '"' ':' value   (a container value → Open)
     *             array:  value
     *   After     ',' → Element  |  the matching '}' / ']' → Close
     *   Close     pop; stack empty → done, else → After
     * level is the nesting level of the container opened by c, the token before next (the root
     * is 1); the walk declines past maxDepth and past the 64 levels of its bit stack.
     */
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nint SkipContainer(ref byte b, ref uint tokens, nint next, nint bufferLength, nint end, uint c, int level, int maxDepth)
    {
        int limit = Math.Min(maxDepth, level - 1 + FastPathMaxNesting);
        int depth = level - 1;
        ulong objects = 0;
        nint pos;

    Open:
        if (depth >= limit)
        {
            return -1;
        }

        depth++;
        objects = (objects << 1) | (c == '{' ? 1UL : 0UL);
        pos = (nint)Unsafe.Add(ref tokens, next++);
        c = Unsafe.Add(ref b, pos);
        if (c == ((objects & 1) != 0 ? '}' : ']'))
        {
            goto Close;
        }

    Element:
        if ((objects & 1) != 0)
        {
            // The key's closing quote is the next token, then ':'.
            if (c != '"' || Unsafe.Add(ref b, (nint)Unsafe.Add(ref tokens, next + 1)) != ':')
            {
                return -1;
            }

            pos = (nint)Unsafe.Add(ref tokens, next + 2);
            next += 3;
            c = Unsafe.Add(ref b, pos);
        }

        switch (c)
        {
            case '"':
                next++; // its closing quote
                break;
            case '{' or '[':
                goto Open;
            case 't':
                if (pos + 4 > end || ReadAscii4(ref b, pos) != TrueWord || !IsDelimiter(Unsafe.Add(ref b, pos + 4)))
                {
                    return -1;
                }

                break;
            case 'f':
                if (pos + 5 > end || ReadAscii4(ref b, pos + 1) != AlseWord || !IsDelimiter(Unsafe.Add(ref b, pos + 5)))
                {
                    return -1;
                }

                break;
            case 'n':
                if (!IsNull(ref b, end, pos))
                {
                    return -1;
                }

                break;
            default:
                if (!IsNumber(ref b, bufferLength, pos, c))
                {
                    return -1;
                }

                break;
        }

    After:
        pos = (nint)Unsafe.Add(ref tokens, next++);
        c = Unsafe.Add(ref b, pos);
        if (c == ',')
        {
            pos = (nint)Unsafe.Add(ref tokens, next++);
            c = Unsafe.Add(ref b, pos);
            goto Element;
        }

        if (c != ((objects & 1) != 0 ? '}' : ']'))
        {
            return -1;
        }

    Close:
        if (pos == end)
        {
            return -1; // a '}' at end closes the root, which is not in this walk
        }

        if (depth == level)
        {
            return next;
        }

        depth--;
        objects >>= 1;
        goto After;
    }

    // At a value that is not a container (pos, first byte c); returns the token index after it, or -1.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint SkipScalar(ref byte b, nint next, nint bufferLength, nint end, nint pos, uint c) => c switch
    {
        '"' => next + 1,
        't' => pos + 4 <= end && ReadAscii4(ref b, pos) == TrueWord && IsDelimiter(Unsafe.Add(ref b, pos + 4)) ? next : -1,
        'f' => pos + 5 <= end && ReadAscii4(ref b, pos + 1) == AlseWord && IsDelimiter(Unsafe.Add(ref b, pos + 5)) ? next : -1,
        'n' => IsNull(ref b, end, pos) ? next : -1,
        _ => IsNumber(ref b, bufferLength, pos, c) ? next : -1,
    };

    // At a string value (c is '"') or null: the raw range between the quotes (absent for null), and whether it holds an escape.
    private static nint ScanOptionalString(ref byte b, ref uint tokens, nint next, nint end, nint firstBackslash, nint pos, uint c, out ValueRange range)
    {
        range = default;
        if (c != '"')
        {
            return IsNull(ref b, end, pos) ? next : -1;
        }

        nint close = (nint)Unsafe.Add(ref tokens, next);
        range = new ValueRange((int)(pos + 1), (int)(close - pos - 1), HasBackslash(ref b, firstBackslash, pos + 1, close));
        return next + 1;
    }

    // Whether the string bytes from start up to close hold a backslash; the index says "none" for most messages outright.
    private static bool HasBackslash(ref byte b, nint firstBackslash, nint start, nint close) =>
        firstBackslash < close && MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref b, start), (int)(close - start)).Contains((byte)'\\');

    // At a value that must be a non-negative integer that fits a long (no sign, fraction or exponent), or null.
    private static bool IsOptionalInteger(ref byte b, nint bufferLength, nint end, nint p, uint c, out bool present, out long value)
    {
        present = false;
        value = 0;
        if (c == 'n')
        {
            return IsNull(ref b, end, p);
        }

        if (c - '0' > 9)
        {
            return false;
        }

        nint q = SkipDigits(ref b, bufferLength, p + 1);
        nint digits = q - p;

        // A fraction or exponent is still a number, but not one these fields take here; the delimiter test declines it.
        if (digits > FastPathMaxDigits || (digits > 1 && c == '0') || !IsDelimiter(Unsafe.Add(ref b, q)))
        {
            return false;
        }

        ulong number = 0;
        for (nint i = p; i < q; i++)
        {
            number = (number * 10) + (uint)(Unsafe.Add(ref b, i) - '0');
        }

        if (number > long.MaxValue)
        {
            return false;
        }

        present = true;
        value = (long)number;
        return true;
    }

    // RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?, then a delimiter.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsNumber(ref byte b, nint bufferLength, nint p, uint c)
    {
        if (c == '-')
        {
            c = Unsafe.Add(ref b, ++p);
        }

        if (c == '0')
        {
            p++;
        }
        else if (c - '1' <= 8)
        {
            p = SkipDigits(ref b, bufferLength, p + 1);
        }
        else
        {
            return false;
        }

        c = Unsafe.Add(ref b, p);
        if (c == '.')
        {
            nint fraction = p + 1;
            p = SkipDigits(ref b, bufferLength, fraction);
            if (p == fraction)
            {
                return false;
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
                return false;
            }

            c = Unsafe.Add(ref b, p);
        }

        return IsDelimiter(c);
    }

    // Past the ASCII digits from p: eight at a time (a digit is a byte whose XOR with '0' is below 10), then one at a time up to the root's '}'.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint SkipDigits(ref byte b, nint bufferLength, nint p)
    {
        while (p <= bufferLength - sizeof(ulong))
        {
            ulong x = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, p)) ^ 0x3030303030303030;
            if (!BitConverter.IsLittleEndian)
            {
                x = BinaryPrimitives.ReverseEndianness(x);
            }

            ulong nonDigits = (((x & 0x7F7F7F7F7F7F7F7F) + 0x7676767676767676) | x) & 0x8080808080808080;
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
    private static bool IsNull(ref byte b, nint end, nint p) =>
        p + 4 <= end && ReadAscii4(ref b, p) == NullWord && IsDelimiter(Unsafe.Add(ref b, p + 4));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsDelimiter(uint c) => c < 64 ? ((LowDelimiterBits >> (int)c) & 1) != 0 : c is ']' or '}';

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

    [InlineArray(StructuralIndex.WordBytes)]
    private struct PaddedMessage
    {
        private byte _first;
    }
}
