using System.Buffers;
using System.Text;
using System.Threading.Channels;
using C2Fast.Diagnostics;
using C2Fast.Dispatch;
using C2Fast.Protocol;
using C2Fast.Session;

namespace C2Fast.Tests.Dispatch;

/// <summary>
/// The partition ring as the read loop and consumers use it: order, growth, fullness and resume,
/// batched wake-ups, cancellation, completion, several readers, and a two-thread stress run.
/// </summary>
public class FeedPartitionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static C2FeedOptions Options(int capacity = 65_536, C2SlowConsumerPolicy policy = C2SlowConsumerPolicy.Wait, int partitions = 1)
        => new() { Queues = new C2QueueOptions { Capacity = capacity, SlowConsumerPolicy = policy, Partitions = partitions } };

    private static FeedQueues NewQueues(C2FeedOptions options) => new(LayerSettings.Queues(options), new FeedCounters());

    /// <summary>The partition as the application reads it: handles to the leases.</summary>
    private static ChannelReader<C2FeedMessage> ReaderOf(FeedQueues queues, int partition = 0) => new PartitionReader(queues.Partition(partition));

    private static byte[] Signal(long seq, long strategy = 101)
        => Encoding.UTF8.GetBytes($$$"""{"msg_type":"strategy.signal","id":"msg_{{{seq}}}","seq_id":{{{seq}}},"timestamp":"2024-01-01T12:00:00Z","v":4,"payload":{"strategy_id":{{{strategy}}}}}""");

    /// <summary>What the dispatcher does for one signal: parse, then deliver.</summary>
    private static bool Deliver(FeedQueues queues, long seq, long strategy = 101) => Deliver(queues, Signal(seq, strategy), strategy);

    private static bool Deliver(FeedQueues queues, byte[] json, long strategy = 101)
    {
        Assert.Equal(OperationStatus.Done, EnvelopeParser.Parse(json, out Envelope envelope, out _));
        return queues.Deliver(json, envelope, strategy);
    }

    private static long ReadSeq(ChannelReader<C2FeedMessage> reader)
    {
        Assert.True(reader.TryRead(out C2FeedMessage message));
        long seq = message.SeqId!.Value;
        message.Dispose();
        return seq;
    }

    [Fact]
    public void Deliver_ThousandMessages_ReadInOrderWhileTheRingGrows()
    {
        var queues = NewQueues(Options());
        FeedPartition partition = queues.Partition(0);
        ChannelReader<C2FeedMessage> handles = new PartitionReader(partition);
        int initial = partition.RingSize;
        for (int i = 1; i <= 1000; i++)
        {
            Assert.True(Deliver(queues, i));
        }

        Assert.True(partition.RingSize >= 1000 && initial < 1000, $"ring {initial} → {partition.RingSize}");
        Assert.Equal(1000, partition.Count);
        Assert.Equal(1000, queues.QueuedMessages);
        for (int i = 1; i <= 1000; i++)
        {
            Assert.Equal(i, ReadSeq(handles));
        }

        Assert.False(partition.TryRead(out _));
        Assert.Equal(0, queues.QueuedMessages);
        Assert.Equal(0, queues.QueuedBytes);
    }

    [Fact]
    public void Deliver_RingWrapsManyTimes_LeasesAreReusedAndOrderKept()
    {
        var queues = NewQueues(Options(capacity: 16));
        FeedPartition partition = queues.Partition(0);
        ChannelReader<C2FeedMessage> handles = new PartitionReader(partition);
        for (int i = 1; i <= 10_000; i++)
        {
            Assert.True(Deliver(queues, i));
            Assert.Equal(i, ReadSeq(handles));
        }

        Assert.Equal(16, partition.RingSize); // never grew past one message of backlog
        Assert.Equal(1, queues.PooledLeases); // one lease went round and round
    }

    [Fact]
    public async Task Deliver_WaitPolicyPartitionFills_PausesUntilHalfEmptyAndDisposed()
    {
        var queues = NewQueues(Options(capacity: 8));
        ChannelReader<C2FeedMessage> reader = ReaderOf(queues, 0);
        for (int i = 1; i <= 7; i++)
        {
            Assert.True(Deliver(queues, i));
        }

        Assert.False(Deliver(queues, 8)); // the eighth fills it: pause (it is queued all the same)
        Assert.Equal(8, reader.Count);

        ValueTask resumed = queues.WaitForCapacityAsync(CancellationToken.None);
        for (int i = 1; i <= 3; i++)
        {
            Assert.Equal(i, ReadSeq(reader));
        }

        // Not yet, checked on the state rather than after a sleep: the wait completes only once it finds the
        // partition at most half full (it looks again after every wake-up), and five of eight is more than half.
        // Nothing changes that state until the next read, so a late wake-up cannot complete it either.
        Assert.False(queues.Partition(0).IsHalfEmpty, "five of eight is more than half full");
        Assert.False(resumed.IsCompleted, "five of eight is more than half full");
        Assert.Equal(4, ReadSeq(reader));
        await resumed.AsTask().WaitAsync(Patience);
        Assert.True(Deliver(queues, 9));
    }

    [Fact]
    public async Task Deliver_WaitPolicyOverBudget_ResumesOnlyAtHalfTheBudgetOfDisposedBytes()
    {
        int size = Signal(1).Length;
        var queues = NewQueues(Options() with { Queues = new C2QueueOptions { MaxBufferedBytes = size * 4L }, Connection = new C2ConnectionOptions { MaxMessageSize = size } });
        ChannelReader<C2FeedMessage> reader = ReaderOf(queues, 0);
        for (int i = 1; i <= 4; i++)
        {
            Assert.True(Deliver(queues, i));
        }

        Assert.False(Deliver(queues, 5)); // five messages' bytes pass a four-message budget
        ValueTask resumed = queues.WaitForCapacityAsync(CancellationToken.None);

        // Read but not disposed: the bytes are still held. Not yet, checked on the state rather than after a
        // sleep: the wait completes only once it finds the held bytes at most half the budget (it looks again
        // after every wake-up), and only a dispose lowers them.
        Assert.True(reader.TryRead(out C2FeedMessage a));
        Assert.True(reader.TryRead(out C2FeedMessage b));
        Assert.True(reader.TryRead(out C2FeedMessage c));
        Assert.Equal(5 * size, queues.QueuedBytes);
        Assert.False(resumed.IsCompleted);
        a.Dispose();
        b.Dispose();
        Assert.Equal(3 * size, queues.QueuedBytes); // above the resume point, half of the four-message budget
        Assert.False(resumed.IsCompleted, "three of four messages' bytes are held: more than half");
        c.Dispose();
        await resumed.AsTask().WaitAsync(Patience);
        Assert.Equal(2 * size, queues.QueuedBytes);
    }

    [Fact]
    public async Task WaitToReadAsync_Empty_PendsUntilFlush()
    {
        var queues = NewQueues(Options());
        ChannelReader<C2FeedMessage> reader = ReaderOf(queues, 0);
        ValueTask<bool> wait = reader.WaitToReadAsync();
        Assert.False(wait.IsCompleted);

        Deliver(queues, 1);
        // No sleep needed: a wake-up completes the wait synchronously on the delivering thread (only its
        // continuation runs later), so a wait the delivery woke would already be completed here.
        Assert.False(wait.IsCompleted, "one message does not wake the reader before the end of the socket read");
        queues.Flush();
        Assert.True(await wait.AsTask().WaitAsync(Patience));
        Assert.Equal(1, ReadSeq(reader));
    }

    [Fact]
    public async Task WaitToReadAsync_WakeBatchDelivered_WokenBeforeFlush()
    {
        var queues = NewQueues(Options());
        ChannelReader<C2FeedMessage> reader = ReaderOf(queues, 0);
        ValueTask<bool> wait = reader.WaitToReadAsync();
        for (int i = 1; i <= FeedPartition.WakeBatch; i++)
        {
            Deliver(queues, i);
        }

        Assert.True(await wait.AsTask().WaitAsync(Patience));
        Assert.Equal(FeedPartition.WakeBatch, reader.Count);
    }

    [Fact]
    public async Task WaitToReadAsync_Cancelled_ThrowsAndTheNextWaitStillWorks()
    {
        var queues = NewQueues(Options());
        ChannelReader<C2FeedMessage> reader = ReaderOf(queues, 0);
        using var cancel = new CancellationTokenSource();
        ValueTask<bool> wait = reader.WaitToReadAsync(Environment.GetEnvironmentVariable("NOTOKEN") is null ? cancel.Token : default);
        Assert.False(wait.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.AsTask().WaitAsync(Patience));

        using var later = new CancellationTokenSource();
        ValueTask<bool> next = reader.WaitToReadAsync(later.Token);
        Deliver(queues, 7);
        queues.Flush();
        Assert.True(await next.AsTask().WaitAsync(Patience));
        Assert.Equal(7, ReadSeq(reader));
    }

    [Fact]
    public async Task WaitToReadAsync_AlreadyCancelledToken_Throws()
    {
        var queues = NewQueues(Options());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReaderOf(queues, 0).WaitToReadAsync(new CancellationToken(canceled: true)).AsTask());
    }

    [Fact]
    public async Task Complete_QueuedMessagesDrainThenReadsEnd()
    {
        var queues = NewQueues(Options());
        ChannelReader<C2FeedMessage> reader = ReaderOf(queues, 0);
        Deliver(queues, 1);
        Deliver(queues, 2);
        queues.Complete();

        Assert.False(reader.Completion.IsCompleted, "two messages are still queued");
        Assert.True(await reader.WaitToReadAsync().AsTask().WaitAsync(Patience));
        Assert.Equal(1, ReadSeq(reader));
        Assert.Equal(2, ReadSeq(reader));
        Assert.False(await reader.WaitToReadAsync().AsTask().WaitAsync(Patience));
        await reader.Completion.WaitAsync(Patience);
    }

    [Fact]
    public async Task Complete_WhileReaderWaits_WaitReturnsFalse()
    {
        var queues = NewQueues(Options());
        ChannelReader<C2FeedMessage> reader = ReaderOf(queues, 0);
        ValueTask<bool> wait = reader.WaitToReadAsync();
        queues.Complete();
        Assert.False(await wait.AsTask().WaitAsync(Patience));
        await reader.Completion.WaitAsync(Patience);
    }

    [Fact]
    public async Task WaitToReadAsync_TwoReadersWaiting_BothWoken()
    {
        var queues = NewQueues(Options());
        ChannelReader<C2FeedMessage> reader = ReaderOf(queues, 0);
        Task<bool> first = reader.WaitToReadAsync().AsTask();
        Task<bool> second = reader.WaitToReadAsync().AsTask(); // the primary waiter is taken: the shared path
        Assert.False(first.IsCompleted || second.IsCompleted);
        Deliver(queues, 1);
        queues.Flush();
        Assert.True(await first.WaitAsync(Patience));
        Assert.True(await second.WaitAsync(Patience));
    }

    [Fact]
    public async Task ShedPolicy_FullPartition_DrainWaitsUntilThePartitionIsHalfEmpty()
    {
        // DisconnectAndResume: a full partition (far below the byte budget) sheds; resuming must wait for that partition,
        // not only for the bytes, or the client would reconnect and shed again at once.
        var queues = NewQueues(Options(capacity: 8, policy: C2SlowConsumerPolicy.DisconnectAndResume));
        ChannelReader<C2FeedMessage> reader = ReaderOf(queues, 0);
        for (int i = 1; i <= 8; i++)
        {
            Assert.False(queues.ShouldShed(101, Signal(i).Length));
            Assert.True(Deliver(queues, i));
        }

        Assert.True(queues.ShouldShed(101, Signal(9).Length));
        Task drained = queues.WaitForDrainAsync(CancellationToken.None);
        for (int i = 1; i <= 3; i++)
        {
            Assert.Equal(i, ReadSeq(reader));
        }

        // Checked on the state, not after a sleep: five of eight is more than half, and only a read lowers it.
        Assert.False(queues.Partition(0).IsHalfEmpty);
        Assert.False(drained.IsCompleted, "five of eight is more than half full");
        Assert.Equal(4, ReadSeq(reader));
        await drained.WaitAsync(Patience);
    }

    [Fact]
    public void TryPeek_SeesTheOldestWithoutTakingIt()
    {
        var queues = NewQueues(Options());
        FeedPartition partition = queues.Partition(0);
        ChannelReader<C2FeedMessage> reader = ReaderOf(queues, 0);
        Assert.False(partition.TryPeek(out _));
        Deliver(queues, 5);
        Assert.True(partition.TryPeek(out MessageLease? peeked));
        Assert.Equal(5, peeked.SeqId);
        Assert.Equal(5, ReadSeq(reader));
    }

    [Theory]
    [InlineData(C2SlowConsumerPolicy.DropOldest, new long[] { 3, 4, 5, 6 })]
    [InlineData(C2SlowConsumerPolicy.DropNewest, new long[] { 1, 2, 3, 4 })]
    public void Deliver_DropPolicyFull_NeverPausesAndCountsEachDrop(C2SlowConsumerPolicy policy, long[] kept)
    {
        var queues = NewQueues(Options(capacity: 4, policy: policy));
        for (int i = 1; i <= 6; i++)
        {
            Assert.True(Deliver(queues, i));
        }

        ChannelReader<C2FeedMessage> reader = ReaderOf(queues, 0);
        Assert.Equal(kept, Enumerable.Range(0, 4).Select(_ => ReadSeq(reader)));
        Assert.False(reader.TryRead(out _));
        Assert.Equal(2, queues.Counters.SignalsDropped);
        Assert.Equal(2, queues.Counters.MessagesDropped);
        Assert.Equal(0, queues.QueuedBytes);
    }

    [Fact]
    public async Task Stress_ProducerAndConsumerThreads_EveryMessageOnceInOrder()
    {
        const int Messages = 200_000;
        var queues = NewQueues(Options(capacity: 64));
        ChannelReader<C2FeedMessage> reader = ReaderOf(queues, 0);
        Task<long> consumer = Task.Run(async () =>
        {
            long expected = 1;
            await foreach (C2FeedMessage message in reader.ReadAllAsync())
            {
                using (message)
                {
                    Assert.Equal(expected, message.SeqId);
                    expected++;
                }
            }

            return expected - 1;
        });

        await Task.Run(async () =>
        {
            var random = new Random(42);
            for (int i = 1; i <= Messages; i++)
            {
                if (!Deliver(queues, i))
                {
                    await queues.WaitForCapacityAsync(CancellationToken.None).AsTask().WaitAsync(Patience);
                }

                if (random.Next(8) == 0)
                {
                    queues.Flush(); // the end of a socket read, at random sizes
                }
            }

            queues.Flush();
            queues.Complete();
        }).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(Messages, await consumer.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, queues.QueuedBytes);
        Assert.True(queues.Counters.BackpressurePauses > 0, "the small ring should have paused the producer");
    }

    [Fact]
    public async Task Stress_TwoReadersOnePartition_EveryMessageExactlyOnce()
    {
        const int Messages = 100_000;
        var queues = NewQueues(Options(capacity: 128));
        ChannelReader<C2FeedMessage> reader = ReaderOf(queues, 0);
        var seen = new int[Messages + 1];
        Task[] readers = [.. Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out C2FeedMessage message))
                {
                    Interlocked.Increment(ref seen[message.SeqId!.Value]);
                    message.Dispose();
                }
            }
        }))];

        for (int i = 1; i <= Messages; i++)
        {
            if (!Deliver(queues, i))
            {
                await queues.WaitForCapacityAsync(CancellationToken.None).AsTask().WaitAsync(Patience);
            }

            if (i % 5 == 0)
            {
                queues.Flush();
            }
        }

        queues.Flush();
        queues.Complete();
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(seen.Skip(1), count => Assert.Equal(1, count));
    }

    [Fact]
    public void WaitToReadAsync_CancellableWaitCycles_AllocateNothing()
    {
        var queues = NewQueues(Options());
        ChannelReader<C2FeedMessage> reader = ReaderOf(queues, 0);
        using var cancel = new CancellationTokenSource();
        byte[] json = Signal(1);
        EnvelopeParser.Parse(json, out Envelope envelope, out _);

        // Every step on this thread: park (with a cancellation registration), deliver, wake, take the
        // result, read, dispose; so the per-thread counter sees all of the waiter's own allocations.
        int Cycles(int count)
        {
            int woken = 0;
            for (int i = 0; i < count; i++)
            {
                ValueTask<bool> wait = reader.WaitToReadAsync(cancel.Token);
                queues.Deliver(json, envelope, 101); // no assertion inside: xunit's allocate
                queues.Flush();
                if (wait.IsCompleted && wait.Result && reader.TryRead(out C2FeedMessage message))
                {
                    message.Dispose();
                    woken++;
                }
            }

            return woken;
        }

        Assert.Equal(100, Cycles(100)); // warm-up: JIT, lease, registration node
        long before = GC.GetAllocatedBytesForCurrentThread();
        int woken = Cycles(10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(10_000, woken);
        Assert.Equal(0, allocated);
    }
}
