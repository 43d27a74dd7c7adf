using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace C2Fast.Protocol;

/// <summary>
/// The envelope fast path's view of a message: 64 bytes at a time, classified once into two
/// bit masks, so that finding where a string or a digit run ends is a shift and a trailing-zero
/// count instead of another load and compare per token.
/// </summary>
/// <remarks>
/// <para>
/// Bit <c>k</c> of a mask describes byte <c>Start + k</c>. <c>Stops</c> marks the bytes that end
/// the plain part of a string (<c>"</c>, <c>\</c>, control characters); <c>NonDigits</c> marks
/// every byte but <c>0</c>–<c>9</c>. A token scanner that loads and compares at each token puts
/// the load latency on the dependency chain from one token's position to the next; here that
/// chain is a few ALU operations, and the loads run ahead, one window at a time.
/// </para>
/// <para>
/// Every byte from <c>end</c> on (the root object's closing brace and whatever follows it) is
/// marked in both masks, whatever it holds: a string or number still open there is invalid
/// anyway, so a lookup never runs past <c>end</c> and the caller only has to check for it. That
/// is also what keeps every window load inside the buffer: a window near the end is loaded from
/// the buffer's last 64 bytes and shifted, which needs a buffer of at least 64 bytes (shorter
/// messages are scanned from a padded copy).
/// </para>
/// </remarks>
internal ref struct ScanWindow
{
    /// <summary>Bytes per window: one bit each in a <see cref="ulong"/>.</summary>
    public const int Size = 64;

    private readonly ref byte _buffer;
    private readonly nint _bufferLength;
    private readonly nint _end;
    private nint _start;
    private ulong _stops;
    private ulong _nonDigits;

    /// <summary>A window over <paramref name="bufferLength"/> bytes, of which the scanner may read up to <paramref name="end"/>.</summary>
    /// <param name="buffer">The first byte of the buffer.</param>
    /// <param name="bufferLength">Bytes readable from <paramref name="buffer"/>; at least <see cref="Size"/>.</param>
    /// <param name="end">The offset of the root object's closing brace; below <paramref name="bufferLength"/>.</param>
    public ScanWindow(ref byte buffer, nint bufferLength, nint end)
    {
        _buffer = ref buffer;
        _bufferLength = bufferLength;
        _end = end;
        _start = -Size; // no window yet: every offset is outside it
    }

    /// <summary>The first offset at or after <paramref name="p"/> holding <c>"</c>, <c>\</c> or a control character, or <c>end</c> or beyond.</summary>
    /// <param name="p">An offset no greater than <c>end</c>.</param>
    /// <returns>An offset in <c>p..end</c>; <c>end</c> itself when no such byte comes first.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public nint NextStringStop(nint p)
    {
        while (true)
        {
            nint k = p - _start;
            if ((nuint)k >= Size)
            {
                Fill(p);
                k = 0;
            }

            ulong bits = _stops >> (int)k;
            if (bits != 0)
            {
                return p + BitOperations.TrailingZeroCount(bits);
            }

            // No stop in the rest of this window, so the window ends before end: p stays within bounds.
            p = _start + Size;
        }
    }

    /// <summary>The first offset at or after <paramref name="p"/> that is not an ASCII digit (at most <c>end</c>).</summary>
    /// <param name="p">An offset no greater than <c>end</c>.</param>
    /// <returns>An offset in <c>p..end</c>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public nint NextNonDigit(nint p)
    {
        while (true)
        {
            nint k = p - _start;
            if ((nuint)k >= Size)
            {
                Fill(p);
                k = 0;
            }

            ulong bits = _nonDigits >> (int)k;
            if (bits != 0)
            {
                return p + BitOperations.TrailingZeroCount(bits);
            }

            p = _start + Size;
        }
    }

    // The window starting at p (p <= end), so that the lookup that needed it starts at bit 0.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Fill(nint p)
    {
        nint at = p;
        int shift = 0;
        if (p > _bufferLength - Size)
        {
            // Near the end: the buffer's last 64 bytes, shifted down to p (the vacated top bits are past end, set below).
            at = _bufferLength - Size;
            shift = (int)(p - at);
        }

        ulong stops, digits;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<byte> low = Vector256.LoadUnsafe(ref _buffer, (nuint)at);
            Vector256<byte> high = Vector256.LoadUnsafe(ref _buffer, (nuint)at + 32);
            stops = StopBits(low) | ((ulong)StopBits(high) << 32);
            digits = DigitBits(low) | ((ulong)DigitBits(high) << 32);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            stops = 0;
            digits = 0;
            for (int i = 0; i < Size; i += 16)
            {
                Vector128<byte> block = Vector128.LoadUnsafe(ref _buffer, (nuint)(at + i));
                stops |= (ulong)StopBits(block) << i;
                digits |= (ulong)DigitBits(block) << i;
            }
        }
        else
        {
            stops = 0;
            digits = 0;
            for (int i = 0; i < Size; i++)
            {
                uint c = Unsafe.Add(ref _buffer, at + i);
                stops |= (c is '"' or '\\' or < ' ' ? 1UL : 0UL) << i;
                digits |= (c - '0' <= 9 ? 1UL : 0UL) << i;
            }
        }

        stops >>= shift;
        ulong nonDigits = ~digits >> shift;
        nint remaining = _end - p;
        if (remaining < Size)
        {
            ulong pastEnd = ulong.MaxValue << (int)remaining;
            stops |= pastEnd;
            nonDigits |= pastEnd;
        }

        _start = p;
        _stops = stops;
        _nonDigits = nonDigits;
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
