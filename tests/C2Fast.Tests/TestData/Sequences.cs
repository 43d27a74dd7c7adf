using System.Buffers;

namespace C2Fast.Tests.TestData;

/// <summary>
/// Builds multi-segment <see cref="ReadOnlySequence{T}"/> inputs: split at an offset, one byte per
/// segment, or inside guard bytes, so parsers are proven independent of where the network cut.
/// </summary>
internal static class Sequences
{
    public static ReadOnlySequence<byte> Whole(byte[] data) => new(data);

    /// <summary>Each chunk becomes one segment; segments live inside guard bytes so reads past them show.</summary>
    public static ReadOnlySequence<byte> FromChunks(params byte[][] chunks)
    {
        if (chunks.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        Segment first = Guarded(chunks[0], 0);
        Segment last = first;
        for (int i = 1; i < chunks.Length; i++)
        {
            last = last.Append(chunks[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Splits <paramref name="data"/> before each of <paramref name="offsets"/> (ascending); empty segments allowed.</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] data, params int[] offsets)
    {
        var chunks = new List<byte[]>(offsets.Length + 1);
        int previous = 0;
        foreach (int offset in offsets)
        {
            chunks.Add(data[previous..offset]);
            previous = offset;
        }

        chunks.Add(data[previous..]);
        return FromChunks([.. chunks]);
    }

    /// <summary>Random cut points, each segment in its own guarded array (nothing contiguous by accident).</summary>
    public static ReadOnlySequence<byte> RandomSplit(byte[] data, Random random, int maxCuts)
    {
        int cuts = random.Next(1, maxCuts + 1);
        int[] offsets = Enumerable.Range(0, cuts).Select(_ => random.Next(0, data.Length + 1)).Order().ToArray();
        return SplitAt(data, offsets);
    }

    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] data) => FromChunks(data.Select(b => new[] { b }).ToArray());

    /// <summary>Every way to see <paramref name="data"/>: whole, split at each offset, one byte per segment.</summary>
    public static IEnumerable<(string Name, ReadOnlySequence<byte> Sequence)> AllShapes(byte[] data)
    {
        yield return ("whole", Whole(data));
        for (int i = 0; i <= data.Length; i++)
        {
            yield return ($"split@{i}", SplitAt(data, i));
        }

        yield return ("1-byte segments", OneBytePerSegment(data));
    }

    private static Segment Guarded(byte[] chunk, long runningIndex)
    {
        // 0xEE guard bytes before and after the visible slice.
        byte[] backing = new byte[chunk.Length + 8];
        backing.AsSpan().Fill(0xEE);
        chunk.CopyTo(backing, 4);
        return new Segment(backing.AsMemory(4, chunk.Length), runningIndex);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] chunk)
        {
            Segment next = Guarded(chunk, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
