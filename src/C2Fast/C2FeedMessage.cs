using System.Globalization;
using System.Text;
using System.Text.Json;
using C2Fast.Diagnostics;
using C2Fast.Dispatch;
using C2Fast.Protocol;

namespace C2Fast;

/// <summary>
/// One message from the feed: a handle to a pooled copy of its bytes. Read it, then <see cref="Dispose"/> it.
/// </summary>
/// <remarks>
/// <para>
/// The bytes are a copy the client owns (never the receive buffer), so a consumer may keep the message as long
/// as it needs; memory held by undisposed messages counts against <see cref="C2QueueOptions.MaxBufferedBytes"/>.
/// Disposing returns the copy to a pool, and disposing a signal is what tells the client it was handled (its
/// checkpoint moves).
/// </para>
/// <para>
/// A handle is a small value. <see cref="Dispose"/> is safe to call any number of times, from any copy of the
/// handle: only the first call returns the message, and it can never return a message that has since been
/// handed to someone else. After it, reading the message throws <see cref="ObjectDisposedException"/>.
/// Under <see cref="C2FeedClient.RunConsumersAsync"/> the runner disposes for you. A message given to an inline
/// handler is valid only during the handler's call and needs no dispose.
/// </para>
/// <para>Envelope fields are read without allocating; the string and typed accessors allocate on demand.</para>
/// </remarks>
public readonly struct C2FeedMessage : IDisposable
{
    private readonly MessageLease? _lease;
    private readonly long _version;

    internal C2FeedMessage(MessageLease lease)
    {
        _lease = lease;
        _version = lease.Version;
    }

    /// <summary>The message type.</summary>
    /// <exception cref="ObjectDisposedException">The message was disposed (or, inline, the handler returned).</exception>
    public C2MessageType Type => Lease.Type switch
    {
        MessageType.StrategySignal => C2MessageType.Signal,
        MessageType.StrategyPositions => C2MessageType.Positions,
        MessageType.Gap => C2MessageType.Gap,
        MessageType.ConnectionDisconnected => C2MessageType.Disconnected,
        _ => C2MessageType.Unknown,
    };

    /// <summary>The <c>seq_id</c> (always present on signals); <see langword="null"/> when absent or JSON null.</summary>
    /// <exception cref="ObjectDisposedException">The message was disposed.</exception>
    public long? SeqId => Lease.SeqId;

    /// <summary>The strategy the message belongs to: the payload's <c>strategy_id</c>, or for a gap without one the strategy its channel names; <see langword="null"/> when unknown.</summary>
    /// <exception cref="ObjectDisposedException">The message was disposed.</exception>
    public long? StrategyId => Lease.StrategyId;

    /// <summary>The whole message as received: UTF-8 JSON, byte for byte. Valid until the message is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The message was disposed.</exception>
    public ReadOnlyMemory<byte> Json => Lease.JsonMemory;

    /// <summary>The raw <c>payload</c> value (braces included); empty when the message has none. Valid until the message is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The message was disposed.</exception>
    public ReadOnlyMemory<byte> Payload
    {
        get
        {
            MessageLease lease = Lease;
            return lease.Payload.IsPresent ? lease.JsonMemory.Slice(lease.Payload.Start, lease.Payload.Length) : ReadOnlyMemory<byte>.Empty;
        }
    }

    /// <summary>The raw <c>msg_type</c> bytes as on the wire (escapes not decoded): useful for <see cref="C2MessageType.Unknown"/>.</summary>
    /// <exception cref="ObjectDisposedException">The message was disposed.</exception>
    public ReadOnlySpan<byte> MsgTypeUtf8 => Lease.MsgType.Slice(Lease.Json);

    /// <summary>Whether this handle still refers to its message: false after <see cref="Dispose"/> (and for <c>default</c>).</summary>
    public bool IsValid => _lease is not null && _lease.IsCurrent(_version);

    /// <summary>The <c>msg_type</c> as a string (allocates).</summary>
    /// <exception cref="ObjectDisposedException">The message was disposed.</exception>
    public string GetMsgType() => EnvelopeText.Decode(Lease.Json, Lease.MsgType) ?? string.Empty;

    /// <summary>The server-assigned <c>id</c> (allocates); <see langword="null"/> when absent.</summary>
    /// <exception cref="ObjectDisposedException">The message was disposed.</exception>
    public string? GetId() => EnvelopeText.Decode(Lease.Json, Lease.Id);

    /// <summary>The server <c>timestamp</c>, parsed without allocating; <see langword="null"/> when absent or unparsable.</summary>
    /// <exception cref="ObjectDisposedException">The message was disposed.</exception>
    public DateTimeOffset? GetTimestamp()
    {
        MessageLease lease = Lease;
        ReadOnlySpan<byte> raw = lease.Timestamp.Slice(lease.Json);
        Span<char> chars = stackalloc char[64];
        if (raw.IsEmpty || raw.Length > chars.Length || lease.Timestamp.IsEscaped)
        {
            return null;
        }

        int count = Encoding.ASCII.GetChars(raw, chars);
        return DateTimeOffset.TryParse(chars[..count], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset value) ? value : null;
    }

    /// <summary>The payload of a <see cref="C2MessageType.Signal"/> as a typed record (allocates). The vendor does not document the schema: see <see cref="C2Signal"/>.</summary>
    /// <exception cref="InvalidOperationException">The message is not a signal.</exception>
    /// <exception cref="JsonException">The payload does not match the record.</exception>
    /// <exception cref="ObjectDisposedException">The message was disposed.</exception>
    public C2Signal GetSignal() => Deserialize(C2MessageType.Signal, C2JsonContext.Default.C2Signal);

    /// <summary>The payload of a <see cref="C2MessageType.Positions"/> message as a typed record (allocates).</summary>
    /// <exception cref="InvalidOperationException">The message is not a positions update.</exception>
    /// <exception cref="JsonException">The payload does not match the record.</exception>
    /// <exception cref="ObjectDisposedException">The message was disposed.</exception>
    public C2Positions GetPositions() => Deserialize(C2MessageType.Positions, C2JsonContext.Default.C2Positions);

    /// <summary>The payload of a <see cref="C2MessageType.Gap"/> message as a typed record (allocates).</summary>
    /// <exception cref="InvalidOperationException">The message is not a gap.</exception>
    /// <exception cref="JsonException">The payload does not match the record (a string that is not UTF-16 text included).</exception>
    /// <exception cref="ObjectDisposedException">The message was disposed.</exception>
    public C2Gap GetGap() => Deserialize(C2MessageType.Gap, C2JsonContext.Default.C2Gap);

    /// <summary>
    /// Returns the message to the pool (and, for a signal, lets its checkpoint move). Idempotent: a second call, or a
    /// call through another copy of this handle, does nothing, even after the pooled copy was reused for a later message.
    /// </summary>
    public void Dispose() => _lease?.TryRelease(_version);

    /// <inheritdoc/>
    public override string ToString()
        => IsValid ? $"{Type} strategy={StrategyId} seq={SeqId} ({_lease!.Length} B)" : "C2FeedMessage (disposed)";

    private MessageLease Lease
    {
        get
        {
            MessageLease? lease = _lease;
            if (lease is null || !lease.IsCurrent(_version))
            {
                ThrowDisposed(lease);
            }

            return lease;
        }
    }

    private T Deserialize<T>(C2MessageType expected, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
    {
        C2MessageType type = Type;
        if (type != expected)
        {
            ThrowHelper.ThrowInvalidOperation($"This is a {type} message, not {expected}.");
        }

        ReadOnlyMemory<byte> payload = Payload;
        return JsonSerializer.Deserialize(payload.Span, info) ?? ThrowHelper.ThrowJson<T>($"The {expected} payload is null.");
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowDisposed(MessageLease? lease) => ThrowHelper.ThrowObjectDisposed(
        nameof(C2FeedMessage),
        lease is { IsInline: true } ? "An inline message is valid only during the handler's call; copy what you need to keep." : "The message was disposed and its copy returned to the pool.");
}
