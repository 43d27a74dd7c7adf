using System.Globalization;
using System.Text;
using System.Text.Json;
using C2Fast.Dispatch;
using C2Fast.Protocol;

namespace C2Fast;

/// <summary>
/// One message from the feed, leased from a pool: read it, then <see cref="Dispose"/> it.
/// </summary>
/// <remarks>
/// The bytes are a copy the client owns (never the receive buffer), so a consumer may keep the
/// lease as long as it needs; memory held by undisposed leases counts against
/// <see cref="C2FeedOptions.MaxBufferedBytes"/>. Dispose exactly once, and do not touch the
/// message afterwards: the instance goes back to a pool and is reused for a later message, so a
/// late second <see cref="Dispose"/> would return that later message (a disposed, not yet reused
/// lease throws <see cref="ObjectDisposedException"/>). Under <see cref="C2FeedClient.RunConsumersAsync"/>
/// the runner disposes for you. Disposing a signal is what tells the client it was handled
/// (the checkpoint moves). A message given to <see cref="C2FeedOptions.InlineHandler"/> is the
/// exception: it is the client's, valid only during the handler's call, and needs no dispose.
/// Envelope fields are read without allocating; the typed and string accessors allocate on demand.
/// </remarks>
public sealed class C2FeedMessage : IDisposable
{
    private byte[] _buffer;
    private int _length;
    private ValueRange _msgType;
    private ValueRange _id;
    private ValueRange _timestamp;
    private ValueRange _payload;
    private long _seqId;
    private long _strategyId;
    private bool _hasSeqId;
    private bool _hasStrategyId;
    private C2MessageType _type;
    private FeedPartition? _owner;
    private bool _discarded;
    private int _generation;

    internal C2FeedMessage(int initialCapacity, bool pooled)
    {
        _buffer = new byte[initialCapacity];
        IsPooled = pooled;
    }

    /// <summary>The message type.</summary>
    public C2MessageType Type
    {
        get
        {
            ThrowIfReleased();
            return _type;
        }
    }

    /// <summary>The <c>seq_id</c> (always present on signals); <see langword="null"/> when absent or JSON null.</summary>
    public long? SeqId
    {
        get
        {
            ThrowIfReleased();
            return _hasSeqId ? _seqId : null;
        }
    }

    /// <summary>The payload's <c>strategy_id</c> (signals, positions, gaps); <see langword="null"/> when absent or JSON null.</summary>
    public long? StrategyId
    {
        get
        {
            ThrowIfReleased();
            return _hasStrategyId ? _strategyId : null;
        }
    }

    /// <summary>The whole message as received: UTF-8 JSON, byte for byte.</summary>
    public ReadOnlyMemory<byte> Json
    {
        get
        {
            ThrowIfReleased();
            return _buffer.AsMemory(0, _length);
        }
    }

    /// <summary>The raw <c>payload</c> value (braces included); empty when the message has none.</summary>
    public ReadOnlyMemory<byte> Payload
    {
        get
        {
            ThrowIfReleased();
            return _payload.IsPresent ? _buffer.AsMemory(_payload.Start, _payload.Length) : ReadOnlyMemory<byte>.Empty;
        }
    }

    /// <summary>The raw <c>msg_type</c> bytes as on the wire (escapes not decoded) — useful for <see cref="C2MessageType.Unknown"/>.</summary>
    public ReadOnlySpan<byte> MsgTypeUtf8 => Raw(_msgType);

    /// <summary>The <c>msg_type</c> as a string (allocates).</summary>
    public string GetMsgType() => Decode(_msgType) ?? string.Empty;

    /// <summary>The server-assigned <c>id</c> (allocates); <see langword="null"/> when absent.</summary>
    public string? GetId() => Decode(_id);

    /// <summary>The server <c>timestamp</c>, parsed without allocating; <see langword="null"/> when absent or unparsable.</summary>
    public DateTimeOffset? GetTimestamp()
    {
        ReadOnlySpan<byte> raw = Raw(_timestamp);
        Span<char> chars = stackalloc char[64];
        if (raw.IsEmpty || raw.Length > chars.Length || _timestamp.IsEscaped)
        {
            return null;
        }

        int count = Encoding.ASCII.GetChars(raw, chars);
        return DateTimeOffset.TryParse(chars[..count], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset value) ? value : null;
    }

    /// <summary>The payload of a <see cref="C2MessageType.Signal"/> as a typed record (allocates; schema per the simulator's [CHOICE]).</summary>
    /// <exception cref="InvalidOperationException">The message is not a signal.</exception>
    /// <exception cref="JsonException">The payload does not match the record.</exception>
    public C2Signal GetSignal() => Deserialize(C2MessageType.Signal, C2JsonContext.Default.C2Signal);

    /// <summary>The payload of a <see cref="C2MessageType.Positions"/> message as a typed record (allocates).</summary>
    /// <exception cref="InvalidOperationException">The message is not a positions update.</exception>
    /// <exception cref="JsonException">The payload does not match the record.</exception>
    public C2Positions GetPositions() => Deserialize(C2MessageType.Positions, C2JsonContext.Default.C2Positions);

    /// <summary>The payload of a <see cref="C2MessageType.Gap"/> message as a typed record (allocates).</summary>
    /// <exception cref="InvalidOperationException">The message is not a gap.</exception>
    public C2Gap GetGap() => Deserialize(C2MessageType.Gap, C2JsonContext.Default.C2Gap);

