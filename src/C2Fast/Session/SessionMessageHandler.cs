using System.Buffers;
using C2Fast.Diagnostics;
using C2Fast.Dispatch;
using C2Fast.Framing;
using C2Fast.Protocol;

namespace C2Fast.Session;

/// <summary>
/// The session's view of one connection's messages, on the read loop: one envelope parse per message, then
/// heartbeats acknowledged on the spot, acks and errors matched to requests, duplicates dropped, and everything
/// else delivered: copied into a pooled lease and queued, or shown to the inline handler.
/// </summary>
/// <remarks>
/// The steady-state path (heartbeat, signal, positions) allocates nothing: the ack body is stamped on the stack
/// and masked into the engine's reply buffer, and leases come from the pool. Anything unusual (errors, gaps,
/// unparsable input) may allocate and is announced through <see cref="FeedEvents"/>, never by running
/// application code here; the inline handler is the one exception, by the application's choice.
/// </remarks>
internal sealed class SessionMessageHandler : IMessageHandler
{
    private readonly SessionContext _session;
    private readonly FeedCounters _counters;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource<string?> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _shedding;
    private bool _deliveredNew;   // a signal not seen before was handed to the application on this connection
    private long _connectedAt;    // timestamp of connection.connected; 0 before it

    public SessionMessageHandler(SessionContext session)
    {
        _session = session;
        _counters = session.Counters;
        _time = session.Time;
    }

    /// <summary>Completes with the connection id when <c>connection.connected</c> arrives.</summary>
    public Task<string?> Connected => _connected.Task;

    /// <summary>
    /// Whether this connection proved healthy: it delivered a signal not delivered before, or the server kept sending
    /// frames for at least <paramref name="minimumUptime"/> after <c>connection.connected</c> (the last frame arrived
    /// at <paramref name="lastFrameAt"/>, a timestamp; the time spent finding out that the connection had failed,
    /// waiting on silence or a close, does not count). One that failed sooner, having only replayed what was already
    /// delivered (or positions, gaps and other messages that prove nothing new), counts as a failed reconnect attempt:
    /// a server that accepts and then breaks every connection must not be retried forever. Read after the loop ended.
    /// </summary>
    public bool ProvedHealthy(long lastFrameAt, TimeSpan minimumUptime)
        => _deliveredNew || (_connectedAt != 0 && lastFrameAt >= _connectedAt && _time.GetElapsedTime(_connectedAt, lastFrameAt) >= minimumUptime);

    /// <summary>What the inline handler threw, when it did (the loop then stopped).</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Whether this connection is being closed to shed load (<see cref="C2SlowConsumerPolicy.DisconnectAndResume"/>).</summary>
    public bool Shedding => _shedding;

    public MessageAction OnMessage(WebSocketEngine engine, bool isText, ReadOnlySpan<byte> payload)
    {
        _counters.MessagesReceived++;
        _counters.BytesReceived += payload.Length;

        if (!isText)
        {
            // C2 messages are JSON text: a binary message is never delivered (nor printed), whatever it holds.
            ReportProtocolError(EnvelopeError.NotText, payload);
            return MessageAction.Continue;
        }

        if (EnvelopeParser.Parse(payload, out Envelope envelope, out EnvelopeError error, _session.MaxJsonDepth) != OperationStatus.Done)
        {
            ReportProtocolError(error, payload);
            return MessageAction.Continue;
        }

        switch (envelope.Type)
        {
            case MessageType.Heartbeat:
                _counters.HeartbeatsReceived++;
                AckHeartbeat(engine);
                return MessageAction.Continue;
            case MessageType.StrategySignal:
                if (Shed(engine, envelope, payload))
                {
                    return MessageAction.Continue; // not delivered, so not advanced: the server replays it after the reconnect
                }

                // Replays overlap live delivery: a seq_id at or below the last one delivered is a duplicate.
                if (envelope.HasStrategyId && envelope.HasSeqId && !_session.Sequences.TryAdvance(envelope.StrategyId, envelope.SeqId))
                {
                    _counters.DuplicatesDiscarded++;
                    return MessageAction.Continue;
                }

                if (envelope.HasStrategyId && envelope.HasSeqId)
                {
                    _session.Checkpoints?.Anchor(envelope.StrategyId, envelope.SeqId);
                    _deliveredNew = true; // the sequence advanced: the feed moved on
                }

                return Deliver(payload, envelope, StrategyOf(envelope));
            case MessageType.StrategyPositions:
                return Shed(engine, envelope, payload) ? MessageAction.Continue : Deliver(payload, envelope, StrategyOf(envelope));
            case MessageType.Gap:
                if (Shed(engine, envelope, payload))
                {
                    return MessageAction.Continue; // it belongs to a replay this connection discards; the next resume decides again
                }

                _counters.Gaps++;
                return Deliver(payload, envelope, AnnounceGap(payload, envelope));
            case MessageType.ConnectionConnected:
                if (_connectedAt == 0)
                {
                    _connectedAt = _time.GetTimestamp();
                }

                _connected.TrySetResult(EnvelopeText.Decode(payload, envelope.Id));
                return MessageAction.Continue;
            case MessageType.SubscriptionAck:
                Acknowledge(payload, envelope);
                return MessageAction.Continue;
            case MessageType.Error:
                HandleError(payload, envelope);
                return MessageAction.Continue;
            default:
                // connection.disconnected (reserved) and msg_types this version does not know reach the application untouched.
                return Deliver(payload, envelope, StrategyOf(envelope));
        }
    }

