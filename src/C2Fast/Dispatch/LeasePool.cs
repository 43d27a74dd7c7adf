using Microsoft.Extensions.ObjectPool;

namespace C2Fast.Dispatch;

/// <summary>
/// The lease pool of one client, shaped for its traffic: one taker (the read loop) and any number
/// of givers (whichever threads dispose messages).
/// </summary>
/// <remarks>
/// <para>
/// Givers push onto a shared lock-free stack with one compare-and-swap. The taker never pops one
/// lease at a time from that stack (which would need ABA care): when its private list runs dry it
/// takes the whole stack with one exchange and then serves leases from it with no atomic operation
/// at all. So a message costs one atomic operation to give back and, amortized, none to take.
/// </para>
/// <para>
/// At most <c>maxRetained</c> leases are ever pooled: once that many exist, further leases
/// (needed only while consumers hold a deeper backlog) are created unpooled and left to the GC when
/// released. Leases whose buffer grew past <see cref="MaxRetainedCapacity"/> are not kept either.
/// </para>
/// </remarks>
internal sealed class LeasePool : ObjectPool<MessageLease>
{
    /// <summary>The buffer a new lease starts with: a typical signal fits.</summary>
    public const int InitialCapacity = 512;

    /// <summary>Buffers larger than this go to the GC with their lease instead of back to the pool.</summary>
    public const int MaxRetainedCapacity = 1024 * 1024;

    private readonly int _maxRetained;
    private MessageLease? _returned; // shared stack of given-back leases (linked through NextFree)
    private MessageLease? _free;     // the taker's private list
    private int _pooled;             // pooled leases in existence (taker's count; givers decrement on a discard)

    public LeasePool(int maxRetained) => _maxRetained = maxRetained;

    /// <summary>Pooled leases in existence, in use or free.</summary>
    public int Pooled => Volatile.Read(ref _pooled);

    /// <summary>A lease for the next message. Read loop only: there is exactly one taker.</summary>
    public override MessageLease Get()
    {
        MessageLease? lease = _free ?? Interlocked.Exchange(ref _returned, null);
        if (lease is not null)
        {
            _free = lease.NextFree;
            lease.NextFree = null;
            return lease;
        }

        if (Volatile.Read(ref _pooled) < _maxRetained)
        {
            Interlocked.Increment(ref _pooled);
            return new MessageLease(InitialCapacity, pooled: true);
        }

        return new MessageLease(InitialCapacity, pooled: false);
    }

    /// <summary>Gives a lease back, from any thread, once it is released and nothing reads it any more.</summary>
    public override void Return(MessageLease obj)
    {
        if (!obj.IsPooled)
        {
            return;
        }

        if (obj.Capacity > MaxRetainedCapacity)
        {
            Interlocked.Decrement(ref _pooled); // a rare giant: let it go and let a later lease take its place
            return;
        }

        MessageLease? top;
        do
        {
            top = Volatile.Read(ref _returned);
            obj.NextFree = top;
        }
        while (Interlocked.CompareExchange(ref _returned, obj, top) != top);
    }
}
