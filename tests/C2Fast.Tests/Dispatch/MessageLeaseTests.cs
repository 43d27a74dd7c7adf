using System.Buffers;
using System.Text;
using C2Fast.Dispatch;
using C2Fast.Protocol;

namespace C2Fast.Tests.Dispatch;

/// <summary>
/// The lease's version is the handle's proof of ownership: a release succeeds once per version and moves it on,
/// a stale version does nothing, an inline lease is never released; releasing a signal commits its seq_id.
/// </summary>
public class MessageLeaseTests
{
    private static MessageLease Pooled() => new(LeasePool.InitialCapacity, pooled: true);

    private static MessageLease Filled(string json, long? strategyId)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        Assert.Equal(OperationStatus.Done, EnvelopeParser.Parse(bytes, out Envelope envelope, out _));
        MessageLease lease = Pooled();
        lease.Fill(bytes, envelope, strategyId, owner: null);
        return lease;
    }

    private static MessageLease Signal(long strategyId = 101, long seq = 7)
        => Filled($$$"""{"msg_type":"strategy.signal","id":"msg_{{{seq}}}","seq_id":{{{seq}}},"timestamp":"2026-12-08T00:00:00Z","v":4,"payload":{"strategy_id":{{{strategyId}}}}}""", strategyId);

    [Fact]
    public void TryRelease_CurrentVersion_SucceedsOnceAndMovesTheVersion()
    {
        MessageLease lease = Pooled();
        long version = lease.Version;
        Assert.True(lease.IsCurrent(version));

        Assert.True(lease.TryRelease(version));

        Assert.Equal(version + 1, lease.Version);
        Assert.False(lease.IsCurrent(version));
        Assert.False(lease.TryRelease(version)); // a second release through the same handle
        Assert.Equal(version + 1, lease.Version);
    }

    [Fact]
    public void TryRelease_StaleOrFutureVersion_DoesNothing()
    {
        MessageLease lease = Pooled();
        long stale = lease.Version;
        Assert.True(lease.TryRelease(stale));
        long current = lease.Version; // filled again for someone else

        Assert.False(lease.TryRelease(stale));
        Assert.False(lease.TryRelease(current + 1));
        Assert.Equal(current, lease.Version);
        Assert.True(lease.TryRelease(current)); // the current owner still can
    }

    [Fact]
    public void TryRelease_InlineLease_NeverReleasedAndVersionKept()
    {
        var lease = new MessageLease(LeasePool.InitialCapacity, pooled: false, inline: true);
        long version = lease.Version;

        Assert.False(lease.TryRelease(version));

        Assert.True(lease.IsInline);
        Assert.Equal(version, lease.Version);
        Assert.True(lease.IsCurrent(version));
    }

    [Fact]
    public void Invalidate_MovesTheVersionWithoutReleasing()
    {
        var inline = new MessageLease(LeasePool.InitialCapacity, pooled: false, inline: true);
        long version = inline.Version;

        inline.Invalidate(); // the inline handler returned

        Assert.False(inline.IsCurrent(version));
        Assert.Equal(version + 1, inline.Version);

        MessageLease pooled = Pooled();
        long before = pooled.Version;
        pooled.Invalidate();
        Assert.False(pooled.TryRelease(before)); // the handle that held it can no longer release it
        Assert.True(pooled.TryRelease(before + 1));
    }

    [Fact]
    public void Fill_CopiesTheBytesAndTheEnvelopeAndGrowsTheBuffer()
    {
        string payload = new('x', 2_000);
        MessageLease lease = Filled($$$"""{"msg_type":"strategy.positions","id":"p1","seq_id":3,"timestamp":"t","v":4,"payload":{"strategy_id":202,"pad":"{{{payload}}}"}}""", 202);

        Assert.True(lease.Capacity >= lease.Length);
        Assert.True(lease.Length > LeasePool.InitialCapacity);
        Assert.Equal(MessageType.StrategyPositions, lease.Type);
        Assert.Equal(202, lease.StrategyId);
        Assert.Equal(3, lease.SeqId);
        Assert.Equal("p1", Encoding.UTF8.GetString(lease.Id.Slice(lease.Json)));
        Assert.StartsWith("{\"strategy_id\":202", Encoding.UTF8.GetString(lease.Payload.Slice(lease.Json)), StringComparison.Ordinal);
        Assert.Equal(lease.Json.ToArray(), lease.JsonMemory.ToArray());
    }

    [Fact]
    public void Fill_ClearsDiscarded()
    {
        MessageLease lease = Signal();
        lease.Discarded = true;
        byte[] json = lease.Json.ToArray();
        Assert.Equal(OperationStatus.Done, EnvelopeParser.Parse(json, out Envelope envelope, out _));

        lease.Fill(json, envelope, 101, owner: null);

        Assert.False(lease.Discarded);
    }

    [Fact]
    public void TryGetCommit_SignalWithStrategyAndSeq_TheirValues()
    {
        MessageLease lease = Signal(strategyId: 101, seq: 7);

        Assert.True(lease.TryGetCommit(out long strategyId, out long seqId));
        Assert.Equal(101, strategyId);
        Assert.Equal(7, seqId);
    }

    [Fact]
    public void TryGetCommit_DiscardedSignal_False()
    {
        MessageLease lease = Signal();
        lease.Discarded = true;

        Assert.False(lease.TryGetCommit(out _, out _));
    }

    [Fact]
    public void TryGetCommit_NotASignal_False()
    {
        MessageLease positions = Filled("""{"msg_type":"strategy.positions","id":"p","seq_id":3,"timestamp":"t","v":4,"payload":{"strategy_id":101}}""", 101);
        MessageLease gap = Filled("""{"msg_type":"gap","id":"g","timestamp":"t","v":4,"payload":{"strategy_id":null,"channel":"strategy.signal:101"}}""", 101);

        Assert.False(positions.TryGetCommit(out _, out _));
        Assert.False(gap.TryGetCommit(out _, out _));
    }

    [Fact]
    public void TryGetCommit_SignalWithoutStrategyOrSeq_False()
    {
        var noSeq = new Envelope { Type = MessageType.StrategySignal, HasSeqId = false };
        var withSeq = new Envelope { Type = MessageType.StrategySignal, HasSeqId = true, SeqId = 5 };
        MessageLease withoutSeq = Pooled();
        withoutSeq.Fill("{}"u8, noSeq, strategyId: 101, owner: null);
        MessageLease withoutStrategy = Pooled();
        withoutStrategy.Fill("{}"u8, withSeq, strategyId: null, owner: null);
        MessageLease both = Pooled();
        both.Fill("{}"u8, withSeq, strategyId: 101, owner: null);

        Assert.False(withoutSeq.TryGetCommit(out _, out _));
        Assert.False(withoutStrategy.TryGetCommit(out _, out _));
        Assert.True(both.TryGetCommit(out long strategy, out long seq));
        Assert.Equal((101L, 5L), (strategy, seq));
    }

    [Fact]
    public void TryGetCommit_SeqZero_Commits()
    {
        MessageLease lease = Signal(strategyId: 101, seq: 0);

        Assert.True(lease.TryGetCommit(out long strategyId, out long seqId));
        Assert.Equal((101L, 0L), (strategyId, seqId));
    }
}
