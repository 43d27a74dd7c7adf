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
/// literals, whitespace) but building no tokens: strings are skipped with a byte-class table,
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

    // 1 = a byte that may appear unescaped inside a JSON string and needs no attention:
    // everything from 0x20 up except '"' (0x22) and '\' (0x5C). Control characters must be escaped.
    private static ReadOnlySpan<byte> PlainStringByte =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x00
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x10
        1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x20  '"'
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x30
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x40
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, // 0x50  '\'
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x60
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x70
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x80
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x90
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0xA0
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0xB0
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0xC0
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0xD0
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0xE0
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0xF0
    ];

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

    /// <summary>The <see cref="Utf8JsonReader"/> path alone (for tests and benchmarks); the authority on every error.</summary>
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

    /// <summary>The <see cref="Utf8JsonReader"/> path alone for multi-segment input (for tests and benchmarks).</summary>
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
        long seqId = 0, strategyId = 0;
        long version = 0;
        bool hasSeqId = false, hasVersion = false, hasStrategyId = false;

        while (true)
        {
            // "name"
            if ((uint)i >= (uint)s.Length || s[i] != (byte)'"')
            {
                return false; // includes the empty object: no msg_type
            }

            int nameStart = i + 1;
            if (!TrySkipString(s, ref i, out bool nameEscaped) || nameEscaped)
            {
                return false;
            }

            Field field = MatchFieldName(s[nameStart..(i - 1)]);

            // :
            i = SkipWhitespace(s, i);
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
                    if (!TryScanString(s, ref i, out msgType) || msgType.IsEscaped)
                    {
                        return false;
                    }

                    type = MatchTypeName(msgType.Slice(s));
                    break;
                case Field.Id:
                    if (!TryScanOptionalString(s, ref i, out id))
                    {
                        return false;
                    }

                    break;
                case Field.RequestId:
                    if (!TryScanOptionalString(s, ref i, out requestId))
                    {
                        return false;
                    }

                    break;
                case Field.Timestamp:
                    if (!TryScanOptionalString(s, ref i, out timestamp))
                    {
                        return false;
                    }

                    break;
                case Field.SeqId:
                    if (!TryScanOptionalInteger(s, ref i, out hasSeqId, out seqId))
                    {
                        return false;
                    }

                    break;
                case Field.Version:
                    if (!TryScanOptionalInteger(s, ref i, out hasVersion, out version) || version > int.MaxValue)
                    {
                        return false;
                    }

                    break;
                case Field.Payload:
                    if (s[i] == (byte)'{')
                    {
                        int start = i;
                        if (!TryScanPayload(s, ref i, maxDepth, out hasStrategyId, out strategyId))
                        {
                            return false;
                        }

                        payload = new ValueRange(start, i - start);
                    }
                    else if (!TrySkipLiteral(s, ref i, "null"u8))
                    {
                        return false; // a non-object payload: the reader path judges it
                    }

                    break;
                default:
                    if (!TrySkipValue(s, ref i, 2, maxDepth))
                    {
                        return false;
                    }

                    break;
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

    // At the payload's '{': reads its top-level strategy_id (a positive integer or null), skips the rest; ends past its '}'.
    private static bool TryScanPayload(ReadOnlySpan<byte> s, ref int i, int maxDepth, out bool hasStrategyId, out long strategyId)
    {
        hasStrategyId = false;
        strategyId = 0;
        if (maxDepth < 2)
        {
            return false;
        }

        bool seenStrategyId = false;
        i = SkipWhitespace(s, i + 1);
        if ((uint)i < (uint)s.Length && s[i] == (byte)'}')
        {
            i++;
            return true;
        }

        while (true)
        {
            if ((uint)i >= (uint)s.Length || s[i] != (byte)'"')
            {
                return false;
            }

            int nameStart = i + 1;
            if (!TrySkipString(s, ref i, out bool nameEscaped) || nameEscaped)
            {
                return false; // an escaped name might spell strategy_id
            }

            bool isStrategyId = s[nameStart..(i - 1)].SequenceEqual(ProtocolNames.StrategyId);
            i = SkipWhitespace(s, i);
            if ((uint)i >= (uint)s.Length || s[i] != (byte)':')
            {
                return false;
            }

            i = SkipWhitespace(s, i + 1);
            if ((uint)i >= (uint)s.Length)
            {
                return false;
            }

            if (isStrategyId)
            {
                // A second strategy_id, or one that is not a positive integer or null: the reader path decides.
                if (seenStrategyId || !TryScanOptionalInteger(s, ref i, out hasStrategyId, out strategyId) || (hasStrategyId && strategyId == 0))
                {
                    return false;
                }

                seenStrategyId = true;
            }
            else if (!TrySkipValue(s, ref i, 3, maxDepth))
            {
                return false;
            }

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

            i++;
            return true;
        }
    }

    // At the first byte of any value; ends just past it. level = the nesting level a container starting here has.
    private static bool TrySkipValue(ReadOnlySpan<byte> s, ref int i, int level, int maxDepth)
    {
        byte c = s[i];
        return c switch
        {
            (byte)'"' => TrySkipString(s, ref i, out _),
            (byte)'{' or (byte)'[' => TrySkipContainer(s, ref i, level, maxDepth),
            (byte)'t' => TrySkipLiteral(s, ref i, "true"u8),
            (byte)'f' => TrySkipLiteral(s, ref i, "false"u8),
            (byte)'n' => TrySkipLiteral(s, ref i, "null"u8),
            _ => TrySkipNumber(s, ref i),
        };
    }

    /*
     * Container walk, one loop for any nesting: a bit per open container (1 = object) says what
     * may come next. States, with whitespace allowed between all of them:
     *   open      '{' or '[' pushed           → close if empty, else element
     *   element   object: "name" ':' value    (a container value → open)
     *             array:  value
     *   after     ',' → element  |  the matching '}' / ']' → close
     *   close     pop; stack empty → done, else → after
     */
    private static bool TrySkipContainer(ReadOnlySpan<byte> s, ref int i, int level, int maxDepth)
    {
        ulong objects = 0; // bit 0 = the innermost container
        int depth = 0;
        int p = i;

        Open:
        if (depth == FastPathMaxNesting || level + depth > maxDepth)
        {
            return false;
        }

        bool isObject = s[p] == (byte)'{';
        objects = (objects << 1) | (isObject ? 1UL : 0UL);
        depth++;
        p = SkipWhitespace(s, p + 1);
        if ((uint)p >= (uint)s.Length)
        {
            return false;
        }

        if (s[p] == (isObject ? (byte)'}' : (byte)']'))
        {
            goto Close;
        }

        Element:
        if (isObject)
        {
            if (s[p] != (byte)'"' || !TrySkipString(s, ref p, out _))
            {
                return false;
            }

            p = SkipWhitespace(s, p);
            if ((uint)p >= (uint)s.Length || s[p] != (byte)':')
            {
                return false;
            }

            p = SkipWhitespace(s, p + 1);
            if ((uint)p >= (uint)s.Length)
            {
                return false;
            }
        }

        switch (s[p])
        {
            case (byte)'{' or (byte)'[':
                goto Open;
            case (byte)'"':
                if (!TrySkipString(s, ref p, out _))
                {
                    return false;
                }

                break;
            case (byte)'t':
                if (!TrySkipLiteral(s, ref p, "true"u8))
                {
                    return false;
                }

                break;
            case (byte)'f':
                if (!TrySkipLiteral(s, ref p, "false"u8))
                {
                    return false;
                }

                break;
            case (byte)'n':
                if (!TrySkipLiteral(s, ref p, "null"u8))
                {
                    return false;
                }

                break;
            default:
                if (!TrySkipNumber(s, ref p))
                {
                    return false;
                }

                break;
        }

        After:
        p = SkipWhitespace(s, p);
        if ((uint)p >= (uint)s.Length)
        {
            return false;
        }

        if (s[p] == (byte)',')
        {
            p = SkipWhitespace(s, p + 1);
            if ((uint)p >= (uint)s.Length)
            {
                return false;
            }

            goto Element;
        }

        if (s[p] != (isObject ? (byte)'}' : (byte)']'))
        {
            return false;
        }

        Close:
        p++;
        depth--;
        objects >>= 1;
        if (depth == 0)
        {
            i = p;
            return true;
        }

        isObject = (objects & 1) != 0;
        goto After;
    }

    // At the opening quote; ends just past the closing one. Escapes are checked (\uXXXX needs four hex digits).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TrySkipString(ReadOnlySpan<byte> s, ref int i, out bool escaped)
    {
        int p = SkipPlainStringBytes(s, i + 1);
        if ((uint)p < (uint)s.Length && s[p] == (byte)'"')
        {
            i = p + 1;
            escaped = false;
            return true;
        }

        escaped = true;
        return TrySkipEscapedString(s, ref i, p);
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

        ReadOnlySpan<byte> plain = PlainStringByte;
        while ((uint)p < (uint)s.Length && plain[s[p]] != 0)
        {
            p++;
        }

        return p;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TrySkipEscapedString(ReadOnlySpan<byte> s, ref int i, int p)
    {
        ReadOnlySpan<byte> plain = PlainStringByte;
        while ((uint)p < (uint)s.Length)
        {
            byte c = s[p];
            if (plain[c] != 0)
            {
                p++;
            }
            else if (c == (byte)'"')
            {
                i = p + 1;
                return true;
            }
            else if (c == (byte)'\\' && (uint)(p + 1) < (uint)s.Length)
            {
                switch (s[p + 1])
                {
                    case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                        p += 2;
                        break;
                    case (byte)'u':
                        if (p + 6 > s.Length || !IsHex(s[p + 2]) || !IsHex(s[p + 3]) || !IsHex(s[p + 4]) || !IsHex(s[p + 5]))
                        {
                            return false;
                        }

                        p += 6;
                        break;
                    default:
                        return false;
                }
            }
            else
            {
                return false; // an unescaped control character, or a '\' at the very end
            }
        }

        return false;
    }

    private static bool IsHex(byte c) => char.IsAsciiHexDigit((char)c);

    // At a string value or null: the raw range between the quotes (absent for null).
    private static bool TryScanOptionalString(ReadOnlySpan<byte> s, ref int i, out ValueRange range)
    {
        if (s[i] == (byte)'"')
        {
            return TryScanString(s, ref i, out range);
        }

        range = default;
        return TrySkipLiteral(s, ref i, "null"u8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryScanString(ReadOnlySpan<byte> s, ref int i, out ValueRange range)
    {
        int start = i + 1;
        if (s[i] != (byte)'"' || !TrySkipString(s, ref i, out bool escaped))
        {
            range = default;
            return false;
        }

        range = new ValueRange(start, i - 1 - start, escaped);
        return true;
    }

    // At a value that must be a non-negative integer that fits a long (no sign, fraction or exponent), or null; anything else → the reader path.
    private static bool TryScanOptionalInteger(ReadOnlySpan<byte> s, ref int i, out bool present, out long value)
    {
        value = 0;
        present = false;
        if (s[i] == (byte)'n')
        {
            return TrySkipLiteral(s, ref i, "null"u8);
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
            return false;
        }

        // A fraction or exponent: still a number, but not one these fields take here.
        if ((uint)p < (uint)s.Length && s[p] is (byte)'.' or (byte)'e' or (byte)'E')
        {
            return false;
        }

        i = p;
        value = (long)number;
        present = true;
        return true;
    }

    // RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?; the caller checks what follows.
    private static bool TrySkipNumber(ReadOnlySpan<byte> s, ref int i)
    {
        int p = i;
        if (s[p] == (byte)'-')
        {
            p++;
        }

        if ((uint)p >= (uint)s.Length)
        {
            return false;
        }

        if (s[p] == (byte)'0')
        {
            p++;
        }
        else if (!SkipDigits(s, ref p))
        {
            return false;
        }

        if ((uint)p < (uint)s.Length && s[p] == (byte)'.')
        {
            p++;
            if (!SkipDigits(s, ref p))
            {
                return false;
            }
        }

        if ((uint)p < (uint)s.Length && (s[p] | 0x20) == (byte)'e')
        {
            p++;
            if ((uint)p < (uint)s.Length && s[p] is (byte)'+' or (byte)'-')
            {
                p++;
            }

            if (!SkipDigits(s, ref p))
            {
                return false;
            }
        }

        i = p;
        return true;
    }

    // One or more digits.
    private static bool SkipDigits(ReadOnlySpan<byte> s, ref int p)
    {
        int start = p;
        while ((uint)p < (uint)s.Length && char.IsAsciiDigit((char)s[p]))
        {
            p++;
        }

        return p > start;
    }

    private static bool TrySkipLiteral(ReadOnlySpan<byte> s, ref int i, ReadOnlySpan<byte> literal)
    {
        if (!s[i..].StartsWith(literal))
        {
            return false;
        }

        i += literal.Length;
        return true;
    }

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