    /// <summary>Returns the lease to the pool. The message must not be used afterwards.</summary>
    public void Dispose()
    {
        if (IsInline)
        {
            return; // the loop's own instance: it is closed when the handler returns
        }

        FeedPartition? owner = Interlocked.Exchange(ref _owner, null);
        owner?.Recycle(this);
    }

    /// <inheritdoc/>
    public override string ToString()
        => _owner is null ? "C2FeedMessage (disposed)" : $"{_type} strategy={_strategyId} seq={(_hasSeqId ? _seqId : null)} ({_length} B)";

    /// <summary>
    /// Fills a pooled instance with a copy of <paramref name="json"/> (loop thread). An inline instance is given
    /// the first partition only as its "open" mark: it is never recycled (see <see cref="Dispose"/>).
    /// </summary>
    internal void Fill(FeedPartition owner, ReadOnlySpan<byte> json, in Envelope envelope, C2MessageType type, long? strategyId)
    {
        int length = json.Length;
        if (_buffer.Length < length)
        {
            _buffer = new byte[Math.Max(length, Math.Min(_buffer.Length * 2, int.MaxValue / 2))];
        }

        json.CopyTo(_buffer);
        _length = length;
        _type = type;
        _msgType = envelope.MsgType;
        _id = envelope.Id;
        _timestamp = envelope.Timestamp;
        _payload = envelope.Payload;
        _hasSeqId = envelope.HasSeqId;
        _seqId = envelope.SeqId;
        _hasStrategyId = strategyId is not null;
        _strategyId = strategyId ?? 0;
        _discarded = false;
        _generation++;
        _owner = owner;
    }

    /// <summary>Changes every time the instance is leased again.</summary>
    internal int Generation => Volatile.Read(ref _generation);

    /// <summary>Disposes only if the lease is still the one of <paramref name="generation"/> (runner safety net).</summary>
    internal void DisposeIfGeneration(int generation)
    {
        if (Volatile.Read(ref _generation) == generation)
        {
            Dispose();
        }
    }

    /// <summary>Marks a lease that no consumer handled (dropped, or drained at shutdown): disposing it commits nothing.</summary>
    internal void MarkDiscarded() => _discarded = true;

    /// <summary>What disposing this lease commits: a signal's strategy and seq_id (readable while the lease is being returned).</summary>
    internal bool TryGetCommit(out long strategyId, out long seqId)
    {
        strategyId = _strategyId;
        seqId = _seqId;
        return !_discarded && _type == C2MessageType.Signal && _hasStrategyId && _hasSeqId;
    }

    /// <summary>Capacity of the retained buffer (the pool drops instances that grew too large).</summary>
    internal int Capacity => _buffer.Length;

    /// <summary>Length of the message in the buffer.</summary>
    internal int Length => _length;

    /// <summary>Whether the pool keeps this instance (see <see cref="LeasePool"/>).</summary>
    internal bool IsPooled { get; }

    /// <summary>Whether this is the instance an <see cref="C2FeedOptions.InlineHandler"/> sees (never pooled, never disposed).</summary>
    internal bool IsInline { get; private init; }

    /// <summary>The one reusable message of an inline handler; <see cref="Fill"/> opens it, <see cref="CloseInline"/> closes it.</summary>
    internal static C2FeedMessage CreateInline() => new(LeasePool.InitialCapacity, pooled: false) { IsInline = true };

    /// <summary>Ends an inline handler's call: reading the message from now on throws, until the next <see cref="Fill"/>.</summary>
    internal void CloseInline() => _owner = null;

    /// <summary>The next free lease in a <see cref="LeasePool"/> list.</summary>
    internal C2FeedMessage? NextFree { get; set; }

    private T Deserialize<T>(C2MessageType expected, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
    {
        ThrowIfReleased();
        if (_type != expected)
        {
            throw new InvalidOperationException($"This is a {_type} message, not {expected}.");
        }

        return JsonSerializer.Deserialize(_buffer.AsSpan(_payload.Start, _payload.Length), info)
            ?? throw new JsonException($"The {expected} payload is null.");
    }

    private ReadOnlySpan<byte> Raw(ValueRange range)
    {
        ThrowIfReleased();
        return range.IsPresent ? _buffer.AsSpan(range.Start, range.Length) : default;
    }

    private string? Decode(ValueRange range)
    {
        ReadOnlySpan<byte> raw = Raw(range);
        if (!range.IsPresent)
        {
            return null;
        }

        if (!range.IsEscaped)
        {
            return Encoding.UTF8.GetString(raw);
        }

        byte[] decoded = new byte[raw.Length];
        EnvelopeParser.Unescape(_buffer.AsSpan(0, _length), range, decoded, out int written);
        return Encoding.UTF8.GetString(decoded, 0, written);
    }

    private void ThrowIfReleased()
    {
        if (_owner is null)
        {
            ThrowDisposed();
        }
    }

    private void ThrowDisposed() => throw new ObjectDisposedException(
        nameof(C2FeedMessage),
        IsInline ? "An inline message is valid only during the handler's call; copy what you need to keep." : "The message was disposed and its lease returned to the pool.");
}
