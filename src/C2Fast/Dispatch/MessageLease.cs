using C2Fast.Protocol;

namespace C2Fast.Dispatch;

/// <summary>
/// One delivered message: a copy of its bytes and its parsed envelope, owned by whoever holds the current
/// <see cref="Version"/>. Pooled: released leases are filled again for later messages.
/// </summary>
/// <remarks>
/// The version is the handle's proof of ownership. A consumer gets the lease together with the version it had
/// when it was delivered; <see cref="TryRelease"/> succeeds for that version only, once, and moves the version
/// on, so a second release, or a release through a stale handle after the lease was filled again for someone
/// else, does nothing. Readers check <see cref="IsCurrent"/> before they read.
/// </remarks>
internal sealed class MessageLease
{
    private byte[] _buffer;
    private long _version;
    private FeedPartition? _owner;

    internal MessageLease(int initialCapacity, bool pooled, bool inline = false)
    {
        _buffer = new byte[initialCapacity];
        IsPooled = pooled;
        IsInline = inline;
    }

    /// <summary>The current version: the one a handle must hold to read or release the lease.</summary>
    public long Version => Volatile.Read(ref _version);

    /// <summary>The message type as parsed.</summary>
    public MessageType Type { get; private set; }

    /// <summary>The strategy the message belongs to, when known (the payload's, or a gap's channel).</summary>
    public long? StrategyId { get; private set; }

    /// <summary>The envelope's <c>seq_id</c>, when present.</summary>
    public long? SeqId { get; private set; }

    /// <summary>The raw <c>msg_type</c> string.</summary>
    public ValueRange MsgType { get; private set; }

    /// <summary>The raw <c>id</c> string.</summary>
    public ValueRange Id { get; private set; }

    /// <summary>The raw <c>timestamp</c> string.</summary>
    public ValueRange Timestamp { get; private set; }

    /// <summary>The whole <c>payload</c> value.</summary>
    public ValueRange Payload { get; private set; }

    /// <summary>The message as received.</summary>
    public ReadOnlySpan<byte> Json => _buffer.AsSpan(0, Length);

    /// <summary>The message as received, as memory.</summary>
    public ReadOnlyMemory<byte> JsonMemory => _buffer.AsMemory(0, Length);

    /// <summary>Length of the message in the buffer.</summary>
    public int Length { get; private set; }

    /// <summary>Capacity of the retained buffer (the pool drops leases that grew too large).</summary>
    public int Capacity => _buffer.Length;

    /// <summary>Whether the pool keeps this lease (see <see cref="LeasePool"/>).</summary>
    public bool IsPooled { get; }

    /// <summary>Whether this is the one reusable lease of inline delivery: never released by a handle.</summary>
    public bool IsInline { get; }

    /// <summary>Set for a lease no consumer handled (dropped, or drained at shutdown): releasing it commits nothing.</summary>
    public bool Discarded { get; set; }

    /// <summary>The next free lease in a <see cref="LeasePool"/> list.</summary>
    public MessageLease? NextFree { get; set; }

    /// <summary>Whether <paramref name="version"/> still owns the lease.</summary>
    public bool IsCurrent(long version) => Volatile.Read(ref _version) == version;

    /// <summary>Fills the lease with a copy of <paramref name="json"/> (loop thread) for <paramref name="owner"/>'s consumers.</summary>
    public void Fill(ReadOnlySpan<byte> json, in Envelope envelope, long? strategyId, FeedPartition? owner)
    {
        int length = json.Length;
        if (_buffer.Length < length)
        {
            _buffer = new byte[Math.Max(length, Math.Min(_buffer.Length * 2, int.MaxValue / 2))];
        }

        json.CopyTo(_buffer);
        Length = length;
        Type = envelope.Type;
        MsgType = envelope.MsgType;
        Id = envelope.Id;
        Timestamp = envelope.Timestamp;
        Payload = envelope.Payload;
        SeqId = envelope.HasSeqId ? envelope.SeqId : null;
        StrategyId = strategyId;
        Discarded = false;
        _owner = owner;
    }

    /// <summary>
    /// Releases the lease if <paramref name="version"/> still owns it (any thread): the version moves on and the
    /// lease goes back to its partition's pool. False, and nothing happens, for any other version.
    /// </summary>
    public bool TryRelease(long version)
    {
        if (IsInline || Interlocked.CompareExchange(ref _version, version + 1, version) != version)
        {
            return false;
        }

        FeedPartition? owner = _owner;
        _owner = null;
        owner?.Recycle(this);
        return true;
    }

    /// <summary>
    /// Ends the current version without returning the lease anywhere (inline delivery, after the handler returns). Only the
    /// read loop moves an inline lease's version (<see cref="TryRelease"/> never does), so a plain ordered write is enough.
    /// </summary>
    public void Invalidate() => Volatile.Write(ref _version, _version + 1);

    /// <summary>What releasing this lease commits: a signal's strategy and seq_id (read while the lease is being returned).</summary>
    public bool TryGetCommit(out long strategyId, out long seqId)
    {
        strategyId = StrategyId ?? 0;
        seqId = SeqId ?? 0;
        return !Discarded && Type == MessageType.StrategySignal && StrategyId is not null && SeqId is not null;
    }
}
