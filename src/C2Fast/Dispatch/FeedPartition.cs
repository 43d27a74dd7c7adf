using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;

namespace C2Fast.Dispatch;

/// <summary>
/// One consumer partition: a bounded ring of leased messages with one producer (the read loop) and
/// any number of readers, read through the <see cref="ChannelReader{T}"/> API.
/// </summary>
/// <remarks>
/// <para>
/// Why not <c>Channel.CreateBounded</c>: it takes a lock for every write and every read, so one cache
/// line bounces between the read loop and the consumer on each message, and each write that finds a
/// reader waiting queues a thread-pool work item for it. Here:
/// </para>
/// <list type="bullet">
/// <item>The producer stores the lease in its slot and publishes the head with a release store; a
/// reader claims a slot with one compare-and-swap on the tail. The producer reads the tail only when
/// the ring looks full.</item>
/// <item>A waiting reader is woken once per batch, not per message: after <see cref="WakeBatch"/>
/// messages or at the end of the socket read (<see cref="Flush"/>), whichever comes first. One
/// reusable value-task source serves the usual single reader without allocating (cancellable waits
/// included); further readers waiting at the same time share an allocated fallback.</item>
/// <item>The ring array starts small and doubles up to the capacity, so its memory follows the
/// deepest backlog seen rather than the configured bound.</item>
/// </list>
/// <para>
/// Wake-up protocol (Dekker): a reader arms with a full fence and then looks at the ring again; the
/// producer publishes and then, after a full fence in <see cref="Flush"/> (and <see cref="Complete"/>),
/// looks at the arm. One of the two always sees the other, so no wake-up is lost; the cheap check
/// the producer makes per message without a fence only brings wake-ups forward.
/// </para>
/// </remarks>
internal sealed class FeedPartition : ChannelReader<MessageLease>, IValueTaskSource<bool>
{
    /// <summary>
    /// Messages published for a waiting reader before it is woken in the middle of a socket read. A
    /// single message (the usual case on the live feed) is handed over at the end of its read at once;
    /// in a burst, the first of a batch waits at most this many messages' parsing (~20 µs), and a fast
    /// consumer costs one thread-pool wake-up per batch instead of one per few messages.
    /// </summary>
    internal const int WakeBatch = 64;

    private const int InitialRingSize = 256;

    private readonly FeedQueues _queues;
    private readonly int _capacity;
    private MessageLease?[] _ring;

    // Each on its own cache lines: the producer writes the head, readers the tail, disposers the counts.
    private PaddedCounter _head;
    private PaddedCounter _tail;
    private PaddedCounter _releasedBytes;
    private PaddedCounter _releasedMessages;

    // Producer-only state.
    private long _tailSeen;
    private int _sinceWake;
    private bool _publishedSinceFlush;

    // The primary waiter: owned by one reader from arming to GetResult.
    private ManualResetValueTaskSourceCore<bool> _waiter = new() { RunContinuationsAsynchronously = true };
    private int _waiterBusy;
    private int _waiterArmed;
    private CancellationToken _waiterToken;
    private CancellationTokenRegistration _waiterRegistration;

    // Readers that wait while another already owns the primary waiter.
    private readonly object _sharedGate = new();
    private TaskCompletionSource? _shared;
    private int _sharedArmed;

    private volatile bool _completed;
    private Exception? _error;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FeedPartition(FeedQueues queues, int capacity)
    {
        _queues = queues;
        _capacity = capacity;
        _ring = new MessageLease?[Math.Min(InitialRingSize, (int)Math.Min(1L << 30, RoundUpToPowerOf2(capacity)))];
    }

    /// <inheritdoc/>
    public override Task Completion => _completion.Task;

    /// <inheritdoc/>
    public override bool CanCount => true;

    /// <inheritdoc/>
    public override bool CanPeek => true;

    /// <summary>Messages queued and not yet read.</summary>
    public override int Count => (int)Math.Max(0, Volatile.Read(ref _head.Value) - Volatile.Read(ref _tail.Value));

    /// <summary>Bytes of this partition's disposed messages, ever (for the budget).</summary>
    public long ReleasedBytes => Volatile.Read(ref _releasedBytes.Value);

    /// <summary>This partition's disposed messages, ever.</summary>
    public long ReleasedMessages => Volatile.Read(ref _releasedMessages.Value);

