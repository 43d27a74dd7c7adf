using System.Buffers;

namespace C2Fast.Tests.Protocol;

/// <summary>Builds multi-segment <see cref="ReadOnlySequence{T}"/>s the way a pipe hands over a message.</summary>
internal static class TestSequence
{
    public static ReadOnlySequence<byte> FromChunks(params byte[][] chunks)
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

    /// <summary>Splits <paramref name="bytes"/> before each of <paramref name="offsets"/> (ascending); empty segments allowed.</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] bytes, params int[] offsets)
    {
        var chunks = new List<byte[]>();
        int previous = 0;
        foreach (int offset in offsets)
        {
            chunks.Add(bytes[previous..offset]);
            previous = offset;
        }

        chunks.Add(bytes[previous..]);
        return FromChunks([.. chunks]);
    }

    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] bytes) =>
        FromChunks(bytes.Select(b => new[] { b }).ToArray());

    /// <summary>Random cut points, each segment copied into its own array (so nothing is contiguous by accident).</summary>
    public static ReadOnlySequence<byte> RandomSplit(byte[] bytes, Random random, int maxCuts)
    {
        int cuts = random.Next(1, maxCuts + 1);
        int[] offsets = Enumerable.Range(0, cuts).Select(_ => random.Next(0, bytes.Length + 1)).Order().ToArray();
        return SplitAt(bytes, offsets);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, long runningIndex)
        {
            Memory = data;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] data)
        {
            var next = new Segment(data, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
