using C2Fast.Diagnostics;
using C2Fast.Protocol;

namespace C2Fast.Dispatch;

/// <summary>
/// The consumer side of one client: the partitions (by strategy id), the lease pool, the
/// buffered-bytes budget and the overflow policy. Outlives connections.
/// </summary>
/// <remarks>
/// <para>
/// Only the read loop delivers. Bytes are counted from lease to release, so the budget bounds what
/// consumers hold, not just what waits in the partitions. The producer keeps the totals it queued;
/// releasers add to per-partition released totals; what is held is the difference, so neither side
/// touches a counter the other writes on every message.
/// </para>
/// <para>
/// Under <see cref="OverflowPolicy.Wait"/> a message is always queued, and <see cref="Deliver"/>
/// answers false (pause the loop) once its partition is full or the budget is exceeded: a paused loop
/// resumes, through <see cref="WaitForCapacityAsync"/>, when that partition is at most half full and the
/// held bytes are at most half the budget, so a slow consumer does not cost one pause per message.
/// Because the loop pauses as soon as a partition fills, every partition has room whenever the loop
/// delivers. The drop policies never pause; every drop is counted.
/// </para>
/// </remarks>
internal sealed class FeedQueues
{
    private readonly FeedPartition[] _partitions;
    private readonly LeasePool _pool;
    private readonly long _maxBytes;
    private readonly long _resumeBytes;
    private readonly OverflowPolicy _policy;
    private readonly SemaphoreSlim _room = new(0);

    // Producer-written totals (read by statistics on other threads).
    private long _queuedBytesTotal;
    private long _queuedMessagesTotal;
    private long _releasedBytesSeen; // the producer's last sum of the partitions' released bytes

    private int _pausedPartition = -1; // the partition whose fullness paused the loop, if any
    private int _resumeArmed;
    private int _dropNoticePending;

    public FeedQueues(QueueSettings settings, FeedCounters counters)
    {
        _maxBytes = settings.MaxBufferedBytes;
        _resumeBytes = settings.MaxBufferedBytes / 2;
        _policy = settings.Policy;
        Counters = counters;
        _pool = new LeasePool(settings.PoolSize);
        _partitions = new FeedPartition[settings.Partitions];
        for (int i = 0; i < _partitions.Length; i++)
        {
            _partitions[i] = new FeedPartition(this, settings.Capacity);
        }
    }

    public FeedCounters Counters { get; }

    public int PartitionCount => _partitions.Length;

    /// <summary>Messages leased and not yet disposed.</summary>
    public long QueuedMessages
    {
        get
        {
            long released = 0;
            foreach (FeedPartition partition in _partitions)
            {
                released += partition.ReleasedMessages;
            }

            // Released first: it only grows, so the difference never goes below what is really held.
            return Volatile.Read(ref _queuedMessagesTotal) - released;
        }
    }

    /// <summary>Bytes held by leases not yet disposed.</summary>
    public long QueuedBytes
    {
        get
        {
            long released = ReleasedBytes(); // first, as above
            return Volatile.Read(ref _queuedBytesTotal) - released;
        }
    }

    /// <summary>Pooled leases in existence (for tests).</summary>
    internal int PooledLeases => _pool.Pooled;

    /// <summary>Raised (on the loop) when a drop happened and no notice is outstanding.</summary>
    public event Action? DropNotice;

    /// <summary>Called on the consumer's thread when a delivered signal's lease is released (the checkpoint commit).</summary>
    public Action<long, long>? OnConsumed { get; set; }

    public FeedPartition Partition(int index) => _partitions[index];

    public int PartitionOf(long strategyId) => _partitions.Length == 1 ? 0 : (int)((ulong)strategyId % (ulong)_partitions.Length);

    /// <summary>
    /// Under <see cref="OverflowPolicy.Shed"/>: whether queueing <paramref name="length"/> more bytes for this
    /// strategy would pass the budget or overfill its partition. A full partition is remembered, so that
    /// <see cref="WaitForDrainAsync"/> also waits for it to be half empty, not only for the bytes.
    /// </summary>
    public bool ShouldShed(long strategyId, int length)
    {
        if (_policy != OverflowPolicy.Shed)
        {
            return false;
        }

        int index = PartitionOf(strategyId);
        if (_partitions[index].IsFull)
        {
            _pausedPartition = index;
            return true;
        }

        return OverBudget(length);
    }

