namespace C2Fast.Fuzz.Targets;

/// <summary>
/// How an input says where it is cut: byte 0 holds how many size bytes follow (its low 4 bits, 0-15), each size byte
/// is one chunk length used in turn, and the rest is the data. No size bytes: the data comes whole.
/// </summary>
internal readonly ref struct ChunkPlan
{
    public ChunkPlan(int[] sizes, ReadOnlySpan<byte> data)
    {
        Sizes = sizes;
        Data = data;
    }

    /// <summary>Chunk lengths, cycled; empty for the whole data at once.</summary>
    public int[] Sizes { get; }

    public ReadOnlySpan<byte> Data { get; }

    /// <param name="input">The input, from its first byte.</param>
    /// <param name="zeroAllowed">Whether a size byte of 0 is an empty chunk (else it means 256).</param>
    public static ChunkPlan Read(ReadOnlySpan<byte> input, bool zeroAllowed)
    {
        if (input.IsEmpty)
        {
            return new ChunkPlan([], input);
        }

        int count = Math.Min(input[0] & 0x0F, input.Length - 1);
        int[] sizes = new int[count];
        for (int i = 0; i < count; i++)
        {
            int b = input[1 + i];
            sizes[i] = b == 0 && !zeroAllowed ? 256 : b;
        }

        // Only empty chunks would never end: then the data comes whole.
        if (sizes.Length != 0 && sizes.All(s => s == 0))
        {
            sizes = [];
        }

        return new ChunkPlan(sizes, input[(1 + count)..]);
    }
}
