using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace C2Fast.Protocol;

/// <summary>
/// The envelope fast path's index of a message: two bits per byte, computed in one vectorized
/// pass, so that finding where a string or a digit run ends is a couple of shifts and a
/// trailing-zero count instead of another load and compare per token.
/// </summary>
/// <remarks>
/// <para>
/// For each 64-byte word of the message (word <c>j</c> covers bytes <c>64j</c> on), a
/// <em>stop</em> mask marks the bytes that end the plain part of a string (<c>"</c>, <c>\</c>,
/// control characters) and a <em>non-digit</em> mask every byte but <c>0</c>–<c>9</c>; the two
/// are interleaved (stop at <c>2j</c>, non-digit at <c>2j + 1</c>). A lookup at <c>p</c> joins
/// the word holding <c>p</c> with the next one, so a run shorter than 64 bytes is found without
/// a branch on where the word boundary falls. A scanner that loads and compares at each token
/// instead puts that load on the dependency chain from one token's position to the next, and
/// one that refills a window as it goes mispredicts a branch at every refill.
/// </para>
/// <para>
/// Every byte from <c>end</c> on (the root object's closing brace and whatever follows it) is
/// marked in both masks, whatever it holds: a string or number still open there is invalid
/// anyway, so a lookup never returns past <c>end</c> and never reads past the last word. Loads
/// stay inside the buffer: the word holding <c>end</c> is loaded from the buffer's last 64 bytes
/// and shifted, which needs a buffer of at least 64 bytes (shorter messages are scanned from a
/// padded copy).
/// </para>
/// </remarks>
internal static class ScanIndex
{
    /// <summary>Bytes per mask word.</summary>
    public const int WordBytes = 64;

    /// <summary>The masks a message needs: a pair per word up to the one holding <paramref name="end"/>, and a pair for the word after it (read by lookups near the end).</summary>
    /// <param name="end">The offset of the root object's closing brace.</param>
    /// <returns>A number of <see cref="ulong"/> elements.</returns>
    public static int Length(nint end) => (int)(2 * ((end / WordBytes) + 2));

    /// <summary>Fills <paramref name="masks"/> for the bytes of <paramref name="buffer"/> up to <paramref name="end"/>.</summary>
    /// <param name="buffer">The first byte of the message.</param>
    /// <param name="bufferLength">Bytes readable from <paramref name="buffer"/>; at least <see cref="WordBytes"/>.</param>
    /// <param name="end">The offset of the root object's closing brace; below <paramref name="bufferLength"/>.</param>
    /// <param name="masks">Receives the masks; <see cref="Length"/>(<paramref name="end"/>) elements.</param>
    public static void Build(ref byte buffer, nint bufferLength, nint end, Span<ulong> masks)
    {
        ref ulong mask = ref MemoryMarshal.GetReference(masks);
        nint words = masks.Length / 2;

        // Words that end before end (so inside the buffer) need neither forced bits nor a shifted load.
        nint whole = end / WordBytes;
        nint j = 0;
        for (; j < whole; j++)
        {
            Classify(ref Unsafe.Add(ref buffer, j * WordBytes), out Unsafe.Add(ref mask, 2 * j), out Unsafe.Add(ref mask, (2 * j) + 1));
        }

        for (; j < words; j++)
        {
            nint at = j * WordBytes;
            ulong stops = ulong.MaxValue, nonDigits = ulong.MaxValue;
            if (at <= end)
            {
                // The buffer's last 64 bytes, shifted down to at: the vacated top bits are past end, like those set here.
                int shift = (int)Math.Max(0, at - (bufferLength - WordBytes));
                Classify(ref Unsafe.Add(ref buffer, at - shift), out stops, out nonDigits);
                ulong pastEnd = ulong.MaxValue << (int)(end - at);
                stops = (stops >> shift) | pastEnd;
                nonDigits = (nonDigits >> shift) | pastEnd;
            }

            Unsafe.Add(ref mask, 2 * j) = stops;
            Unsafe.Add(ref mask, (2 * j) + 1) = nonDigits;
        }
    }

