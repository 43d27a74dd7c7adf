namespace C2Fast.Session;

/// <summary>
/// The last <c>seq_id</c> handed to consumers, per strategy [CHOICE: seq_id is scoped per
/// strategy]. A signal at or below it is a replay overlapping live delivery and is discarded, so
/// no signal reaches the application twice. A jump forward is not a gap (ids are not consecutive).
/// </summary>
/// <remarks>
/// The read loop advances it for every signal; requests seed it and read it from other threads.
/// Each strategy has one entry whose value only ever grows, by compare-and-swap, so the per-signal
/// path takes no lock: the loop keeps the entry of the strategy it saw last, and only a strategy it
/// has not seen before takes the lock that guards the map.
/// </remarks>
internal sealed class SequenceTracker
{
    private const long None = long.MinValue;

    private readonly Dictionary<long, Entry> _entries = [];
    private Entry? _recent; // the read loop's last entry

    /// <summary>Records <paramref name="seqId"/> if it is new for the strategy; false for a duplicate (read loop only).</summary>
    public bool TryAdvance(long strategyId, long seqId)
    {
        Entry? entry = _recent;
        if (entry is null || entry.StrategyId != strategyId)
        {
            _recent = entry = GetOrAdd(strategyId);
        }

        while (true)
        {
            long last = Volatile.Read(ref entry.Last);
            if (last != None && seqId <= last)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref entry.Last, seqId, last) == last)
            {
                return true;
            }
        }
    }

    /// <summary>Seeds the tracker (e.g. from a checkpoint or an explicit <c>resume_from</c>): the last seq_id only moves up.</summary>
    public void Seed(long strategyId, long seqId)
    {
        Entry entry = GetOrAdd(strategyId);
        long last;
        do
        {
            last = Volatile.Read(ref entry.Last);
            if (last != None && seqId <= last)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref entry.Last, seqId, last) != last);
    }

    /// <summary>The last seq_id dispatched for the strategy, if any.</summary>
    public long? Last(long strategyId)
    {
        Entry? entry;
        lock (_entries)
        {
            _entries.TryGetValue(strategyId, out entry);
        }

        long last = entry is null ? None : Volatile.Read(ref entry.Last);
        return last == None ? null : last;
    }

    private Entry GetOrAdd(long strategyId)
    {
        lock (_entries)
        {
            if (!_entries.TryGetValue(strategyId, out Entry? entry))
            {
                entry = new Entry(strategyId);
                _entries.Add(strategyId, entry);
            }

            return entry;
        }
    }

    private sealed class Entry(long strategyId)
    {
        public readonly long StrategyId = strategyId;
        public long Last = None;
    }
}
