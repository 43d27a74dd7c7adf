using System.Buffers;
using System.Text;
using System.Threading.Channels;
using C2Fast.Diagnostics;
using C2Fast.Dispatch;
using C2Fast.Protocol;
using C2Fast.Session;

namespace C2Fast.Tests;

/// <summary>
/// The public message handle over leases from the queues: <c>default</c> is never valid, copies share fate, a
/// dispose through an old handle never touches the message its lease carries now, and two threads disposing
/// copies at once release the message exactly once.
/// </summary>
public class C2FeedMessageTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static FeedQueues NewQueues() => new(LayerSettings.Queues(new C2FeedOptions()), new FeedCounters());

    private static ChannelReader<C2FeedMessage> ReaderOf(FeedQueues queues) => new PartitionReader(queues.Partition(0));

    private static void Deliver(FeedQueues queues, long seq, long strategy = 101)
    {
        byte[] json = Encoding.UTF8.GetBytes(
            $$$"""{"msg_type":"strategy.signal","id":"msg_{{{seq}}}","seq_id":{{{seq}}},"timestamp":"2026-12-08T00:00:00Z","v":4,"payload":{"strategy_id":{{{strategy}}},"signal_id":{{{seq}}}}}""");
        Assert.Equal(OperationStatus.Done, EnvelopeParser.Parse(json, out Envelope envelope, out _));
        Assert.True(queues.Deliver(json, envelope, strategy));
    }

    private static C2FeedMessage Read(ChannelReader<C2FeedMessage> reader)
    {
        Assert.True(reader.TryRead(out C2FeedMessage message));
        return message;
    }

    /// <summary>
    /// A gap whose strings are not UTF-16 text (a lone surrogate escape: valid JSON, delivered since the adversarial
    /// findings) is a payload that does not match the record: JsonException, as documented, never an
    /// InvalidOperationException that reads like "not a gap".
    /// </summary>
    [Theory]
    [InlineData("""{"strategy_id":null,"channel":"strategy.signal:101","from":"\ud800","message":"x"}""")]
    [InlineData("""{"strategy_id":null,"channel":"strategy.signal:101","from":"5","message":"\udfff"}""")]
    public void GetGap_LoneSurrogateInAString_JsonException(string payload)
    {
        FeedQueues queues = NewQueues();
        byte[] json = Encoding.UTF8.GetBytes($$"""{"msg_type":"gap","id":"msg_g","v":4,"payload":{{payload}}}""");
        Assert.Equal(OperationStatus.Done, EnvelopeParser.Parse(json, out Envelope envelope, out _));
        Assert.True(queues.Deliver(json, envelope, strategyId: null));

        using C2FeedMessage message = Read(ReaderOf(queues));
        Assert.Equal(C2MessageType.Gap, message.Type);
        Assert.Throws<System.Text.Json.JsonException>(() => message.GetGap());
    }

    [Fact]
    public void Default_NotValidReadsThrowAndDisposeDoesNothing()
    {
        C2FeedMessage message = default;

        Assert.False(message.IsValid);
        Assert.Throws<ObjectDisposedException>(() => message.Type);
        Assert.Throws<ObjectDisposedException>(() => message.SeqId);
        Assert.Throws<ObjectDisposedException>(() => message.StrategyId);
        Assert.Throws<ObjectDisposedException>(() => message.Json);
        Assert.Throws<ObjectDisposedException>(() => message.Payload);
        Assert.Throws<ObjectDisposedException>(() => message.MsgTypeUtf8.Length);
        Assert.Throws<ObjectDisposedException>(() => message.GetMsgType());
        Assert.Throws<ObjectDisposedException>(() => message.GetId());
        Assert.Throws<ObjectDisposedException>(() => message.GetTimestamp());
        Assert.Throws<ObjectDisposedException>(() => message.GetSignal());
        message.Dispose();
        message.Dispose();
        Assert.False(message.IsValid);
        Assert.NotNull(message.ToString());
    }

    [Fact]
    public void Delivered_ValidUntilDisposedThenReadsThrow()
    {
        FeedQueues queues = NewQueues();
        Deliver(queues, 7);
        C2FeedMessage message = Read(ReaderOf(queues));

        Assert.True(message.IsValid);
        Assert.Equal(C2MessageType.Signal, message.Type);
        Assert.Equal(7, message.SeqId);
        Assert.Equal(101, message.StrategyId);
        Assert.Equal("msg_7", message.GetId());
        Assert.Equal("strategy.signal", message.GetMsgType());
        Assert.Equal(new DateTimeOffset(2026, 12, 8, 0, 0, 0, TimeSpan.Zero), message.GetTimestamp());
        Assert.Equal(1, queues.QueuedMessages);

        message.Dispose();

        Assert.False(message.IsValid);
        Assert.Throws<ObjectDisposedException>(() => message.SeqId);
        Assert.Throws<ObjectDisposedException>(() => message.Json);
        Assert.Equal(0, queues.QueuedMessages);
        Assert.Equal(0, queues.QueuedBytes);
    }

    [Fact]
    public void Copies_ShareFate_DisposeThroughOneEndsAllOnce()
    {
        FeedQueues queues = NewQueues();
        Deliver(queues, 1);
        C2FeedMessage message = Read(ReaderOf(queues));
        C2FeedMessage copy = message;
        object boxed = message;

        copy.Dispose();

        Assert.False(message.IsValid);
        Assert.False(((C2FeedMessage)boxed).IsValid);
        Assert.Throws<ObjectDisposedException>(() => message.Type);
        message.Dispose();
        ((IDisposable)boxed).Dispose();
        Assert.Equal(1, queues.Partition(0).ReleasedMessages);
        Assert.Equal(0, queues.QueuedMessages);
    }

    [Fact]
    public void TryPeek_NotOffered_SoNoSecondHandleCanDisposeAQueuedMessage()
    {
        FeedQueues queues = NewQueues();
        ChannelReader<C2FeedMessage> reader = ReaderOf(queues);
        Deliver(queues, 1);

        // A peeked handle would own the message still in the ring: disposing it would recycle the copy the next read
        // hands out. So the public reader does not peek.
        Assert.False(reader.CanPeek);
        Assert.False(reader.TryPeek(out _));
        C2FeedMessage read = Read(reader);
        Assert.Equal(1, read.SeqId);
        read.Dispose();
    }

    [Fact]
    public void Dispose_OldHandleAfterTheLeaseWasReused_DoesNothingToTheNewMessage()
    {
        FeedQueues queues = NewQueues();
        ChannelReader<C2FeedMessage> reader = ReaderOf(queues);
        Deliver(queues, 1);
        C2FeedMessage first = Read(reader);
        C2FeedMessage firstCopy = first;
        first.Dispose();

        Deliver(queues, 2); // the one pooled lease is filled again
        C2FeedMessage second = Read(reader);
        Assert.Equal(1, queues.PooledLeases);

        firstCopy.Dispose();
        first.Dispose();

        Assert.True(second.IsValid);
        Assert.Equal(2, second.SeqId);
        Assert.Equal(1, queues.QueuedMessages);
        Assert.Equal(1, queues.Partition(0).ReleasedMessages);
        Assert.Throws<ObjectDisposedException>(() => firstCopy.SeqId); // the old handle does not see the new message
        second.Dispose();
        Assert.Equal(0, queues.QueuedMessages);
    }

    [Fact]
    public void Dispose_Signal_CommitsItsStrategyAndSeqOnce()
    {
        FeedQueues queues = NewQueues();
        var commits = new List<(long, long)>();
        queues.OnConsumed = (strategy, seq) => commits.Add((strategy, seq));
        Deliver(queues, 5, strategy: 202);
        C2FeedMessage message = Read(ReaderOf(queues));

        message.Dispose();
        message.Dispose();

        Assert.Equal(new[] { (202L, 5L) }, commits);
    }

    [Fact]
    public async Task Dispose_TwoThreadsDisposeCopiesOfTheSameHandlesAtOnce_EachReleasedExactlyOnce()
    {
        const int Count = 5_000;
        FeedQueues queues = NewQueues();
        ChannelReader<C2FeedMessage> reader = ReaderOf(queues);
        long commits = 0;
        queues.OnConsumed = (_, _) => Interlocked.Increment(ref commits);
        for (long seq = 1; seq <= Count; seq++)
        {
            Deliver(queues, seq);
        }

        C2FeedMessage[] handles = [.. Enumerable.Range(0, Count).Select(_ => Read(reader))];
        using var start = new Barrier(2);
        Task[] disposers = [.. Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait(Bound);
            foreach (C2FeedMessage handle in handles)
            {
                C2FeedMessage copy = handle;
                copy.Dispose();
            }
        }))];
        await Task.WhenAll(disposers).WaitAsync(Bound);

        Assert.Equal(Count, queues.Partition(0).ReleasedMessages);
        Assert.Equal(0, queues.QueuedMessages);
        Assert.Equal(0, queues.QueuedBytes);
        Assert.Equal(Count, Interlocked.Read(ref commits));
        Assert.All(handles, handle => Assert.False(handle.IsValid));

        // Each lease went back to the pool once: filled again, they are all different messages.
        for (long seq = Count + 1; seq <= 2 * Count; seq++)
        {
            Deliver(queues, seq);
        }

        C2FeedMessage[] again = [.. Enumerable.Range(0, Count).Select(_ => Read(reader))];
        Assert.Equal(Enumerable.Range(Count + 1, Count).Select(i => (long?)i), again.Select(m => m.SeqId));
        Assert.Equal(Count, queues.PooledLeases);
        foreach (C2FeedMessage message in again)
        {
            message.Dispose();
        }
    }
}
