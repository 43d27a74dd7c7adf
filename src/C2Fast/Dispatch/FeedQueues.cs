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
    private readonly C2SlowConsumerPolicy _policy;
    private readonly SemaphoreSlim _capacity = new(0);
    private readonly Action<C2FeedMessage>? _onRelease;
    private long _bufferedBytes;
    private long _queuedMessages;
    private int _waiting;
    private C2FeedMessage? _pending;
    private int _pendingPartition;
    private int _dropNoticePending;

    public FeedQueues(C2FeedOptions options, Action<C2FeedMessage>? onRelease = null)
    {
        _maxBytes = options.MaxBufferedBytes;
        _policy = options.SlowConsumerPolicy;
        _onRelease = onRelease;
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

        while (Volatile.Read(ref _bufferedBytes) > _maxBytes)
        {
            Volatile.Write(ref _waiting, 1);
            if (Volatile.Read(ref _bufferedBytes) <= _maxBytes)
            {
                Volatile.Write(ref _waiting, 0);
                break;
            }

            await _capacity.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Called by <see cref="C2FeedMessage.Dispose"/> on the consumer's thread.</summary>
    internal void Release(C2FeedMessage message, int length)
    {
        _onRelease?.Invoke(message);
        long remaining = Interlocked.Add(ref _bufferedBytes, -length);
        Interlocked.Decrement(ref _queuedMessages);
        _pool.Return(message);
        if (remaining <= _maxBytes && Interlocked.Exchange(ref _waiting, 0) == 1)
        {
            _capacity.Release();
        }
    }

    /// <summary>No more messages: consumers drain what is queued, then their reads complete.</summary>
    public void Complete(Exception? error = null)
    {
        foreach (Channel<C2FeedMessage> partition in _partitions)
        {
            partition.Writer.TryComplete(error);
        }
    }

    /// <summary>Disposes every lease still queued (client disposal).</summary>
    public void DrainAndDispose()
    {
        _pending?.Dispose();
        _pending = null;
        foreach (Channel<C2FeedMessage> partition in _partitions)
        {
            while (partition.Reader.TryRead(out C2FeedMessage? message))
            {
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