    /// <summary>End of a read: consumers waiting for what was just queued are woken.</summary>
    public void OnReadCompleted(WebSocketEngine engine) => _session.Queues?.Flush();

    /// <summary>Every reply this handler queues is a heartbeat ack: they count as acknowledged once written.</summary>
    public void OnRepliesWritten(int count) => _counters.HeartbeatsAcknowledged += count;

    /// <summary>
    /// The loop is paused by backpressure: it reads nothing, so a heartbeat queued behind the backlog would go
    /// unanswered and the server would close the connection. While paused, a <c>heartbeat.ack</c> goes out every
    /// <see cref="C2HeartbeatOptions.PausedAckInterval"/> to say the client is alive.
    /// </summary>
    public ValueTask WaitForCapacityAsync(WebSocketEngine engine, CancellationToken cancellationToken)
    {
        ValueTask wait = _session.Queues!.WaitForCapacityAsync(cancellationToken);
        return wait.IsCompleted || _session.PausedAckInterval <= TimeSpan.Zero ? wait : KeepAliveAsync(wait.AsTask(), engine, cancellationToken);
    }

    private async ValueTask KeepAliveAsync(Task waiting, WebSocketEngine engine, CancellationToken cancellationToken)
    {
        byte[] ack = new byte[HeartbeatAck.BodyLength];
        while (!waiting.IsCompleted && !cancellationToken.IsCancellationRequested)
        {
            await Task.WhenAny(waiting, Task.Delay(_session.PausedAckInterval, _time, cancellationToken)).ConfigureAwait(false);
            if (waiting.IsCompleted || cancellationToken.IsCancellationRequested)
            {
                break;
            }

            HeartbeatAck.Write(ack, _time.GetUtcNow().UtcDateTime);
            if (await engine.SendAsync(ack, isText: true, cancellationToken).ConfigureAwait(false) != SendResult.Sent)
            {
                break; // the connection is going away; the wait below ends with it
            }

            Interlocked.Increment(ref _counters.PausedAcks);
        }

        await waiting.ConfigureAwait(false);
    }

    private MessageAction Deliver(ReadOnlySpan<byte> payload, in Envelope envelope, long? strategyId)
    {
        if (_session.Queues is { } queues)
        {
            return queues.Deliver(payload, envelope, strategyId) ? MessageAction.Continue : MessageAction.Pause;
        }

        // Inline: the application's handler runs here, on the loop, with the one reusable lease.
        MessageLease lease = _session.InlineLease!;
        lease.Fill(payload, envelope, strategyId, owner: null);
        _counters.MessagesDelivered++;
        try
        {
            _session.InlineHandler!(new C2FeedMessage(lease));
        }
#pragma warning disable CA1031 // Whatever the application throws ends the connection as the one typed error.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Failure = ex;
            return MessageAction.Abort; // not committed: a restart from the checkpoint sees it again
        }
        finally
        {
            lease.Invalidate();
        }

