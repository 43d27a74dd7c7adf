using System.Buffers;

namespace C2Fast.Fuzz.Targets;

/// <summary>
/// The shapes one input is fed in: whole, one byte per segment, split at offsets (each segment its own array, so
/// nothing is contiguous by accident), and split points derived from the input itself.
/// </summary>
internal static class Shapes
{
    public static ReadOnlySequence<byte> OneBytePerSegment(ReadOnlySpan<byte> data)
    {
        var chunks = new byte[data.Length][];
        for (int i = 0; i < data.Length; i++)
        {
            chunks[i] = [data[i]];
        }

        return FromChunks(chunks);
    }

    /// <summary>Splits before each offset (ascending, 0..length; repeated offsets make empty segments).</summary>
    public static ReadOnlySequence<byte> SplitAt(ReadOnlySpan<byte> data, params ReadOnlySpan<int> offsets)
    {
        var chunks = new byte[offsets.Length + 1][];
        int previous = 0;
        for (int i = 0; i < offsets.Length; i++)
        {
            int offset = Math.Clamp(offsets[i], previous, data.Length);
            chunks[i] = data[previous..offset].ToArray();
            previous = offset;
        }

        chunks[^1] = data[previous..].ToArray();
        return FromChunks(chunks);
    }

    /// <summary>Up to <paramref name="count"/> ascending split points chosen by a hash of the input (deterministic).</summary>
    public static int[] DerivedOffsets(ReadOnlySpan<byte> data, int count)
    {
        ulong state = Hash(data) | 1;
        int[] offsets = new int[count];
        for (int i = 0; i < count; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            offsets[i] = (int)(state % (ulong)(data.Length + 1));
        }

        Array.Sort(offsets);
        return offsets;
    }

    /// <summary>FNV-1a over the input.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in data)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    public static ReadOnlySequence<byte> FromChunks(byte[][] chunks)
    {
        if (chunks.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(chunks[0], 0);
        Segment last = first;
        for (int i = 1; i < chunks.Length; i++)
        {
            last = last.Append(chunks[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] chunk, long runningIndex)
        {
            Memory = chunk;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] chunk)
        {
            var next = new Segment(chunk, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
