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
        s.Length >= ScanWindow.Size
            ? Scan(ref MemoryMarshal.GetReference(s), s.Length, s.Length, maxDepth, out envelope)
            : ScanPadded(s, maxDepth, out envelope);

    // A window load reads 64 bytes, so a shorter message is scanned from a copy padded to 64 (offsets are unchanged).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool ScanPadded(ReadOnlySpan<byte> s, int maxDepth, out Envelope envelope)
    {
        var padded = default(PaddedMessage);
        Span<byte> copy = padded;
        s.CopyTo(copy);
        return Scan(ref MemoryMarshal.GetReference(copy), ScanWindow.Size, s.Length, maxDepth, out envelope);
    }

    /*
     * One loop over the whole message, root object included, with a bit per open container
     * (1 = object) saying what may come next. Whitespace is allowed between all of them.
     *   Member    object: "name" ':' → at the root, a known name → RootMember; directly in the
     *             payload object, strategy_id → StrategyId; anything else → Value
     *   Value     string / literal / number → After;  '{' or '[' → Open
     *   Open      push; empty → Close, else object → Member, array → Value
     *   After     ',' → Member or Value;  the matching '}' / ']' → Close
     *   Close     pop; the root → Done, else → After
     *
     * Bounds: the last non-whitespace byte (end) must be the root's '}'. A single-byte step
     * reads at p <= end and moves past a byte that is not '}', so the next read is in bounds
     * too; the only '}' that can be at end is the root's, and Close checks that. Whitespace
     * and digit runs stop at that '}'; the window marks everything from end on as the end of
     * any string or digit run; literals and \u escapes check their length against end.
     */
    private static bool Scan(ref byte b, nint bufferLength, nint length, int maxDepth, out Envelope envelope)
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

        nint p = SkipWhitespace(ref b, 0);
        if (Unsafe.Add(ref b, p) != '{')
        {
            return false;
        }

        var window = new ScanWindow(ref b, bufferLength, end);
        var seen = Field.None;
        var type = MessageType.Unknown;
        ValueRange msgType = default, id = default, requestId = default, timestamp = default, payload = default;
        long seqId = 0, strategyId = 0, version = 0;
        bool hasSeqId = false, hasVersion = false, hasStrategyId = false, seenStrategyId = false;
        nint payloadStart = -1; // the payload object's '{' while it is open
        ulong objects = 1;
        int depth = 1;
        nint q, nameStart;
        uint c;

        // The root cannot be empty (it needs a msg_type), so a member follows.
        c = Unsafe.Add(ref b, ++p);
        if (c <= ' ')
        {
            p = SkipWhitespace(ref b, p);
            c = Unsafe.Add(ref b, p);
        }

    Member:
        if (c != '"')
        {
            return false;
        }

        nameStart = p + 1;
        q = window.NextStringStop(nameStart);
        if (q >= end)
        {
            return false;
        }

        if (Unsafe.Add(ref b, q) != '"')
        {
            // An escaped name might spell a field this scanner matches: only names it does not match are skipped.
            if (depth == 1 || (depth == 2 && payloadStart >= 0) || (q = SkipEscapes(ref b, ref window, end, q)) < 0)
            {
                return false;
            }
        }

        p = q + 1;
        c = Unsafe.Add(ref b, p);
        if (c <= ' ')
        {
            p = SkipWhitespace(ref b, p);
            c = Unsafe.Add(ref b, p);
        }

        if (c != ':')
        {
            return false;
        }

        c = Unsafe.Add(ref b, ++p);
        if (c <= ' ')
        {
            p = SkipWhitespace(ref b, p);
            c = Unsafe.Add(ref b, p);
        }

        if (depth <= 2)
        {
            if (depth == 1)
            {
                goto RootMember;
            }

            if (payloadStart >= 0 && IsStrategyIdName(ref b, nameStart, q - nameStart))
            {
                goto StrategyId;
            }
        }

    Value:
        switch (c)
        {
            case '"':
                q = window.NextStringStop(p + 1);
                if (q >= end || (Unsafe.Add(ref b, q) != '"' && (q = SkipEscapes(ref b, ref window, end, q)) < 0))
                {
                    return false;
                }

                p = q + 1;
                goto After;
            case '{' or '[':
                goto Open;
            case 't':
                if (p + 4 > end || ReadAscii4(ref b, p) != TrueWord)
                {
                    return false;
                }

                p += 4;
                goto After;
            case 'f':
                if (p + 5 > end || ReadAscii4(ref b, p + 1) != AlseWord)
                {
                    return false;
                }

                p += 5;
                goto After;
            case 'n':
                if ((p = SkipNull(ref b, end, p)) < 0)
                {
                    return false;
                }

                goto After;
            default:
                if ((p = SkipNumber(ref b, ref window, p, c)) < 0)
                {
                    return false;
                }

                goto After;
        }

    Open:
        if (depth >= maxDepth || depth == FastPathMaxNesting)
        {
            return false;
        }

        depth++;
        bool isObject = c == '{';
        objects = (objects << 1) | (isObject ? 1UL : 0UL);
        c = Unsafe.Add(ref b, ++p);
        if (c <= ' ')
        {
            p = SkipWhitespace(ref b, p);
            c = Unsafe.Add(ref b, p);
        }

        if (c != (isObject ? '}' : ']'))
        {
            if (isObject)
            {
                goto Member;
            }

            goto Value;
        }

        goto Close;

    After:
        c = Unsafe.Add(ref b, p);
        if (c <= ' ')
        {
            p = SkipWhitespace(ref b, p);
            c = Unsafe.Add(ref b, p);
        }

        if (c == ',')
        {
            c = Unsafe.Add(ref b, ++p);
            if (c <= ' ')
            {
                p = SkipWhitespace(ref b, p);
                c = Unsafe.Add(ref b, p);
            }

            if ((objects & 1) != 0)
            {
                goto Member;
            }

            goto Value;
        }

        if (c != ((objects & 1) != 0 ? '}' : ']'))
        {
            return false;
        }

    Close:
        if (depth == 1)
        {
            goto Done;
        }

        if (p == end)
        {
            return false; // a nested '}' as the last byte: the root is still open
        }

        if (depth == 2 && payloadStart >= 0)
        {
            payload = new ValueRange((int)payloadStart, (int)(p + 1 - payloadStart));
            payloadStart = -1;
        }

        objects >>= 1;
        depth--;
        p++;
        goto After;

    RootMember:
        Field field = MatchFieldName(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref b, nameStart), (int)(q - nameStart)));
        if (field == Field.None)
        {
            goto Value;
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
                if (c != '"' || (q = window.NextStringStop(p + 1)) >= end || Unsafe.Add(ref b, q) != '"')
                {
                    return false;
                }

                msgType = new ValueRange((int)(p + 1), (int)(q - p - 1));
                type = MatchTypeName(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref b, p + 1), (int)(q - p - 1)));
                p = q + 1;
                break;
            case Field.Id:
                p = ScanOptionalString(ref b, ref window, end, p, c, out id);
                break;
            case Field.RequestId:
                p = ScanOptionalString(ref b, ref window, end, p, c, out requestId);
                break;
            case Field.Timestamp:
                p = ScanOptionalString(ref b, ref window, end, p, c, out timestamp);
                break;
            case Field.SeqId:
                p = ScanOptionalInteger(ref b, ref window, end, p, c, out hasSeqId, out seqId);
                break;
            case Field.Version:
                p = ScanOptionalInteger(ref b, ref window, end, p, c, out hasVersion, out version);
                if (version > int.MaxValue)
                {
                    return false;
                }

                break;
            default:
                if (c == '{')
                {
                    payloadStart = p;
                    goto Open;
                }

                p = SkipNull(ref b, end, p); // a non-object payload: the reader path judges it
                break;
        }

        if (p < 0)
        {
            return false;
        }

        goto After;

    StrategyId:
        // A second strategy_id, or one that is not a positive integer or null: the reader path decides.
        if (seenStrategyId)
        {
            return false;
        }

        seenStrategyId = true;
        p = ScanOptionalInteger(ref b, ref window, end, p, c, out hasStrategyId, out strategyId);
        if (p < 0 || (hasStrategyId && strategyId == 0))
        {
            return false;
        }

        goto After;

    Done:
        if (p != end || (seen & Field.MsgType) == 0)
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

    // At a string value (c is '"') or null: the raw range between the quotes (absent for null), and whether it holds an escape.
    private static nint ScanOptionalString(ref byte b, ref ScanWindow window, nint end, nint p, uint c, out ValueRange range)
    {
        range = default;
        if (c != '"')
        {
            return SkipNull(ref b, end, p);
        }

        nint start = p + 1;
        nint q = window.NextStringStop(start);
        if (q >= end)
        {
            return -1;
        }

        bool escaped = Unsafe.Add(ref b, q) != '"';
        if (escaped && (q = SkipEscapes(ref b, ref window, end, q)) < 0)
        {
            return -1;
        }

        range = new ValueRange((int)start, (int)(q - start), escaped);
        return q + 1;
    }

    // At a value that must be a non-negative integer that fits a long (no sign, fraction or exponent), or null.
    private static nint ScanOptionalInteger(ref byte b, ref ScanWindow window, nint end, nint p, uint c, out bool present, out long value)
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

        nint q = window.NextNonDigit(p + 1);
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
    private static nint SkipNumber(ref byte b, ref ScanWindow window, nint p, uint c)
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
            p = window.NextNonDigit(p + 1);
        }
        else
        {
            return -1;
        }

        c = Unsafe.Add(ref b, p);
        if (c == '.')
        {
            nint fraction = p + 1;
            p = window.NextNonDigit(fraction);
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
            p = window.NextNonDigit(exponent);
            if (p == exponent)
            {
                return -1;
            }
        }

        return p;
    }

    // From a '\' or control character inside a string to its closing quote; -1 if the string is not valid JSON.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nint SkipEscapes(ref byte b, ref ScanWindow window, nint end, nint p)
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

            p = window.NextStringStop(p);
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
    private static nint SkipWhitespace(ref byte b, nint p)
    {
        while (IsWhitespace(Unsafe.Add(ref b, p)))
        {
            p++;
        }

        return p;
    }

    [InlineArray(ScanWindow.Size)]
    private struct PaddedMessage
    {
        private byte _first;
    }
}
