using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace C2Fast.Framing;

/// <summary>RFC 6455 §5.3 masking: <c>payload[i] ^= key[i % 4]</c>, vectorised.</summary>
internal static class Mask
{
    /// <summary>XORs <paramref name="data"/> in place with the 4-byte key, starting at key phase <paramref name="offset"/> % 4.</summary>
    /// <param name="data">The bytes to mask or unmask.</param>
    /// <param name="key">The key as it appears on the wire, read in native byte order (<see cref="MemoryMarshal.Read{T}(ReadOnlySpan{byte})"/>).</param>
    /// <param name="offset">How many payload bytes precede <paramref name="data"/> (for masking a payload in chunks).</param>
    public static void Apply(Span<byte> data, uint key, long offset = 0)
    {
        int phase = (int)(offset & 3);
        if (phase != 0)
        {
            // Rotate so that byte 0 of the rotated key is key byte 'phase'.
            key = BitConverter.IsLittleEndian ? uint.RotateRight(key, 8 * phase) : uint.RotateLeft(key, 8 * phase);
        }

        ref byte start = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        nuint i = 0;

        if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<byte>.Count)
        {
            Vector256<byte> k = Vector256.Create(key).AsByte();
            nuint last = length - (nuint)Vector256<byte>.Count;
            for (; i <= last; i += (nuint)Vector256<byte>.Count)
            {
                (Vector256.LoadUnsafe(ref start, i) ^ k).StoreUnsafe(ref start, i);
            }
        }

        if (Vector128.IsHardwareAccelerated && length - i >= (nuint)Vector128<byte>.Count)
        {
            Vector128<byte> k = Vector128.Create(key).AsByte();
            nuint last = length - (nuint)Vector128<byte>.Count;
            for (; i <= last; i += (nuint)Vector128<byte>.Count)
            {
                (Vector128.LoadUnsafe(ref start, i) ^ k).StoreUnsafe(ref start, i);
            }
        }

        ulong k64 = key | ((ulong)key << 32);
        for (; i + 8 <= length; i += 8)
        {
            ref byte p = ref Unsafe.Add(ref start, i);
            Unsafe.WriteUnaligned(ref p, Unsafe.ReadUnaligned<ulong>(ref p) ^ k64);
        }

        // i is a multiple of 4 here, so the tail (under 8 bytes) starts at key byte 0.
        Span<byte> keyBytes = stackalloc byte[4];
        MemoryMarshal.Write(keyBytes, in key);
        for (int j = 0; i < length; i++, j++)
        {
            Unsafe.Add(ref start, i) ^= keyBytes[j & 3];
        }
    }
}