    /// <summary>The first offset at or after <paramref name="p"/> holding <c>"</c>, <c>\</c> or a control character, or <c>end</c> if none comes first.</summary>
    /// <param name="masks">The first element of the masks.</param>
    /// <param name="p">An offset no greater than <c>end</c>.</param>
    /// <returns>An offset in <c>p..end</c>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint NextStringStop(ref ulong masks, nint p) => Next(ref masks, p);

    /// <summary>The first offset at or after <paramref name="p"/> that is not an ASCII digit, or <c>end</c> if none comes first.</summary>
    /// <param name="masks">The first element of the masks.</param>
    /// <param name="p">An offset no greater than <c>end</c>.</param>
    /// <returns>An offset in <c>p..end</c>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint NextNonDigit(ref ulong masks, nint p) => Next(ref Unsafe.Add(ref masks, 1), p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint Next(ref ulong masks, nint p)
    {
        while (true)
        {
            // 64 bits from p: the rest of its word, then the start of the next one.
            nint word = (nint)((nuint)p / WordBytes) * 2;
            int shift = (int)p & (WordBytes - 1);
            ulong bits = (Unsafe.Add(ref masks, word) >> shift) | ((Unsafe.Add(ref masks, word + 2) << 1) << (63 - shift));
            if (bits != 0)
            {
                return p + (nint)ulong.TrailingZeroCount(bits);
            }

            // None in 64 bytes, so end (always marked) is further: p stays within bounds.
            p += WordBytes;
        }
    }

    // The masks of the 64 bytes at source.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Classify(ref byte source, out ulong stops, out ulong nonDigits)
    {
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<byte> low = Vector256.LoadUnsafe(ref source);
            Vector256<byte> high = Vector256.LoadUnsafe(ref source, 32);
            stops = StopBits(low) | ((ulong)StopBits(high) << 32);
            nonDigits = ~(DigitBits(low) | ((ulong)DigitBits(high) << 32));
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            ulong s = 0, d = 0;
            for (int i = 0; i < WordBytes; i += 16)
            {
                Vector128<byte> block = Vector128.LoadUnsafe(ref source, (nuint)i);
                s |= (ulong)StopBits(block) << i;
                d |= (ulong)DigitBits(block) << i;
            }

            stops = s;
            nonDigits = ~d;
        }
        else
        {
            ulong s = 0, d = 0;
            for (int i = 0; i < WordBytes; i++)
            {
                uint c = Unsafe.Add(ref source, i);
                s |= (c is '"' or '\\' or < ' ' ? 1UL : 0UL) << i;
                d |= (c - '0' <= 9 ? 1UL : 0UL) << i;
            }

            stops = s;
            nonDigits = ~d;
        }
    }

    // '"', '\' and everything below ' ' (unsigned: UTF-8 lead and continuation bytes are plain).
    private static uint StopBits(Vector256<byte> v) =>
        (Vector256.Equals(v, Vector256.Create((byte)'"'))
            | Vector256.Equals(v, Vector256.Create((byte)'\\'))
            | Vector256.LessThan(v, Vector256.Create((byte)' '))).ExtractMostSignificantBits();

    private static uint DigitBits(Vector256<byte> v) =>
        Vector256.LessThan(v - Vector256.Create((byte)'0'), Vector256.Create((byte)10)).ExtractMostSignificantBits();

    private static uint StopBits(Vector128<byte> v) =>
        (Vector128.Equals(v, Vector128.Create((byte)'"'))
            | Vector128.Equals(v, Vector128.Create((byte)'\\'))
            | Vector128.LessThan(v, Vector128.Create((byte)' '))).ExtractMostSignificantBits();

    private static uint DigitBits(Vector128<byte> v) =>
        Vector128.LessThan(v - Vector128.Create((byte)'0'), Vector128.Create((byte)10)).ExtractMostSignificantBits();
}
