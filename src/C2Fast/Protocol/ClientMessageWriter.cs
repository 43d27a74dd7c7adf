using C2Fast.Diagnostics;
using System.Buffers;
using System.Buffers.Text;

namespace C2Fast.Protocol;

/// <summary>Writes client → server messages (Contract.md §4) as UTF-8 JSON, without allocating.</summary>
/// <remarks>
/// <para>
/// Hand-written rather than <see cref="System.Text.Json.Utf8JsonWriter"/>: every value is either a
/// fixed literal, a validated ASCII token or a number, so no escaping is ever needed and the exact
/// length is known before the first byte is written. Output:
/// </para>
/// <code>
/// {"msg_type":"subscription.request","request_id":"my-sub-001","timestamp":"2024-01-01T12:00:00Z",
///  "payload":{"action":"subscribe","channel":"strategy.signal","strategy_id":12345678,"resume_from":"98765"}}
/// </code>
/// <para>
/// Inputs are validated against the §4 rules (positive strategy id, <c>request_id</c> of at most
/// 50 safe characters, <c>resume_from</c> only when subscribing to <c>strategy.signal</c>);
/// a violation is a caller bug and throws <see cref="ArgumentException"/> naming the parameter.
/// Immutable and thread-safe.
/// </para>
/// </remarks>
internal sealed class ClientMessageWriter
{
    /// <summary>The longest <c>request_id</c> the server accepts (Contract.md §2).</summary>
    public const int MaxRequestIdLength = 50;

    /// <summary>An upper bound of the length of any <c>subscription.request</c> this writer produces.</summary>
    public const int MaxSubscriptionRequestLength =
        135 // Prefix + RequestIdName + EndString + TimestampName + ActionName + ChannelName + StrategyIdName + ResumeFromName + 2 quotes + Suffix
        + MaxRequestIdLength
        + UtcTimestamp.Length
        + 11 // "unsubscribe"
        + 18 // "strategy.positions"
        + MaxInt64Digits // strategy_id
        + MaxInt64Digits; // resume_from

    private const int MaxInt64Digits = 19;

    // [A-Za-z0-9._:-]: needs no JSON escaping and survives logs and URLs unchanged.
    private static readonly SearchValues<byte> s_requestIdBytes =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"u8);

    // The fixed pieces of a subscription.request, in order.
    private static ReadOnlySpan<byte> Prefix => """{"msg_type":"subscription.request","""u8;

    private static ReadOnlySpan<byte> RequestIdName => "\"request_id\":\""u8;

    private static ReadOnlySpan<byte> EndString => "\","u8;

    private static ReadOnlySpan<byte> TimestampName => "\"timestamp\":\""u8;

    private static ReadOnlySpan<byte> ActionName => "\",\"payload\":{\"action\":\""u8;

    private static ReadOnlySpan<byte> ChannelName => "\",\"channel\":\""u8;

    private static ReadOnlySpan<byte> StrategyIdName => "\",\"strategy_id\":"u8;

    private static ReadOnlySpan<byte> ResumeFromName => ""","resume_from":"""u8;

    private static ReadOnlySpan<byte> Suffix => "}}"u8;

