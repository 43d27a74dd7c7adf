using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using C2Fast.Framing;
using C2Fast.Protocol;
using C2Fast.Session;
using Microsoft.Extensions.Logging;

namespace C2Fast.Dispatch;

/// <summary>
/// The read loop's message handler for one connection: one envelope parse per message, then
/// heartbeats acked on the spot, acks and errors matched to requests, and everything else
/// copied into a pooled lease and queued for consumers.
/// </summary>
/// <remarks>
/// Runs on the loop thread. The steady-state path (heartbeat, signal, positions) allocates
/// nothing: the ack body is stamped on the stack and masked into the connection's reply buffer,
/// and leases come from the pool. Anything unusual (errors, gaps, unparsable input) may allocate
/// and is announced through the <see cref="EventPump"/>, never by running user code here.
/// </remarks>
internal sealed class FeedDispatcher : IMessageHandler
{
    /// <summary>The longest message the look-ahead considers a heartbeat candidate (a heartbeat is about 100 bytes).</summary>
    private const int HeartbeatCandidateMaxLength = 1024;

    private readonly FeedQueues _queues;
    private readonly FeedCounters _counters;
    private readonly SequenceTracker _sequences;
    private readonly SubscriptionRegistry _subscriptions;
    private readonly FeedEvents _events;
    private readonly ILogger _logger;
    private readonly int _maxDepth;
    private readonly TimeSpan _pausedAckInterval;
    private readonly TaskCompletionSource<string?> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _shedding;
    private int _heartbeatsAckedAhead;
    private readonly CheckpointTracker? _checkpoints;

    public FeedDispatcher(FeedQueues queues, SequenceTracker sequences, SubscriptionRegistry subscriptions, FeedEvents events, int maxDepth, ILogger logger, CheckpointTracker? checkpoints = null, TimeSpan pausedAckInterval = default)
    {
        _pausedAckInterval = pausedAckInterval;
        _checkpoints = checkpoints;
        _queues = queues;
        _counters = queues.Counters;
        _sequences = sequences;
        _subscriptions = subscriptions;
        _events = events;
        _maxDepth = maxDepth;
        _logger = logger;
    }

    /// <summary>Completes with the connection id when <c>connection.connected</c> arrives.</summary>
    public Task<string?> Connected => _connected.Task;

    public bool OnMessage(WebSocketConnection connection, bool isText, ReadOnlySpan<byte> payload)
    {
        _counters.MessagesReceived++;
        _counters.BytesReceived += payload.Length;

        if (EnvelopeParser.Parse(payload, out Envelope envelope, out EnvelopeError error, _maxDepth) != OperationStatus.Done)
        {
            ReportProtocolError(error.ToString(), payload);
            return true;
        }

        switch (envelope.Type)
        {
            case MessageType.Heartbeat:
                if (_heartbeatsAckedAhead > 0)
                {
                    _heartbeatsAckedAhead--; // answered ahead (OnLookahead)
                }
                else
                {
                    AckHeartbeat(connection);
                }

                return true;
            case MessageType.StrategySignal:
                if (Shed(connection, envelope, payload))
                {
                    return true; // not dispatched, so not advanced: the server replays it after the reconnect
                }

                // Replays overlap live delivery: a seq_id at or below the last one dispatched is a duplicate.
                if (envelope.HasStrategyId && envelope.HasSeqId && !_sequences.TryAdvance(envelope.StrategyId, envelope.SeqId))
                {
                    _counters.DuplicatesDiscarded++;
                    return true;
                }

                if (_checkpoints is not null && envelope.HasStrategyId && envelope.HasSeqId)
                {
                    _checkpoints.Anchor(envelope.StrategyId, envelope.SeqId);
                }

                return _queues.Deliver(payload, envelope, C2MessageType.Signal, StrategyOf(envelope));
            case MessageType.StrategyPositions:
                return Shed(connection, envelope, payload) || _queues.Deliver(payload, envelope, C2MessageType.Positions, StrategyOf(envelope));
            case MessageType.Gap:
                if (Shed(connection, envelope, payload))
                {
                    return true; // it belongs to a replay this connection discards; the next resume decides again
                }

                _counters.Gaps++;
                // The documented gap has "strategy_id": null: take the strategy from its channel, so the
                // gap lands in the same partition as that strategy's signals.
                return _queues.Deliver(payload, envelope, C2MessageType.Gap, AnnounceGap(payload, envelope));
            case MessageType.ConnectionConnected:
                _connected.TrySetResult(Text(payload, envelope.Id));
                return true;
            case MessageType.ConnectionDisconnected:
                return _queues.Deliver(payload, envelope, C2MessageType.Disconnected, StrategyOf(envelope));
            case MessageType.SubscriptionAck:
                Acknowledge(payload, envelope);
                return true;
            case MessageType.Error:
                HandleError(payload, envelope);
                return true;
            default:
                // [CHOICE] unknown msg_types reach the application untouched.
                return _queues.Deliver(payload, envelope, C2MessageType.Unknown, StrategyOf(envelope));
        }
    }

