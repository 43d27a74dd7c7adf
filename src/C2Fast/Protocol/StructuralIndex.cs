using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace C2Fast.Protocol;

/// <summary>
/// Stage one of the envelope fast path: classifies a message 64 bytes at a time with vector
/// compares and writes the offset of every JSON token — each structural character and quote
/// outside strings, each closing quote, the first byte of each number or literal — into a
/// token buffer, validating strings on the way.
/// </summary>
/// <remarks>
/// <para>
/// Per 64-byte word, in bit masks: quotes, backslashes, control characters, whitespace and
/// <c>{}[]:,</c>. A byte after an odd run of backslashes is escaped; the other quotes open and
/// close strings, so a prefix XOR of them (a carry-less multiply) marks the bytes inside strings.
/// Checked here: no control character inside a string, no backslash outside one, every escape
/// one of <c>\" \\ \/ \b \f \n \r \t \uXXXX</c>, and the root's closing brace (<c>end</c>, the
/// last byte that is not whitespace) outside any string. Everything else (the grammar, numbers,
/// literals, depth) is the walker's.
/// </para>
/// <para>
/// The walker then reads token offsets from the buffer instead of finding each token from the
/// end of the previous one, so no load sits on a dependency chain from token to token and the
/// indexing itself is branch-free except for escapes. Because the inside of a string holds no
/// tokens, the token after an opening quote is always its closing quote.
/// </para>
/// <para>
/// The whole message is indexed before the walk starts, so the walk's loops make no call per
/// token and keep their state in registers. Loads stay inside the buffer: the word holding
/// <c>end</c> is loaded from the buffer's last 64 bytes and shifted, which needs a buffer of at
/// least 64 bytes (shorter messages are scanned from a padded copy), and no token past
/// <c>end</c> is kept.
/// </para>
/// </remarks>
internal static class StructuralIndex
{
    /// <summary>Bytes per mask word.</summary>
    public const int WordBytes = 64;

    // Room after the last token: the unrolled writes run over by up to 8, then the sentinels.
    private const int Slack = 16;
    private const int Sentinels = 8;

    /// <summary>The token buffer a message whose root ends at <paramref name="end"/> needs: a token per byte at most, and the slack.</summary>
    /// <param name="end">The offset of the root object's closing brace.</param>
    /// <returns>A number of elements.</returns>
    public static int Capacity(nint end) => (int)(end + 1 + Slack + Sentinels);

    /// <summary>Writes the offset of every token up to <paramref name="end"/> into <paramref name="tokens"/>, then sentinels.</summary>
    /// <param name="buffer">The first byte of the message.</param>
    /// <param name="bufferLength">Bytes readable from <paramref name="buffer"/>; at least <see cref="WordBytes"/>.</param>
    /// <param name="end">The offset of the last byte that is not whitespace, which must be <c>}</c>.</param>
    /// <param name="tokens">The token buffer: <see cref="Capacity"/>(<paramref name="end"/>) elements.</param>
    /// <param name="firstBackslash">The offset of the first backslash; <see cref="nint.MaxValue"/> when none (a string that ends before it has no escapes).</param>
    /// <returns>The number of tokens, or -1 when the bytes are not valid JSON.</returns>
    /// <remarks>
    /// The sentinels after the last token all point at <paramref name="end"/>. In a message
    /// the walker accepts, the token at <paramref name="end"/> is the root's <c>}</c> and
    /// nothing is read after it; in any other, a walker that runs past the last token reads a
    /// <c>}</c> at <paramref name="end"/>, which only closes the root, and declines there. So
    /// the walker needs no count check per token.
    /// </remarks>
    public static int Build(ref byte buffer, nint bufferLength, nint end, Span<uint> tokens, out nint firstBackslash)
    {
        ref uint token = ref MemoryMarshal.GetReference(tokens);
        firstBackslash = nint.MaxValue;
        int count = 0;
        ulong inString = 0, escapedCarry = 0, scalarCarry = 0;
        for (nint at = 0; at <= end; at += WordBytes)
        {
            ulong quotes, backslashes, controls, whitespace, operators;
            if (at <= bufferLength - WordBytes)
            {
                Classify(ref Unsafe.Add(ref buffer, at), out quotes, out backslashes, out controls, out whitespace, out operators);
            }
            else
            {
                // The buffer's last 64 bytes, shifted down to at: the vacated top bits (past the buffer, so past end) are all zero.
                int shift = (int)(at - (bufferLength - WordBytes));
                Classify(ref Unsafe.Add(ref buffer, bufferLength - WordBytes), out quotes, out backslashes, out controls, out whitespace, out operators);
                quotes >>= shift;
                backslashes >>= shift;
                controls >>= shift;
                whitespace >>= shift;
                operators >>= shift;
            }

            ulong escaped = 0;
            if ((backslashes | escapedCarry) != 0)
            {
                if (backslashes != 0 && firstBackslash == nint.MaxValue)
                {
                    firstBackslash = at + BitOperations.TrailingZeroCount(backslashes);
                }

                escaped = Escaped(backslashes, ref escapedCarry);
            }

            // Quotes that are not escaped open and close strings: bit k of inside is 1 from an opening quote up to (not including) its closing one.
            ulong real = quotes & ~escaped;
            ulong inside = PrefixXor(real) ^ inString;
            inString = (ulong)((long)inside >> 63);

            // RFC 8259 §7: control characters must be escaped; a backslash only starts an escape inside a string.
            if (((controls & inside) | (backslashes & ~inside)) != 0 || (escaped != 0 && !ValidEscapes(ref buffer, end, at, escaped)))
            {
                return -1;
            }

            ulong scalar = ~(inside | real | operators | whitespace);
            ulong starts = scalar & ~((scalar << 1) | scalarCarry);
            scalarCarry = scalar >> 63;
            ulong found = (operators & ~inside) | real | starts;
            if (at > end - WordBytes)
            {
                // The word holding end: the root's '}' must be outside any string, and nothing after it is a token.
                int last = (int)(end - at);
                if (((inside >> last) & 1) != 0)
                {
                    return -1;
                }

                found &= ulong.MaxValue >> (63 - last);
            }

            count = Flatten(ref token, count, (uint)at, found);
        }

        for (int k = 0; k < Sentinels; k++)
        {
            Unsafe.Add(ref token, count + k) = (uint)end;
        }

        return count;
    }