    /// <summary>Capacity of the ring array now (it grows with the backlog); for tests.</summary>
    internal int RingSize => Volatile.Read(ref _ring).Length;

    private bool HasItems => Volatile.Read(ref _tail.Value) < Volatile.Read(ref _head.Value);

    /// <summary>Whether the ring holds the queue capacity unread messages (producer only).</summary>
    public bool IsFull
    {
        get
        {
            long head = _head.Value;
            if (head - _tailSeen < _capacity)
            {
                return false;
            }

            _tailSeen = Volatile.Read(ref _tail.Value);
            return head - _tailSeen >= _capacity;
        }
    }

    /// <summary>Whether the ring is at most half full (the resume point after a pause for a full ring).</summary>
    public bool IsHalfEmpty => Count <= _capacity / 2;

    /// <summary>Appends a filled lease (producer only; the caller made sure the ring is not full).</summary>
    public void Publish(MessageLease lease)
    {
        long head = _head.Value;
        MessageLease?[] ring = _ring;
        if (head - _tailSeen >= ring.Length && head - (_tailSeen = Volatile.Read(ref _tail.Value)) >= ring.Length)
        {
            ring = Grow(ring, head);
        }

        ring[head & (ring.Length - 1)] = lease;
        Volatile.Write(ref _head.Value, head + 1);
        _publishedSinceFlush = true;

        // Without a fence this may miss a reader that is arming right now; Flush will not.
        if (Volatile.Read(ref _waiterArmed) != 0 && ++_sinceWake >= WakeBatch)
        {
            _sinceWake = 0;
            WakeWaiter();
        }
    }