    /// <summary>
    /// A message not handled yet (the loop is paused or behind a backlog): a heartbeat is answered now and
    /// counted, so that its second arrival, through <see cref="OnMessage"/>, is not answered again. The
    /// look-ahead sees every message, so a byte test picks the
    /// candidates (short, naming <c>"heartbeat"</c>) and only those are validated and parsed; a heartbeat it
    /// misses (escaped or padded past the limit) is simply answered by the loop.
    /// </summary>
    public void OnLookahead(WebSocketConnection connection, ReadOnlySpan<byte> payload)
    {
        if (payload.Length <= HeartbeatCandidateMaxLength
            && payload.IndexOf("\"heartbeat\""u8) >= 0
            && Utf8.IsValid(payload)
            && EnvelopeParser.Parse(payload, out Envelope envelope, out _, _maxDepth) == OperationStatus.Done
            && envelope.Type == MessageType.Heartbeat)
        {
            AckHeartbeat(connection);
            _heartbeatsAckedAhead++;
        }
    }

    /// <summary>End of one socket read: consumers waiting for what was just queued are woken.</summary>
    public void OnReadCompleted(WebSocketConnection connection) => _queues.Flush();

    /// <summary>Every reply this dispatcher queues is a heartbeat ack: they count as acknowledged once written.</summary>
    public void OnRepliesWritten(int count) => _counters.HeartbeatsAcknowledged += count;

    /// <summary>
    /// The loop is paused by backpressure: it reads nothing, so a heartbeat queued behind the backlog
    /// would go unanswered and the server would close the connection (c2-protocol.md §5: a stalled
    /// consumer must never make the connection miss a heartbeat). While paused, a <c>heartbeat.ack</c>
    /// goes out every <see cref="C2FeedOptions.PausedAckInterval"/> to say the client is alive.
    /// </summary>
    public ValueTask WaitForCapacityAsync(WebSocketConnection connection, CancellationToken cancellationToken)
    {
        ValueTask wait = _queues.WaitForCapacityAsync(cancellationToken);
        return wait.IsCompleted || _pausedAckInterval <= TimeSpan.Zero ? wait : WaitWithKeepAliveAsync(wait.AsTask(), connection, cancellationToken);
    }

    private async ValueTask WaitWithKeepAliveAsync(Task waiting, WebSocketConnection connection, CancellationToken cancellationToken)
    {
        byte[] ack = new byte[HeartbeatAck.BodyLength];
        while (!waiting.IsCompleted && !cancellationToken.IsCancellationRequested)
        {
            await Task.WhenAny(waiting, Task.Delay(_pausedAckInterval, cancellationToken)).ConfigureAwait(false);
            if (waiting.IsCompleted || cancellationToken.IsCancellationRequested)
            {
                break;
            }

            try
            {
                HeartbeatAck.Write(ack, DateTime.UtcNow);
                await connection.SendAsync(ack, isText: true, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _counters.PausedAcks);
            }
            catch (Exception ex) when (ex is C2FeedException or OperationCanceledException or ObjectDisposedException or IOException)
            {
                break; // the connection is going away; the wait below ends with it
            }
        }

        await waiting.ConfigureAwait(false);
    }

