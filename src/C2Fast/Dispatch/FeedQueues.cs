using System.Threading.Channels;
using Microsoft.Extensions.ObjectPool;

namespace C2Fast.Dispatch;

/// <summary>
/// The consumer side of one client: bounded channels partitioned by strategy id, the lease pool,
/// the buffered-bytes budget and the slow-consumer policy. Outlives connections.
/// </summary>
/// <remarks>
/// Only the read loop writes. Bytes are counted from lease to <see cref="C2FeedMessage.Dispose"/>,
/// so the budget bounds what consumers hold, not just what sits in the channels. Under
/// <see cref="C2SlowConsumerPolicy.Wait"/> a full partition or an exhausted budget makes
/// <see cref="Enqueue"/> answer false: the loop pauses and <see cref="WaitForCapacityAsync"/>
/// resumes it when consumers dispose enough. The drop policies never pause; every drop is counted.
/// </remarks>
internal sealed class FeedQueues
{
    private readonly Channel<C2FeedMessage>[] _partitions;
    private readonly ObjectPool<C2FeedMessage> _pool;
    private readonly long _maxBytes;
    private readonly long _resumeBytes;
    private readonly C2SlowConsumerPolicy _policy;
    private readonly SemaphoreSlim _room = new(0);
    private readonly int _capacity;
    private long _bufferedBytes;
    private long _queuedMessages;
    private int _waiting;
    private C2FeedMessage? _pending;
    private int _pendingPartition;
    private int _dropNoticePending;

    public FeedQueues(C2FeedOptions options)
    {
        _maxBytes = options.MaxBufferedBytes;
        _resumeBytes = options.MaxBufferedBytes / 2;
        _policy = options.SlowConsumerPolicy;
        _capacity = options.QueueCapacity;
        _pool = new DefaultObjectPool<C2FeedMessage>(new LeasePolicy(), Math.Max(1, options.MessagePoolSize));
        _partitions = new Channel<C2FeedMessage>[options.ConsumerPartitions];
        for (int i = 0; i < _partitions.Length; i++)
        {
            _partitions[i] = Channel.CreateBounded<C2FeedMessage>(new BoundedChannelOptions(options.QueueCapacity)
            {
                // Full is handled by the policy here, never by the channel silently.
                FullMode = BoundedChannelFullMode.Wait,
                SingleWriter = true,
                SingleReader = false, // DropOldest reads from the loop too
                AllowSynchronousContinuations = false,
            });
        }
    }

    public FeedCounters Counters { get; } = new();

    public int PartitionCount => _partitions.Length;

    public long QueuedMessages => Volatile.Read(ref _queuedMessages);

    public long QueuedBytes => Volatile.Read(ref _bufferedBytes);

    /// <summary>Raised (on the loop) when a drop happened and no notice is outstanding.</summary>
    public event Action? DropNotice;

    /// <summary>Called on the consumer's thread when a delivered signal's lease is disposed (the checkpoint commit).</summary>
    public Action<long, long>? OnConsumed { get; set; }

    /// <summary>
    /// Under <see cref="C2SlowConsumerPolicy.DisconnectAndResume"/>: whether queueing <paramref name="length"/>
    /// more bytes for this strategy would pass the budget or fill its partition.
    /// </summary>
    public bool ShouldShed(long strategyId, int length)
        => _policy == C2SlowConsumerPolicy.DisconnectAndResume
        && (Volatile.Read(ref _bufferedBytes) + length > _maxBytes || _partitions[PartitionOf(strategyId)].Reader.Count >= _capacity);