    /// <summary>Copies a message into a lease and queues it (loop thread). False asks the loop to pause.</summary>
    public bool Deliver(ReadOnlySpan<byte> json, in Envelope envelope, long? strategyId)
    {
        int index = PartitionOf(strategyId ?? 0);
        FeedPartition partition = _partitions[index];
        if (_policy is OverflowPolicy.DropOldest or OverflowPolicy.DropNewest && !MakeRoom(partition, json.Length, envelope.Type == MessageType.StrategySignal))
        {
            return true;
        }

        MessageLease lease = _pool.Get();
        lease.Fill(json, envelope, strategyId, partition);
        Volatile.Write(ref _queuedBytesTotal, _queuedBytesTotal + json.Length);
        Volatile.Write(ref _queuedMessagesTotal, _queuedMessagesTotal + 1);
        partition.Publish(lease);
        Counters.MessagesDelivered++;

        if (_policy != OverflowPolicy.Wait)
        {
            return true;
        }

        if (partition.IsFull)
        {
            _pausedPartition = index;
            return false;
        }

        return !OverBudget(0);
    }

    /// <summary>End of a socket read: readers waiting for what was delivered are woken (loop thread).</summary>
    public void Flush()
    {
        foreach (FeedPartition partition in _partitions)
        {
            partition.Flush();
        }
    }

    /// <summary>Completes when the partition that filled is half empty and the held bytes are at most half the budget (loop thread).</summary>
    public async ValueTask WaitForCapacityAsync(CancellationToken cancellationToken)
    {
        Counters.BackpressurePauses++;
        Flush();
        await WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
        _pausedPartition = -1;
    }

    /// <summary>Completes once undisposed leases hold at most half the budget and a partition that filled is half empty (before resuming after a shed).</summary>
    public async Task WaitForDrainAsync(CancellationToken cancellationToken)
    {
        await WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
        _pausedPartition = -1;
    }

    /// <summary>Called when a lease is released, on the releasing thread; the lease must not be touched afterwards.</summary>
    internal void Recycle(FeedPartition partition, MessageLease lease)
    {
        if (lease.TryGetCommit(out long strategyId, out long seqId))
        {
            OnConsumed?.Invoke(strategyId, seqId);
        }

        partition.Release(lease.Length);
        _pool.Return(lease);
        if (Volatile.Read(ref _resumeArmed) != 0 && HasRoom() && Interlocked.Exchange(ref _resumeArmed, 0) == 1)
        {
            _room.Release();
        }
    }

    /// <summary>No more messages: consumers drain what is queued, then their reads complete.</summary>
    public void Complete(Exception? error = null)
    {
        foreach (FeedPartition partition in _partitions)
        {
            partition.Complete(error);
        }
    }

    /// <summary>Releases every lease still queued (client disposal); nothing is committed for them.</summary>
    public void DrainAndRelease()
    {
        foreach (FeedPartition partition in _partitions)
        {
            while (partition.TryRead(out MessageLease? lease))
            {
                lease.Discarded = true;
                lease.TryRelease(lease.Version);
            }
        }
    }

    /// <summary>Clears the outstanding drop notice so the next drop raises one again.</summary>
    public void AcknowledgeDropNotice() => Volatile.Write(ref _dropNoticePending, 0);

    // Dekker with the releasers: arm (full fence), then look again; a releaser that sees the arm and room releases.
    private async Task WaitForRoomAsync(CancellationToken cancellationToken)
    {
        while (!HasRoom())
        {
            Interlocked.Exchange(ref _resumeArmed, 1); // full fence: then look again
            if (HasRoom())
            {
                // A disposer may have disarmed us too and released the semaphore: a later wait then just looks again.
                Volatile.Write(ref _resumeArmed, 0);
                break;
            }

            await _room.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private bool HasRoom()
    {
        int paused = Volatile.Read(ref _pausedPartition);
        return QueuedBytes <= _resumeBytes && (paused < 0 || _partitions[paused].IsHalfEmpty);
    }

    // Whether the held bytes plus `extra` pass the budget. Re-sums the partitions only when the cached sum says so.
    private bool OverBudget(int extra)
    {
        long queued = _queuedBytesTotal + extra;
        if (queued - _releasedBytesSeen <= _maxBytes)
        {
            return false;
        }

        _releasedBytesSeen = ReleasedBytes();
        return queued - _releasedBytesSeen > _maxBytes;
    }

    private long ReleasedBytes()
    {
        long released = 0;
        foreach (FeedPartition partition in _partitions)
        {
            released += partition.ReleasedBytes;
        }

        return released;
    }

    // Drop policies: make room within the budget and the partition, or drop the newcomer (false).
    private bool MakeRoom(FeedPartition partition, int length, bool isSignal)
    {
        while (partition.IsFull || OverBudget(length))
        {
            if (_policy == OverflowPolicy.DropOldest && partition.TryRead(out MessageLease? oldest))
            {
                CountDrop(oldest.Type == MessageType.StrategySignal);
                oldest.Discarded = true;
                oldest.TryRelease(oldest.Version);
                continue;
            }

            CountDrop(isSignal);
            return false;
        }

        return true;
    }

    private void CountDrop(bool isSignal)
    {
        Counters.MessagesDropped++;
        if (isSignal)
        {
            Counters.SignalsDropped++;
        }

        if (Interlocked.Exchange(ref _dropNoticePending, 1) == 0)
        {
            DropNotice?.Invoke();
        }
    }
}