        if (lease.TryGetCommit(out long committedStrategy, out long seqId))
        {
            _session.Checkpoints?.Commit(committedStrategy, seqId);
        }

        return MessageAction.Continue;
    }

    private void AckHeartbeat(WebSocketEngine engine)
    {
        long started = _time.GetTimestamp();
        Span<byte> body = stackalloc byte[HeartbeatAck.BodyLength];
        HeartbeatAck.Write(body, _time.GetUtcNow().UtcDateTime);
        engine.QueueReply(body); // counted in OnRepliesWritten, once it is on the wire
        FeedMetrics.AckLatency.Record(_time.GetElapsedTime(started).TotalMicroseconds);
    }

    private static long? StrategyOf(in Envelope envelope) => envelope.HasStrategyId ? envelope.StrategyId : null;

    /// <summary>
    /// <see cref="C2SlowConsumerPolicy.DisconnectAndResume"/>: past the budget, queue nothing more on this
    /// connection and close it; the session reconnects once consumers have drained.
    /// </summary>
    private bool Shed(WebSocketEngine engine, in Envelope envelope, ReadOnlySpan<byte> payload)
    {
        if (_shedding)
        {
            return true;
        }

        if (_session.Queues is not { } queues || !queues.ShouldShed(envelope.HasStrategyId ? envelope.StrategyId : 0, payload.Length))
        {
            return false;
        }

        _shedding = true;
        Log.Shedding(_session.Logger, queues.QueuedBytes);
        engine.QueueClose(1000, "consumer behind; will resume");
        return true;
    }

    private void Acknowledge(ReadOnlySpan<byte> payload, in Envelope envelope)
    {
        if (_session.Requests.Take(payload, envelope.RequestId) is not { } request)
        {
            return;
        }

        _session.Subscriptions.Acknowledged(request.Channel, request.StrategyId, request.Subscribe);
        request.Completion.TrySetResult();
        Log.Acknowledged(_session.Logger, request.Subscribe ? "subscribe" : "unsubscribe", request.Channel, request.StrategyId, request.RequestId);
        _session.Events.SubscriptionAcknowledged(new C2SubscriptionEventArgs(request.Channel, request.StrategyId, request.Subscribe, request.RequestId));
    }

    private void HandleError(ReadOnlySpan<byte> payload, in Envelope envelope)
    {
        C2ServerError[] errors = [.. ErrorPayload.Parse(envelope.Payload.Slice(payload)).Select(e => new C2ServerError(e.Code, e.Field, e.Message))];
        string? requestId = EnvelopeText.Decode(payload, envelope.RequestId);
        if (_session.Requests.Take(payload, envelope.RequestId) is { } request)
        {
            if (request.Subscribe)
            {
                _session.Subscriptions.Release(request.Channel, request.StrategyId);
            }

            request.Completion.TrySetException(FeedErrors.Rejected(request, errors));
        }

        foreach (C2ServerError error in errors)
        {
            Log.ServerError(_session.Logger, requestId, error.Code, error.Field, error.Message);
        }

        _session.Events.ServerError(new C2ServerErrorEventArgs(requestId, errors));
    }

    // The documented gap has "strategy_id": null: the strategy comes from its channel, so the gap lands in the
    // same partition as that strategy's signals.
    private long? AnnounceGap(ReadOnlySpan<byte> payload, in Envelope envelope)
    {
        GapPayload gap = GapPayload.Parse(envelope.Payload.Slice(payload));
        long? strategyId = envelope.HasStrategyId ? envelope.StrategyId : gap.Strategy;
        Log.Gap(_session.Logger, gap.Channel, gap.From, gap.Message);
        _session.Events.Gap(new C2GapEventArgs(new C2Gap(gap.StrategyId, gap.Channel, gap.From, gap.Message), strategyId));
        return strategyId;
    }

    private void ReportProtocolError(EnvelopeError error, ReadOnlySpan<byte> payload)
    {
        _counters.ProtocolErrors++;
        Log.ProtocolError(_session.Logger, error, payload.Length);
        _session.Events.ProtocolError(new C2ProtocolErrorEventArgs(error.ToString(), payload.ToArray()));
    }
}
