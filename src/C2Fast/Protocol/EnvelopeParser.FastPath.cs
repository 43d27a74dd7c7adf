using System.Buffers;
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

    // Longest integer accepted here: 19 digits never overflow a ulong, and the value is then checked against long.MaxValue.
    private const int FastPathMaxDigits = 19;

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
    /// <remarks>
    /// Every helper takes a position by value and returns the position after what it read, or -1
    /// ("decline"): a cursor passed by reference would live in memory instead of a register.
    /// </remarks>
    private static bool TryScan(ReadOnlySpan<byte> s, int maxDepth, out Envelope envelope)
    {
        envelope = default;
        int i = SkipWhitespace(s, 0);
        if ((uint)i >= (uint)s.Length || s[i] != (byte)'{')
        {
            return false;
        }

        i = SkipWhitespace(s, i + 1);
        var seen = Field.None;
        var type = MessageType.Unknown;
        ValueRange msgType = default, id = default, requestId = default, timestamp = default, payload = default;
        long seqId = 0, strategyId = 0, version = 0;
        bool hasSeqId = false, hasVersion = false, hasStrategyId = false;

        while (true)
        {
            // "name" :
            if ((uint)i >= (uint)s.Length || s[i] != (byte)'"')
            {
                return false; // includes the empty object: no msg_type
            }

            int nameEnd = SkipPlainStringBytes(s, i + 1);
            if ((uint)nameEnd >= (uint)s.Length || s[nameEnd] != (byte)'"')
            {
                return false; // an escaped name (it might spell a field) or a bad one: the reader decides
            }

            Field field = MatchFieldName(s[(i + 1)..nameEnd]);
            i = SkipWhitespace(s, nameEnd + 1);
            if ((uint)i >= (uint)s.Length || s[i] != (byte)':')
            {
                return false;
            }

            i = SkipWhitespace(s, i + 1);
            if ((uint)i >= (uint)s.Length)
            {
                return false;
            }

            if (field != Field.None)
            {
                if ((seen & field) != 0)
                {
                    return false;
                }

                seen |= field;
            }

            // value
            switch (field)
            {
                case Field.MsgType:
                    if (s[i] != (byte)'"')
                    {
                        return false;
                    }

                    i = ScanString(s, i, out msgType);
                    if (i < 0 || msgType.IsEscaped)
                    {
                        return false;
                    }

                    type = MatchTypeName(msgType.Slice(s));
                    break;
                case Field.Id:
                    i = ScanOptionalString(s, i, out id);
                    break;
                case Field.RequestId:
                    i = ScanOptionalString(s, i, out requestId);
                    break;
                case Field.Timestamp:
                    i = ScanOptionalString(s, i, out timestamp);
                    break;
                case Field.SeqId:
                    i = ScanOptionalInteger(s, i, out hasSeqId, out seqId);
                    break;
                case Field.Version:
                    i = ScanOptionalInteger(s, i, out hasVersion, out version);
                    if (version > int.MaxValue)
                    {
                        return false;
                    }

                    break;
                case Field.Payload:
                    if (s[i] == (byte)'{')
                    {
                        int start = i;
                        i = ScanPayload(s, i, maxDepth, out hasStrategyId, out strategyId);
                        if (i < 0)
                        {
                            return false;
                        }

                        payload = new ValueRange(start, i - start);
                    }
                    else
                    {
                        i = SkipLiteral(s, i, "null"u8); // a non-object payload: the reader path judges it
                    }

                    break;
                default:
                    i = SkipValue(s, i, 2, maxDepth);
                    break;
            }

            if (i < 0)
            {
                return false;
            }

            // , or }
            i = SkipWhitespace(s, i);
            if ((uint)i >= (uint)s.Length)
            {
                return false;
            }

            if (s[i] == (byte)',')
            {
                i = SkipWhitespace(s, i + 1);
                continue;
            }

            if (s[i] != (byte)'}')
            {
                return false;
            }

            break;
        }

        // One value per text: only whitespace may follow the root object.
        if (SkipWhitespace(s, i + 1) != s.Length || (seen & Field.MsgType) == 0)
        {
            return false;
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

    // At the payload's '{': reads its top-level strategy_id (a positive integer or null), skips the rest.
    private static int ScanPayload(ReadOnlySpan<byte> s, int i, int maxDepth, out bool hasStrategyId, out long strategyId)
    {
        hasStrategyId = false;
        strategyId = 0;
        if (maxDepth < 2)
        {
            return -1;
        }

        bool seenStrategyId = false;
        i = SkipWhitespace(s, i + 1);
        if ((uint)i < (uint)s.Length && s[i] == (byte)'}')
        {
            return i + 1;
        }

        while (true)
        {
            if ((uint)i >= (uint)s.Length || s[i] != (byte)'"')
            {
                return -1;
            }

            int nameEnd = SkipPlainStringBytes(s, i + 1);
            if ((uint)nameEnd >= (uint)s.Length || s[nameEnd] != (byte)'"')
            {
                return -1; // an escaped name might spell strategy_id
            }

            bool isStrategyId = s[(i + 1)..nameEnd].SequenceEqual(ProtocolNames.StrategyId);
            i = SkipWhitespace(s, nameEnd + 1);
            if ((uint)i >= (uint)s.Length || s[i] != (byte)':')
            {
                return -1;
            }

            i = SkipWhitespace(s, i + 1);
            if ((uint)i >= (uint)s.Length)
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

                i = ScanOptionalInteger(s, i, out hasStrategyId, out strategyId);
                if (hasStrategyId && strategyId == 0)
                {
                    return -1;
                }

                seenStrategyId = true;
            }
            else
            {
                i = SkipValue(s, i, 3, maxDepth);
            }

            if (i < 0)
            {
                return -1;
            }

            i = SkipWhitespace(s, i);
            if ((uint)i >= (uint)s.Length)
            {
                return -1;
            }

            if (s[i] == (byte)',')
            {
                i = SkipWhitespace(s, i + 1);
                continue;
            }

            return s[i] == (byte)'}' ? i + 1 : -1;
        }
    }

    // At the first byte of any value. level = the nesting level a container starting here has.
    private static int SkipValue(ReadOnlySpan<byte> s, int i, int level, int maxDepth) => s[i] switch
    {
        (byte)'"' => SkipString(s, i),
        (byte)'{' or (byte)'[' => SkipContainer(s, i, level, maxDepth),
        (byte)'t' => SkipLiteral(s, i, "true"u8),
        (byte)'f' => SkipLiteral(s, i, "false"u8),
        (byte)'n' => SkipLiteral(s, i, "null"u8),
        _ => SkipNumber(s, i),
    };

    /*
     * Container walk, one loop for any nesting: a bit per open container (1 = object) says what
     * may come next. States, with whitespace allowed between all of them:
     *   open      '{' or '[' pushed           → close if empty, else element
     *   element   object: "name" ':' value    (a container value → open)
     *             array:  value
     *   after     ',' → element  |  the matching '}' / ']' → close
     *   close     pop; stack empty → done, else → after
     */
    private static int SkipContainer(ReadOnlySpan<byte> s, int p, int level, int maxDepth)
    {
        ulong objects = 0; // bit 0 = the innermost container
        int depth = 0;

        Open:
        if (depth == FastPathMaxNesting || level + depth > maxDepth)
        {
            return -1;
        }

        bool isObject = s[p] == (byte)'{';
        objects = (objects << 1) | (isObject ? 1UL : 0UL);
        depth++;
        p = SkipWhitespace(s, p + 1);
        if ((uint)p >= (uint)s.Length)
        {
            return -1;
        }

        if (s[p] == (isObject ? (byte)'}' : (byte)']'))
        {
            goto Close;
        }

        Element:
        if (isObject)
        {
            if (s[p] != (byte)'"' || (p = SkipString(s, p)) < 0)
            {
                return -1;
            }

            p = SkipWhitespace(s, p);
            if ((uint)p >= (uint)s.Length || s[p] != (byte)':')
            {
                return -1;
            }

            p = SkipWhitespace(s, p + 1);
            if ((uint)p >= (uint)s.Length)
            {
                return -1;
            }
        }

        switch (s[p])
        {
            case (byte)'{' or (byte)'[':
                goto Open;
            case (byte)'"':
                p = SkipString(s, p);
                break;
            case (byte)'t':
                p = SkipLiteral(s, p, "true"u8);
                break;
            case (byte)'f':
                p = SkipLiteral(s, p, "false"u8);
                break;
            case (byte)'n':
                p = SkipLiteral(s, p, "null"u8);
                break;
            default:
                p = SkipNumber(s, p);
                break;
        }

        if (p < 0)
        {
            return -1;
        }

        After:
        p = SkipWhitespace(s, p);
        if ((uint)p >= (uint)s.Length)
        {
            return -1;
        }

        if (s[p] == (byte)',')
        {
            p = SkipWhitespace(s, p + 1);
            if ((uint)p >= (uint)s.Length)
            {
                return -1;
            }

            goto Element;
        }

        if (s[p] != (isObject ? (byte)'}' : (byte)']'))
        {
            return -1;
        }

        Close:
        p++;
        depth--;
        objects >>= 1;
        if (depth == 0)
        {
            return p;
        }

        isObject = (objects & 1) != 0;
        goto After;
    }

    // At the opening quote; returns the position past the closing one. Escapes are checked (\uXXXX needs four hex digits).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipString(ReadOnlySpan<byte> s, int i)
    {
        int p = SkipPlainStringBytes(s, i + 1);
        return (uint)p < (uint)s.Length && s[p] == (byte)'"' ? p + 1 : SkipEscapedString(s, p);
    }

    // The index of the first byte at or after p that is '"', '\' or a control character (or s.Length):
    // 16 bytes per step, one compare per class, so most names and values take a single step.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipPlainStringBytes(ReadOnlySpan<byte> s, int p)
    {
        if (Vector128.IsHardwareAccelerated)
        {
            ref byte start = ref MemoryMarshal.GetReference(s);
            while (p <= s.Length - Vector128<byte>.Count)
            {
                Vector128<byte> block = Vector128.LoadUnsafe(ref start, (nuint)p);
                Vector128<byte> stop = Vector128.Equals(block, Vector128.Create((byte)'"'))
                    | Vector128.Equals(block, Vector128.Create((byte)'\\'))
                    | Vector128.LessThan(block, Vector128.Create((byte)' '));
                uint mask = stop.ExtractMostSignificantBits();
                if (mask != 0)
                {
                    return p + BitOperations.TrailingZeroCount(mask);
                }

                p += Vector128<byte>.Count;
            }
        }

        // The tail (under 16 bytes): control characters must be escaped, so anything from 0x20 up but '"' and '\' is plain.
        while ((uint)p < (uint)s.Length && s[p] >= (byte)' ' && s[p] != (byte)'"' && s[p] != (byte)'\\')
        {
            p++;
        }

        return p;
    }

    // From the first byte the plain skip stopped at, to past the closing quote; -1 if the string is not valid JSON.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int SkipEscapedString(ReadOnlySpan<byte> s, int p)
    {
        while ((uint)p < (uint)s.Length)
        {
            byte c = s[p];
            if (c == (byte)'"')
            {
                return p + 1;
            }

            if (c != (byte)'\\' || (uint)(p + 1) >= (uint)s.Length)
            {
                return -1; // an unescaped control character, or a '\' at the very end
            }

            switch (s[p + 1])
            {
                case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    p += 2;
                    break;
                case (byte)'u':
                    if (p + 6 > s.Length || !IsHex(s[p + 2]) || !IsHex(s[p + 3]) || !IsHex(s[p + 4]) || !IsHex(s[p + 5]))
                    {
                        return -1;
                    }

                    p += 6;
                    break;
                default:
                    return -1;
            }

            p = SkipPlainStringBytes(s, p);
        }

        return -1;
    }

    private static bool IsHex(byte c) => char.IsAsciiHexDigit((char)c);

    // At a string value or null: the raw range between the quotes (absent for null).
    private static int ScanOptionalString(ReadOnlySpan<byte> s, int i, out ValueRange range)
    {
        if (s[i] == (byte)'"')
        {
            return ScanString(s, i, out range);
        }

        range = default;
        return SkipLiteral(s, i, "null"u8);
    }

    // At the opening quote: the raw range between the quotes, and whether it holds an escape.
    private static int ScanString(ReadOnlySpan<byte> s, int i, out ValueRange range)
    {
        int start = i + 1;
        int p = SkipPlainStringBytes(s, start);
        bool escaped = false;
        if ((uint)p >= (uint)s.Length || s[p] != (byte)'"')
        {
            escaped = true;
            p = SkipEscapedString(s, p);
            if (p < 0)
            {
                range = default;
                return -1;
            }

            p--; // back onto the closing quote
        }

        range = new ValueRange(start, p - start, escaped);
        return p + 1;
    }

    // At a value that must be a non-negative integer that fits a long (no sign, fraction or exponent), or null.
    private static int ScanOptionalInteger(ReadOnlySpan<byte> s, int i, out bool present, out long value)
    {
        value = 0;
        present = false;
        if (s[i] == (byte)'n')
        {
            return SkipLiteral(s, i, "null"u8);
        }

        int p = i;
        int end = Math.Min(s.Length, i + FastPathMaxDigits + 1);
        ulong number = 0;
        uint digit;
        while (p < end && (digit = (uint)(s[p] - '0')) <= 9)
        {
            number = (number * 10) + digit;
            p++;
        }

        int digits = p - i;
        if (digits == 0 || digits > FastPathMaxDigits || number > long.MaxValue || (digits > 1 && s[i] == (byte)'0'))
        {
            return -1;
        }

        // A fraction or exponent: still a number, but not one these fields take here.
        if ((uint)p < (uint)s.Length && s[p] is (byte)'.' or (byte)'e' or (byte)'E')
        {
            return -1;
        }

        value = (long)number;
        present = true;
        return p;
    }

    // RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?; the caller checks what follows.
    private static int SkipNumber(ReadOnlySpan<byte> s, int p)
    {
        if (s[p] == (byte)'-')
        {
            p++;
        }

        if ((uint)p >= (uint)s.Length)
        {
            return -1;
        }

        if (s[p] == (byte)'0')
        {
            p++;
        }
        else if ((p = SkipDigits(s, p)) < 0)
        {
            return -1;
        }

        if ((uint)p < (uint)s.Length && s[p] == (byte)'.' && (p = SkipDigits(s, p + 1)) < 0)
        {
            return -1;
        }

        if ((uint)p < (uint)s.Length && (s[p] | 0x20) == (byte)'e')
        {
            p++;
            if ((uint)p < (uint)s.Length && s[p] is (byte)'+' or (byte)'-')
            {
                p++;
            }

            p = SkipDigits(s, p);
        }

        return p;
    }

    // One or more digits; -1 if there is none.
    private static int SkipDigits(ReadOnlySpan<byte> s, int p)
    {
        int start = p;
        while ((uint)p < (uint)s.Length && (uint)(s[p] - '0') <= 9)
        {
            p++;
        }

        return p > start ? p : -1;
    }

    private static int SkipLiteral(ReadOnlySpan<byte> s, int i, ReadOnlySpan<byte> literal) =>
        s[i..].StartsWith(literal) ? i + literal.Length : -1;

    // RFC 8259 §2: space, tab, line feed, carriage return.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipWhitespace(ReadOnlySpan<byte> s, int i)
    {
        while ((uint)i < (uint)s.Length && s[i] <= (byte)' ' && s[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            i++;
        }

        return i;
    }
}