    // The escaped bytes of a word: each one after an odd run of backslashes (bit 0 when carry says the word starts escaped).
    private static ulong Escaped(ulong backslashes, ref ulong carry)
    {
        ulong escaped = carry;
        ulong escapers = backslashes & ~carry; // an escaped backslash escapes nothing
        carry = 0;
        while (escapers != 0)
        {
            int k = BitOperations.TrailingZeroCount(escapers);
            if (k == WordBytes - 1)
            {
                carry = 1;
                break;
            }

            escaped |= 2UL << k;
            escapers &= ~(3UL << k);
        }

        return escaped;
    }

    // RFC 8259 §7: the byte after a backslash is one of " \ / b f n r t, or u and four hex digits (inside the string, so before end).
    private static bool ValidEscapes(ref byte buffer, nint end, nint at, ulong escaped)
    {
        while (escaped != 0)
        {
            nint p = at + BitOperations.TrailingZeroCount(escaped);
            escaped &= escaped - 1;
            switch (Unsafe.Add(ref buffer, p))
            {
                case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    break;
                case (byte)'u':
                    if (p + 4 >= end
                        || !char.IsAsciiHexDigit((char)Unsafe.Add(ref buffer, p + 1)) || !char.IsAsciiHexDigit((char)Unsafe.Add(ref buffer, p + 2))
                        || !char.IsAsciiHexDigit((char)Unsafe.Add(ref buffer, p + 3)) || !char.IsAsciiHexDigit((char)Unsafe.Add(ref buffer, p + 4)))
                    {
                        return false;
                    }

                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    // Bit k = XOR of bits 0..k: a carry-less multiply by all ones where the CPU has one.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong PrefixXor(ulong x)
    {
        if (Pclmulqdq.IsSupported)
        {
            return Pclmulqdq.CarrylessMultiply(Vector128.CreateScalar(x), Vector128.Create(ulong.MaxValue), 0).ToScalar();
        }

        x ^= x << 1;
        x ^= x << 2;
        x ^= x << 4;
        x ^= x << 8;
        x ^= x << 16;
        x ^= x << 32;
        return x;
    }

    // Writes at + the index of each set bit, eight at a time without a branch per token (tokens is sized for the overrun).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Flatten(ref uint tokens, int count, uint at, ulong found)
    {
        int total = count + BitOperations.PopCount(found);
        ref uint next = ref Unsafe.Add(ref tokens, count);
        Put8(ref next, at, ref found);
        if (total - count > 8)
        {
            Put8(ref Unsafe.Add(ref next, 8), at, ref found);
            for (int k = 16; found != 0; k++)
            {
                Unsafe.Add(ref next, k) = at + (uint)BitOperations.TrailingZeroCount(found);
                found &= found - 1;
            }
        }

        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put8(ref uint next, uint at, ref ulong found)
    {
        ulong f = found;
        next = at + (uint)BitOperations.TrailingZeroCount(f);
        f &= f - 1;
        Unsafe.Add(ref next, 1) = at + (uint)BitOperations.TrailingZeroCount(f);
        f &= f - 1;
        Unsafe.Add(ref next, 2) = at + (uint)BitOperations.TrailingZeroCount(f);
        f &= f - 1;
        Unsafe.Add(ref next, 3) = at + (uint)BitOperations.TrailingZeroCount(f);
        f &= f - 1;
        Unsafe.Add(ref next, 4) = at + (uint)BitOperations.TrailingZeroCount(f);
        f &= f - 1;
        Unsafe.Add(ref next, 5) = at + (uint)BitOperations.TrailingZeroCount(f);
        f &= f - 1;
        Unsafe.Add(ref next, 6) = at + (uint)BitOperations.TrailingZeroCount(f);
        f &= f - 1;
        Unsafe.Add(ref next, 7) = at + (uint)BitOperations.TrailingZeroCount(f);
        found = f & (f - 1);
    }

    // The class masks of the 64 bytes at source.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Classify(ref byte source, out ulong quotes, out ulong backslashes, out ulong controls, out ulong whitespace, out ulong operators)
    {
        if (Vector256.IsHardwareAccelerated)
        {
            Classes low = Classify(Vector256.LoadUnsafe(ref source));
            Classes high = Classify(Vector256.LoadUnsafe(ref source, 32));
            quotes = low.Quotes | ((ulong)high.Quotes << 32);
            backslashes = low.Backslashes | ((ulong)high.Backslashes << 32);
            controls = low.Controls | ((ulong)high.Controls << 32);
            whitespace = low.Whitespace | ((ulong)high.Whitespace << 32);
            operators = low.Operators | ((ulong)high.Operators << 32);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            quotes = backslashes = controls = whitespace = operators = 0;
            for (int i = 0; i < WordBytes; i += 16)
            {
                Classes part = Classify(Vector128.LoadUnsafe(ref source, (nuint)i));
                quotes |= (ulong)part.Quotes << i;
                backslashes |= (ulong)part.Backslashes << i;
                controls |= (ulong)part.Controls << i;
                whitespace |= (ulong)part.Whitespace << i;
                operators |= (ulong)part.Operators << i;
            }
        }
        else
        {
            quotes = backslashes = controls = whitespace = operators = 0;
            for (int i = 0; i < WordBytes; i++)
            {
                uint c = Unsafe.Add(ref source, i);
                ulong bit = 1UL << i;
                quotes |= c == '"' ? bit : 0;
                backslashes |= c == '\\' ? bit : 0;
                controls |= c < ' ' ? bit : 0;
                whitespace |= c is ' ' or '\t' or '\n' or '\r' ? bit : 0;
                operators |= c is '{' or '}' or '[' or ']' or ':' or ',' ? bit : 0;
            }
        }
    }

    // '[' | 0x20 is '{' and ']' | 0x20 is '}': one compare covers both brackets (no other byte maps onto either).
    private static Classes Classify(Vector256<byte> v)
    {
        Vector256<byte> folded = v | Vector256.Create((byte)0x20);
        return new Classes(
            Vector256.Equals(v, Vector256.Create((byte)'"')).ExtractMostSignificantBits(),
            Vector256.Equals(v, Vector256.Create((byte)'\\')).ExtractMostSignificantBits(),
            Vector256.LessThan(v, Vector256.Create((byte)' ')).ExtractMostSignificantBits(),
            (Vector256.Equals(v, Vector256.Create((byte)' ')) | Vector256.Equals(v, Vector256.Create((byte)'\t'))
                | Vector256.Equals(v, Vector256.Create((byte)'\n')) | Vector256.Equals(v, Vector256.Create((byte)'\r'))).ExtractMostSignificantBits(),
            (Vector256.Equals(folded, Vector256.Create((byte)'{')) | Vector256.Equals(folded, Vector256.Create((byte)'}'))
                | Vector256.Equals(v, Vector256.Create((byte)':')) | Vector256.Equals(v, Vector256.Create((byte)','))).ExtractMostSignificantBits());
    }

    private static Classes Classify(Vector128<byte> v)
    {
        Vector128<byte> folded = v | Vector128.Create((byte)0x20);
        return new Classes(
            Vector128.Equals(v, Vector128.Create((byte)'"')).ExtractMostSignificantBits(),
            Vector128.Equals(v, Vector128.Create((byte)'\\')).ExtractMostSignificantBits(),
            Vector128.LessThan(v, Vector128.Create((byte)' ')).ExtractMostSignificantBits(),
            (Vector128.Equals(v, Vector128.Create((byte)' ')) | Vector128.Equals(v, Vector128.Create((byte)'\t'))
                | Vector128.Equals(v, Vector128.Create((byte)'\n')) | Vector128.Equals(v, Vector128.Create((byte)'\r'))).ExtractMostSignificantBits(),
            (Vector128.Equals(folded, Vector128.Create((byte)'{')) | Vector128.Equals(folded, Vector128.Create((byte)'}'))
                | Vector128.Equals(v, Vector128.Create((byte)':')) | Vector128.Equals(v, Vector128.Create((byte)','))).ExtractMostSignificantBits());
    }

    private readonly record struct Classes(uint Quotes, uint Backslashes, uint Controls, uint Whitespace, uint Operators);
}