    /// <summary>End of a socket read (or a pause): wakes any reader that waits for what was published (producer only).</summary>
    public void Flush()
    {
        if (!_publishedSinceFlush)
        {
            return;
        }

        _publishedSinceFlush = false;
        _sinceWake = 0;
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _waiterArmed) != 0)
        {
            WakeWaiter();
        }

        if (Volatile.Read(ref _sharedArmed) != 0)
        {
            WakeShared();
        }
    }

    /// <summary>No more messages will be published: readers drain what is queued, then see the end.</summary>
    public void Complete(Exception? error)
    {
        if (_completed)
        {
            return;
        }

        _error = error;
        _completed = true;
        Interlocked.MemoryBarrier();
        if (Interlocked.Exchange(ref _waiterArmed, 0) == 1)
        {
            // Channel semantics: true if there is still something to read, else the end (false or the error).
            if (HasItems || error is null)
            {
                _waiter.SetResult(HasItems);
            }
            else
            {
                _waiter.SetException(error);
            }
        }

        WakeShared();
        if (!HasItems)
        {
            FinishCompletion();
        }
    }

    /// <summary>Accounts for a disposed lease of this partition (any thread).</summary>
    public void Release(int length)
    {
        Interlocked.Add(ref _releasedBytes.Value, length);
        Interlocked.Increment(ref _releasedMessages.Value);
    }

    /// <summary>Returns a disposed lease to the client's pool and lets a paused read loop resume (any thread).</summary>
    public void Recycle(MessageLease lease) => _queues.Recycle(this, lease);

    /// <inheritdoc/>
    public override bool TryRead([MaybeNullWhen(false)] out MessageLease item)
    {
        while (true)
        {
            long tail = Volatile.Read(ref _tail.Value);
            long head = Volatile.Read(ref _head.Value);
            if (tail >= head)
            {
                if (_completed && !HasItems)
                {
                    FinishCompletion();
                }

                item = null;
                return false;
            }

            // Read the ring after the head: a ring that grew before this head was published is seen.
            MessageLease?[] ring = Volatile.Read(ref _ring);
            MessageLease? lease = ring[tail & (ring.Length - 1)];
            if (Interlocked.CompareExchange(ref _tail.Value, tail + 1, tail) == tail)
            {
                if (_completed && tail + 1 == Volatile.Read(ref _head.Value))
                {
                    FinishCompletion();
                }

                item = lease!;
                return true;
            }
        }
    }

    /// <inheritdoc/>
    public override bool TryPeek([MaybeNullWhen(false)] out MessageLease item)
    {
        long tail = Volatile.Read(ref _tail.Value);
        if (tail >= Volatile.Read(ref _head.Value))
        {
            item = null;
            return false;
        }

        MessageLease?[] ring = Volatile.Read(ref _ring);
        item = ring[tail & (ring.Length - 1)]!;
        return true;
    }

    /// <inheritdoc/>
    /// <remarks>Does not allocate for the usual single reader, whether or not the token can be cancelled.</remarks>
    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        if (HasItems)
        {
            return new ValueTask<bool>(true);
        }

        if (_completed)
        {
            return Ended();
        }

        if (Interlocked.CompareExchange(ref _waiterBusy, 1, 0) != 0)
        {
            return WaitSharedAsync(cancellationToken);
        }

        _waiter.Reset();
        _waiterToken = cancellationToken;
        Interlocked.Exchange(ref _waiterArmed, 1); // full fence: then look again
        if (HasItems || _completed)
        {
            if (Interlocked.Exchange(ref _waiterArmed, 0) == 1)
            {
                Volatile.Write(ref _waiterBusy, 0);
                return HasItems ? new ValueTask<bool>(true) : Ended();
            }

            // The producer disarmed the waiter first and is completing it.
        }
        else if (cancellationToken.CanBeCanceled)
        {
            // Runs the callback at once if the token is already cancelled.
            _waiterRegistration = cancellationToken.UnsafeRegister(static state => ((FeedPartition)state!).CancelWaiter(), this);
        }

        return new ValueTask<bool>(this, _waiter.Version);
    }

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        try
        {
            return _waiter.GetResult(token);
        }
        finally
        {
            // Waits for a cancellation callback that is running, so none can touch the next wait.
            _waiterRegistration.Dispose();
            _waiterRegistration = default;
            _waiterToken = default;
            Volatile.Write(ref _waiterBusy, 0);
        }
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _waiter.OnCompleted(continuation, state, token, flags);

    private void WakeWaiter()
    {
        if (Interlocked.Exchange(ref _waiterArmed, 0) == 1)
        {
            _waiter.SetResult(true);
        }
    }

    private void CancelWaiter()
    {
        if (Interlocked.Exchange(ref _waiterArmed, 0) == 1)
        {
            _waiter.SetException(new OperationCanceledException(_waiterToken));
        }
    }

    private async ValueTask<bool> WaitSharedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_sharedGate)
            {
                _shared ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                signal = _shared.Task;
                Interlocked.Exchange(ref _sharedArmed, 1); // full fence: then look again
            }

            if (HasItems)
            {
                return true;
            }

            if (_completed)
            {
                return await Ended().ConfigureAwait(false);
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void WakeShared()
    {
        TaskCompletionSource? shared;
        lock (_sharedGate)
        {
            shared = _shared;
            _shared = null;
            Volatile.Write(ref _sharedArmed, 0);
        }

        shared?.TrySetResult();
    }

    // Completed and drained (or about to be): false, or the error the producer completed with.
    private ValueTask<bool> Ended()
    {
        if (HasItems)
        {
            return new ValueTask<bool>(true);
        }

        FinishCompletion();
        return _error is { } error ? ValueTask.FromException<bool>(error) : new ValueTask<bool>(false);
    }

    private void FinishCompletion()
    {
        if (_error is { } error)
        {
            _completion.TrySetException(error);
        }
        else
        {
            _completion.TrySetResult();
        }
    }

    // Readers may still be reading the old array: it is never written again, and it keeps every
    // position from the tail up to the head it was replaced at.
    private MessageLease?[] Grow(MessageLease?[] ring, long head)
    {
        var larger = new MessageLease?[ring.Length * 2];
        for (long position = Volatile.Read(ref _tail.Value); position < head; position++)
        {
            larger[position & (larger.Length - 1)] = ring[position & (ring.Length - 1)];
        }

        Volatile.Write(ref _ring, larger);
        return larger;
    }

    private static long RoundUpToPowerOf2(long value) => value <= 1 ? 1 : 1L << (64 - (int)long.LeadingZeroCount(value - 1));

    /// <summary>A 64-bit counter alone on its cache lines (128 bytes: adjacent-line prefetch pairs lines).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedCounter
    {
        [FieldOffset(64)]
        public long Value;
    }
}