    /// <summary>Completes once undisposed leases hold at most half the budget (before resuming after a shed).</summary>
    public async Task WaitForDrainAsync(CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref _bufferedBytes) > _resumeBytes)
        {
            Volatile.Write(ref _waiting, 1);
            if (Volatile.Read(ref _bufferedBytes) <= _resumeBytes)
            {
                break;
            }

            await _room.WaitAsync(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }
    }

    public ChannelReader<C2FeedMessage> Reader(int partition) => _partitions[partition].Reader;

    public C2FeedMessage Rent() => _pool.Get();

    public int PartitionOf(long strategyId) => (int)((ulong)strategyId % (ulong)_partitions.Length);

    /// <summary>Queues a filled lease (loop thread). False asks the loop to pause.</summary>
    public bool Enqueue(C2FeedMessage message, int length, long strategyId, bool isSignal)
    {
        Interlocked.Add(ref _bufferedBytes, length);
        Interlocked.Increment(ref _queuedMessages);
        int partition = PartitionOf(strategyId);
        ChannelWriter<C2FeedMessage> writer = _partitions[partition].Writer;

        if (_policy == C2SlowConsumerPolicy.Wait)
        {
            if (!writer.TryWrite(message))
            {
                _pending = message;
                _pendingPartition = partition;
                return false;
            }

            return Volatile.Read(ref _bufferedBytes) <= _maxBytes;
        }

        // Drop policies: make room within the budget and the channel, or drop the newcomer.
        while (Volatile.Read(ref _bufferedBytes) > _maxBytes || !writer.TryWrite(message))
        {
            if (_policy == C2SlowConsumerPolicy.DropOldest && _partitions[partition].Reader.TryRead(out C2FeedMessage? oldest))
            {
                Drop(oldest);
                continue;
            }

            Drop(message, isSignal);
            return true;
        }

        return true;
    }

    /// <summary>Completes when the pending lease is queued and the budget has room again.</summary>
    public async ValueTask WaitForCapacityAsync(CancellationToken cancellationToken)
    {
        Counters.BackpressurePauses++;
        if (_pending is C2FeedMessage pending)
        {
            ChannelWriter<C2FeedMessage> writer = _partitions[_pendingPartition].Writer;
            while (!writer.TryWrite(pending))
            {
                if (!await writer.WaitToWriteAsync(cancellationToken).ConfigureAwait(false))
                {
                    pending.Dispose(); // the client is shutting down
                    break;
                }
            }

            _pending = null;
        }

        // Resume at half the budget, not just under it, so a slow consumer does not cost a pause per message.
        while (Volatile.Read(ref _bufferedBytes) > _resumeBytes)
        {
            Volatile.Write(ref _waiting, 1);
            if (Volatile.Read(ref _bufferedBytes) <= _resumeBytes)
            {
                Volatile.Write(ref _waiting, 0);
                break;
            }

            await _room.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Called by <see cref="C2FeedMessage.Dispose"/> on the consumer's thread.</summary>
    internal void Release(C2FeedMessage message, int length)
    {
        if (message.TryGetCommit(out long strategyId, out long seqId))
        {
            OnConsumed?.Invoke(strategyId, seqId);
        }

        long remaining = Interlocked.Add(ref _bufferedBytes, -length);
        Interlocked.Decrement(ref _queuedMessages);
        _pool.Return(message);
        if (remaining <= _resumeBytes && Interlocked.Exchange(ref _waiting, 0) == 1)
        {
            _room.Release();
        }
    }

    /// <summary>No more messages: consumers drain what is queued, then their reads complete.</summary>
    public void Complete(Exception? error = null)
    {
        // A lease held back by a pause that closing interrupted: queue it if there is room, else count it dropped.
        if (Interlocked.Exchange(ref _pending, null) is C2FeedMessage pending && !_partitions[_pendingPartition].Writer.TryWrite(pending))
        {
            Drop(pending);
        }

        foreach (Channel<C2FeedMessage> partition in _partitions)
        {
            partition.Writer.TryComplete(error);
        }
    }

    /// <summary>Disposes every lease still queued (client disposal).</summary>
    public void DrainAndDispose()
    {
        _pending?.MarkDiscarded();
        _pending?.Dispose();
        _pending = null;
        foreach (Channel<C2FeedMessage> partition in _partitions)
        {
            while (partition.Reader.TryRead(out C2FeedMessage? message))
            {
                message.MarkDiscarded();
                message.Dispose();
            }
        }
    }

    /// <summary>Clears the outstanding drop notice so the next drop raises one again.</summary>
    public void AcknowledgeDropNotice() => Volatile.Write(ref _dropNoticePending, 0);

    private void Drop(C2FeedMessage message, bool? isSignal = null)
    {
        Counters.MessagesDropped++;
        if (isSignal ?? message.Type == C2MessageType.Signal)
        {
            Counters.SignalsDropped++;
        }

        message.MarkDiscarded();
        message.Dispose();
        if (Interlocked.Exchange(ref _dropNoticePending, 1) == 0)
        {
            DropNotice?.Invoke();
        }
    }

    private sealed class LeasePolicy : PooledObjectPolicy<C2FeedMessage>
    {
        private const int InitialCapacity = 512;
        private const int MaxRetainedCapacity = 1024 * 1024;

        public override C2FeedMessage Create() => new(InitialCapacity);

        // Keep buffers that fit ordinary messages; let rare giants go to the GC.
        public override bool Return(C2FeedMessage obj) => obj.Capacity <= MaxRetainedCapacity;
    }
}
