using System.Collections.Concurrent;
using C2Fast.Dispatch;
using C2Fast.Protocol;

namespace C2Fast.Tests.Dispatch;

/// <summary>
/// The lease pool: one taker (the read loop), any number of givers. At most maxRetained pooled leases exist;
/// giants are let go; a lease is never handed out twice at once, also while givers race.
/// </summary>
public class LeasePoolTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public void Get_UpToMaxRetained_PooledLeasesThenUnpooledOnes()
    {
        var pool = new LeasePool(maxRetained: 3);

        MessageLease[] pooled = [pool.Get(), pool.Get(), pool.Get()];
        Assert.All(pooled, lease => Assert.True(lease.IsPooled));
        Assert.Equal(3, pool.Pooled);
        Assert.Equal(3, pooled.Distinct().Count());

        MessageLease extra = pool.Get();
        Assert.False(extra.IsPooled);
        Assert.Equal(3, pool.Pooled);
        Assert.All(pooled.Append(extra), lease => Assert.Equal(LeasePool.InitialCapacity, lease.Capacity));
    }

    [Fact]
    public void Return_UnpooledLease_NoOp()
    {
        var pool = new LeasePool(maxRetained: 0);
        MessageLease unpooled = pool.Get();
        Assert.False(unpooled.IsPooled);

        pool.Return(unpooled);

        Assert.Null(unpooled.NextFree);
        Assert.NotSame(unpooled, pool.Get()); // never comes back
        Assert.Equal(0, pool.Pooled);
    }

    [Fact]
    public void Return_LeaseGrownPastMaxRetainedCapacity_DroppedAndAnotherTakesItsPlace()
    {
        var pool = new LeasePool(maxRetained: 2);
        MessageLease giant = pool.Get();
        MessageLease other = pool.Get();
        giant.Fill(new byte[LeasePool.MaxRetainedCapacity + 1], default(Envelope), null, null);
        Assert.True(giant.Capacity > LeasePool.MaxRetainedCapacity);

        pool.Return(giant);

        Assert.Equal(1, pool.Pooled);
        MessageLease next = pool.Get(); // the pool is empty: a fresh pooled lease replaces the giant
        Assert.NotSame(giant, next);
        Assert.True(next.IsPooled);
        Assert.Equal(LeasePool.InitialCapacity, next.Capacity);
        Assert.Equal(2, pool.Pooled);
        Assert.False(pool.Get().IsPooled); // and the limit holds again
        GC.KeepAlive(other);
    }

    [Fact]
    public void Return_LeaseGrownToExactlyMaxRetainedCapacity_Kept()
    {
        var pool = new LeasePool(maxRetained: 1);
        MessageLease lease = pool.Get();
        lease.Fill(new byte[LeasePool.MaxRetainedCapacity], default(Envelope), null, null);
        Assert.Equal(LeasePool.MaxRetainedCapacity, lease.Capacity);

        pool.Return(lease);

        Assert.Equal(1, pool.Pooled);
        Assert.Same(lease, pool.Get());
    }

    [Fact]
    public void Get_AfterReturns_TheLastReturnedFirstFromTheTakersPrivateList()
    {
        var pool = new LeasePool(maxRetained: 8);
        MessageLease a = pool.Get(), b = pool.Get(), c = pool.Get();
        pool.Return(a);
        pool.Return(b);
        pool.Return(c);

        Assert.Same(c, pool.Get()); // takes the whole stack: c, then b and a from its private list
        MessageLease d = pool.Get(); // b
        pool.Return(c);              // goes onto the shared stack while the private list still holds a
        Assert.Same(b, d);
        Assert.Same(a, pool.Get());
        Assert.Same(c, pool.Get());  // private list empty: the shared stack again
        Assert.True(pool.Get() is { IsPooled: true } fresh && fresh != a && fresh != b && fresh != c);
        Assert.Equal(4, pool.Pooled);
    }

    [Fact]
    public void Get_ReturnedLease_ComesBackUnlinked()
    {
        var pool = new LeasePool(maxRetained: 4);
        MessageLease a = pool.Get(), b = pool.Get();
        pool.Return(a);
        pool.Return(b);

        MessageLease first = pool.Get();
        MessageLease second = pool.Get();

        Assert.Null(first.NextFree);
        Assert.Null(second.NextFree);
        Assert.Equal(new[] { b, a }, new[] { first, second });
    }

    [Fact]
    public async Task Return_FromSeveralThreadsWhileOneThreadGets_NeverTheSameLeaseTwiceAtOnce()
    {
        // The taker hands every lease to one of three givers, which give it back at once; a lease taken while it
        // is still out (its "out" mark still set) would be handed out twice.
        const int MaxRetained = 64;
        const int Rounds = 200_000;
        var pool = new LeasePool(MaxRetained);
        var outNow = new ConcurrentDictionary<MessageLease, bool>(ReferenceEqualityComparer.Instance);
        BlockingCollection<MessageLease>[] givers = [new(), new(), new()];
        string? failure = null;

        Task[] giving = [.. givers.Select(queue => Task.Run(() =>
        {
            foreach (MessageLease lease in queue.GetConsumingEnumerable())
            {
                if (!outNow.TryRemove(lease, out _))
                {
                    failure ??= "a lease was given back that was not out";
                }

                pool.Return(lease);
            }
        }))];
        Task taking = Task.Run(() =>
        {
            for (int i = 0; i < Rounds && failure is null; i++)
            {
                MessageLease lease = pool.Get();
                if (!outNow.TryAdd(lease, true))
                {
                    failure = $"round {i}: a lease that is still out was handed out again";
                    break;
                }

                if (pool.Pooled > MaxRetained)
                {
                    failure = $"round {i}: {pool.Pooled} pooled leases, more than {MaxRetained}";
                    break;
                }

                givers[i % givers.Length].Add(lease);
            }

            foreach (BlockingCollection<MessageLease> queue in givers)
            {
                queue.CompleteAdding();
            }
        });

        await Task.WhenAll([taking, .. giving]).WaitAsync(Bound);
        Assert.Null(failure);
        Assert.Empty(outNow);

        // Everything is back: the taker finds exactly the pooled leases, each once, without making new ones.
        int pooled = pool.Pooled;
        MessageLease[] all = [.. Enumerable.Range(0, pooled).Select(_ => pool.Get())];
        Assert.All(all, lease => Assert.True(lease.IsPooled));
        Assert.Equal(pooled, all.Distinct().Count());
        Assert.Equal(pooled, pool.Pooled);
        Assert.DoesNotContain(pool.Get(), all);
        foreach (BlockingCollection<MessageLease> queue in givers)
        {
            queue.Dispose();
        }
    }
}