    private void AckHeartbeat(WebSocketConnection connection)
    {
        long started = Stopwatch.GetTimestamp();
        Span<byte> body = stackalloc byte[HeartbeatAck.BodyLength];
        HeartbeatAck.Write(body, DateTime.UtcNow);
        connection.QueueReply(body); // counted in OnRepliesWritten, once it is on the wire
        FeedMetrics.AckLatency.Record(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
    }

    private static long? StrategyOf(in Envelope envelope) => envelope.HasStrategyId ? envelope.StrategyId : null;

    /// <summary>
    /// <see cref="C2SlowConsumerPolicy.DisconnectAndResume"/>: past the budget, queue nothing more on this
    /// connection and close it; the client reconnects once consumers have drained.
    /// </summary>
    private bool Shed(WebSocketConnection connection, in Envelope envelope, ReadOnlySpan<byte> payload)
    {
        if (_shedding)
        {
            return true;
        }

        if (!_queues.ShouldShed(envelope.HasStrategyId ? envelope.StrategyId : 0, payload.Length))
        {
            return false;
        }

        _shedding = true;
        Log.Shedding(_logger, _queues.QueuedBytes);
        _ = connection.CloseAsync(1000, "consumer behind; will resume");
        return true;
    }

    private void Acknowledge(ReadOnlySpan<byte> payload, in Envelope envelope)
    {
        if (_subscriptions.Acknowledge(payload, envelope.RequestId) is { } request)
        {
            Log.Acknowledged(_logger, request.Subscribe ? "subscribe" : "unsubscribe", request.Channel, request.StrategyId, request.RequestId);
            _events.SubscriptionAcknowledged(new C2SubscriptionEventArgs(request.Channel, request.StrategyId, request.Subscribe, request.RequestId));
        }
    }

    private void HandleError(ReadOnlySpan<byte> payload, in Envelope envelope)
    {
        IReadOnlyList<C2ServerError> errors = ParseErrors(envelope.Payload.Slice(payload));
        string? requestId = Text(payload, envelope.RequestId);
        _subscriptions.Reject(payload, envelope.RequestId, errors);
        foreach (C2ServerError error in errors)
        {
            Log.ServerError(_logger, requestId, error.Code, error.Field, error.Message);
        }

        _events.ServerError(new C2ServerErrorEventArgs(requestId, errors));
    }

    private long? AnnounceGap(ReadOnlySpan<byte> payload, in Envelope envelope)
    {
        C2Gap gap;
        try
        {
            gap = JsonSerializer.Deserialize(envelope.Payload.Slice(payload), C2JsonContext.Default.C2Gap) ?? new C2Gap(null, null, null, null);
        }
        catch (JsonException)
        {
            gap = new C2Gap(null, null, null, null);
        }

        long? strategyId = envelope.HasStrategyId ? envelope.StrategyId : StrategyFromChannel(gap.Channel);
        Log.Gap(_logger, gap.Channel, gap.From, gap.Message);
        _events.Gap(new C2GapEventArgs(gap, strategyId));
        return strategyId;
    }

    private void ReportProtocolError(string reason, ReadOnlySpan<byte> payload)
    {
        _counters.ProtocolErrors++;
        Log.ProtocolError(_logger, reason, payload.Length);
        _events.ProtocolError(new C2ProtocolErrorEventArgs(reason, payload.ToArray()));
    }

    /// <summary>The <c>error</c> payload [DOC]: one <c>{code, field, message}</c> or an <c>errors</c> array of them.</summary>
    internal static IReadOnlyList<C2ServerError> ParseErrors(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return [];
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(payload.ToArray());
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return [];
            }

            if (root.TryGetProperty("errors", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
            {
                return [.. list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).Select(ToError)];
            }

            return [ToError(root)];
        }
        catch (JsonException)
        {
            return [];
        }

        static C2ServerError ToError(JsonElement e) => new(Str(e, "code"), Str(e, "field"), Str(e, "message"));

        static string? Str(JsonElement e, string name)
            => e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    private static long? StrategyFromChannel(string? channel)
    {
        int colon = channel?.LastIndexOf(':') ?? -1;
        return colon >= 0 && long.TryParse(channel.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long id) ? id : null;
    }

    private static string? Text(ReadOnlySpan<byte> payload, ValueRange range)
    {
        if (!range.IsPresent)
        {
            return null;
        }

        byte[] raw = range.Slice(payload).ToArray();
        if (!range.IsEscaped)
        {
            return Encoding.UTF8.GetString(raw);
        }

        byte[] decoded = new byte[raw.Length];
        EnvelopeParser.Unescape(payload, range, decoded, out int written);
        return Encoding.UTF8.GetString(decoded, 0, written);
    }
}