    /// <summary>Creates a writer.</summary>
    /// <param name="resumeFromFormat">How <c>resume_from</c> is written. Default: a decimal string (Contract.md §4, a choice where the vendor is silent).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="resumeFromFormat"/> is not a defined value.</exception>
    public ClientMessageWriter(ResumeFromFormat resumeFromFormat = ResumeFromFormat.String)
    {
        if (resumeFromFormat is not (ResumeFromFormat.String or ResumeFromFormat.Number))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(resumeFromFormat), resumeFromFormat, "Not a defined ResumeFromFormat.");
        }

        ResumeFromFormat = resumeFromFormat;
    }

    /// <summary>A writer with the default options (<c>resume_from</c> as a string).</summary>
    public static ClientMessageWriter Default { get; } = new();

    /// <summary>How <c>resume_from</c> is written.</summary>
    public ResumeFromFormat ResumeFromFormat { get; }

    /// <summary>Whether <paramref name="requestId"/> is a valid <c>request_id</c>: 1 to 50 of <c>[A-Za-z0-9._:-]</c>.</summary>
    /// <param name="requestId">The candidate, as UTF-8.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool IsValidRequestId(ReadOnlySpan<byte> requestId) =>
        requestId.Length is > 0 and <= MaxRequestIdLength && !requestId.ContainsAnyExcept(s_requestIdBytes);

    /// <summary>Writes a <c>subscription.request</c> into <paramref name="destination"/>.</summary>
    /// <param name="destination">Receives the JSON; <see cref="MaxSubscriptionRequestLength"/> bytes always suffice.</param>
    /// <param name="action">Subscribe or unsubscribe.</param>
    /// <param name="channel">The channel.</param>
    /// <param name="strategyId">The strategy; positive.</param>
    /// <param name="requestId">The <c>request_id</c> (see <see cref="IsValidRequestId"/>), or empty to send none.</param>
    /// <param name="utcNow">The current UTC time, for <c>timestamp</c> (must be within a minute of the server's clock).</param>
    /// <param name="resumeFrom">The last <c>seq_id</c> processed, to ask for a replay; <see langword="null"/> for none. Only when subscribing to <see cref="SubscriptionChannel.StrategySignal"/>; not negative.</param>
    /// <param name="bytesWritten">Bytes written; 0 when <paramref name="destination"/> is too small.</param>
    /// <returns><see langword="false"/> when <paramref name="destination"/> is too small (nothing written).</returns>
    /// <exception cref="ArgumentException">An input breaks a §4 rule (the exception names it).</exception>
    public bool TryWriteSubscriptionRequest(
        Span<byte> destination,
        SubscriptionAction action,
        SubscriptionChannel channel,
        long strategyId,
        ReadOnlySpan<byte> requestId,
        DateTime utcNow,
        long? resumeFrom,
        out int bytesWritten)
    {
        ReadOnlySpan<byte> actionName = action switch
        {
            SubscriptionAction.Subscribe => ProtocolNames.Subscribe,
            SubscriptionAction.Unsubscribe => ProtocolNames.Unsubscribe,
            _ => ThrowHelper.ThrowArgumentOutOfRange<byte[]>(nameof(action), action, "Not a defined SubscriptionAction."),
        };
        ReadOnlySpan<byte> channelName = channel switch
        {
            SubscriptionChannel.StrategySignal => ProtocolNames.StrategySignal,
            SubscriptionChannel.StrategyPositions => ProtocolNames.StrategyPositions,
            _ => ThrowHelper.ThrowArgumentOutOfRange<byte[]>(nameof(channel), channel, "Not a defined SubscriptionChannel."),
        };
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(strategyId);
        if (!requestId.IsEmpty && !IsValidRequestId(requestId))
        {
            ThrowInvalidRequestId();
        }

        if (resumeFrom is long resume)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(resume, nameof(resumeFrom));
            if (channel != SubscriptionChannel.StrategySignal || action != SubscriptionAction.Subscribe)
            {
                ThrowResumeFromNotAllowed();
            }
        }

        Span<byte> strategyDigits = stackalloc byte[MaxInt64Digits];
        Utf8Formatter.TryFormat(strategyId, strategyDigits, out int strategyLength);
        strategyDigits = strategyDigits[..strategyLength];

        Span<byte> resumeDigits = stackalloc byte[MaxInt64Digits];
        int resumeLength = 0;
        if (resumeFrom is long value)
        {
            Utf8Formatter.TryFormat(value, resumeDigits, out resumeLength);
        }

        resumeDigits = resumeDigits[..resumeLength];
        bool quoteResume = ResumeFromFormat == ResumeFromFormat.String;

        int length = Prefix.Length + TimestampName.Length + UtcTimestamp.Length + ActionName.Length + actionName.Length
            + ChannelName.Length + channelName.Length + StrategyIdName.Length + strategyDigits.Length + Suffix.Length
            + (requestId.IsEmpty ? 0 : RequestIdName.Length + requestId.Length + EndString.Length)
            + (resumeFrom.HasValue ? ResumeFromName.Length + resumeDigits.Length + (quoteResume ? 2 : 0) : 0);
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        var w = new SpanCursor(destination);
        w.Write(Prefix);
        if (!requestId.IsEmpty)
        {
            w.Write(RequestIdName);
            w.Write(requestId);
            w.Write(EndString);
        }

        w.Write(TimestampName);
        UtcTimestamp.Write(w.Take(UtcTimestamp.Length), utcNow);
        w.Write(ActionName);
        w.Write(actionName);
        w.Write(ChannelName);
        w.Write(channelName);
        w.Write(StrategyIdName);
        w.Write(strategyDigits);
        if (resumeFrom.HasValue)
        {
            w.Write(ResumeFromName);
            if (quoteResume)
            {
                w.Write("\""u8);
                w.Write(resumeDigits);
                w.Write("\""u8);
            }
            else
            {
                w.Write(resumeDigits);
            }
        }

        w.Write(Suffix);
        bytesWritten = w.Position;
        return true;
    }

    /// <summary>Writes a <c>subscription.request</c> into <paramref name="writer"/> and advances it.</summary>
    /// <param name="writer">Receives the JSON; asked for <see cref="MaxSubscriptionRequestLength"/> bytes.</param>
    /// <param name="action">Subscribe or unsubscribe.</param>
    /// <param name="channel">The channel.</param>
    /// <param name="strategyId">The strategy; positive.</param>
    /// <param name="requestId">The <c>request_id</c>, or empty to send none.</param>
    /// <param name="utcNow">The current UTC time.</param>
    /// <param name="resumeFrom">The last <c>seq_id</c> processed, or <see langword="null"/>.</param>
    /// <returns>Bytes written.</returns>
    /// <exception cref="ArgumentException">An input breaks a §4 rule, or the writer returned a span smaller than it was asked for.</exception>
    public int WriteSubscriptionRequest(
        IBufferWriter<byte> writer,
        SubscriptionAction action,
        SubscriptionChannel channel,
        long strategyId,
        ReadOnlySpan<byte> requestId,
        DateTime utcNow,
        long? resumeFrom = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> span = writer.GetSpan(MaxSubscriptionRequestLength);
        if (!TryWriteSubscriptionRequest(span, action, channel, strategyId, requestId, utcNow, resumeFrom, out int written))
        {
            ThrowHelper.ThrowArgument(nameof(writer), "The buffer writer returned less space than requested.");
        }

        writer.Advance(written);
        return written;
    }

    /// <summary>Writes a stamped <c>heartbeat.ack</c> body into <paramref name="writer"/> (see <see cref="HeartbeatAck"/> for the template path).</summary>
    /// <param name="writer">Receives <see cref="HeartbeatAck.BodyLength"/> bytes.</param>
    /// <param name="utcNow">The current UTC time.</param>
    /// <returns>Bytes written.</returns>
    public static int WriteHeartbeatAck(IBufferWriter<byte> writer, DateTime utcNow)
    {
        ArgumentNullException.ThrowIfNull(writer);
        int written = HeartbeatAck.Write(writer.GetSpan(HeartbeatAck.BodyLength), utcNow);
        writer.Advance(written);
        return written;
    }

    private static void ThrowInvalidRequestId() =>
        ThrowHelper.ThrowArgument("requestId", "request_id must be 1 to 50 characters of [A-Za-z0-9._:-].");

    private static void ThrowResumeFromNotAllowed() =>
        ThrowHelper.ThrowArgument("resumeFrom", "resume_from is only allowed when subscribing to strategy.signal.");

    // Appends into a span whose capacity was checked up front.
    private ref struct SpanCursor(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;

        public int Position { get; private set; }

        public void Write(scoped ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_destination[Position..]);
            Position += bytes.Length;
        }

        public Span<byte> Take(int length)
        {
            Span<byte> span = _destination.Slice(Position, length);
            Position += length;
            return span;
        }
    }
}
