namespace C2Fast.Session;

/// <summary>
/// The last <c>seq_id</c> handed to consumers, per strategy [CHOICE: seq_id is scoped per
/// strategy]. A signal at or below it is a replay overlapping live delivery and is discarded, so
/// no signal reaches the application twice. A jump forward is not a gap (ids are not consecutive).
/// </summary>
/// <remarks>Written by the read loop, read by requests and checkpoints: every access takes the lock (uncontended in steady state).</remarks>
internal sealed class SequenceTracker
{
    private readonly Dictionary<long, long> _lastDispatched = [];

    /// <summary>Records <paramref name="seqId"/> if it is new for the strategy; false for a duplicate.</summary>
    public bool TryAdvance(long strategyId, long seqId)
    {
        lock (_lastDispatched)
        {
            ref long last = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_lastDispatched, strategyId, out bool exists);
            if (exists && seqId <= last)
            {
                return false;
            }

            last = seqId;
            return true;
        }
    }

    /// <summary>Seeds the tracker (e.g. from a checkpoint or an explicit <c>resume_from</c>).</summary>
    public void Seed(long strategyId, long seqId)
    {
        lock (_lastDispatched)
        {
            ref long last = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_lastDispatched, strategyId, out bool exists);
            if (!exists || seqId > last)
            {
                last = seqId;
            }
        }
    }

    /// <summary>The last seq_id dispatched for the strategy, if any.</summary>
    public long? Last(long strategyId)
    {
        lock (_lastDispatched)
        {
            return _lastDispatched.TryGetValue(strategyId, out long last) ? last : null;
        }
    }
}
