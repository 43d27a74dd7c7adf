namespace C2Fast.Simulator.Feeds;

/// <summary>The retained signals of one strategy: a fixed-capacity ring of (seq_id, encoded frame), oldest evicted first.</summary>
/// <remarks>seq_ids are added in increasing order, so a binary search finds the replay start.</remarks>
internal sealed class HistoryRing(int capacity)
{
    private readonly long[] _seqIds = new long[capacity];
    private readonly byte[][] _frames = new byte[capacity][];
    private int _head;

    public int Count { get; private set; }

    /// <summary>The highest seq_id evicted so far (0: nothing evicted).</summary>
    public long EvictedThrough { get; private set; }

    public long SeqIdAt(int index) => _seqIds[(_head + index) % _seqIds.Length];

    public byte[] FrameAt(int index) => _frames[(_head + index) % _frames.Length];

    public void Add(long seqId, byte[] frame)
    {
        if (Count == _seqIds.Length)
        {
            EvictedThrough = _seqIds[_head];
            _seqIds[_head] = seqId;
            _frames[_head] = frame;
            _head = (_head + 1) % _seqIds.Length;
            return;
        }

        var tail = (_head + Count) % _seqIds.Length;
        _seqIds[tail] = seqId;
        _frames[tail] = frame;
        Count++;
    }

    /// <summary>The index of the first entry with seq_id &gt; <paramref name="seqId"/> (<see cref="Count"/> if none).</summary>
    public int FirstIndexAfter(long seqId)
    {
        int low = 0, high = Count;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (SeqIdAt(mid) <= seqId)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }
}
