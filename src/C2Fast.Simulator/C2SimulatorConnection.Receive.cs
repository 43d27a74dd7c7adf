using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text.Unicode;
using C2Fast.Simulator.Connections;
using C2Fast.Simulator.Framing;
using C2Fast.Simulator.Protocol;

namespace C2Fast.Simulator;

/// <summary>How the receive loop ended.</summary>
internal enum ReceiveEndKind
{
    /// <summary>The client sent a valid close frame.</summary>
    ClientClose,

    /// <summary>The client broke RFC 6455 (or a limit): fail the connection with <see cref="ReceiveEnd.Code"/>.</summary>
    ProtocolError,

    /// <summary>The transport ended without a close frame (EOF, reset, abort, cancellation).</summary>
    Lost,
}

internal readonly record struct ReceiveEnd(ReceiveEndKind Kind, int Code = 0, string? Reason = null);

/// <summary>The receive side: one loop owns the transport's <see cref="PipeReader"/>.</summary>
public sealed partial class C2SimulatorConnection
{
    private readonly ArrayBufferWriter<byte> _message = new(1024);
    private byte _messageOpcode; // 0 = no fragmented message in progress

    private async Task<ReceiveEnd> ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(_transport, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                var end = ProcessFrames(ref buffer);

                // Consumed up to the first incomplete frame; examined everything, so the next read waits for new bytes.
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (end is not null)
                {
                    return end.Value;
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    return new ReceiveEnd(ReceiveEndKind.Lost);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException
                                       or Microsoft.AspNetCore.Connections.ConnectionAbortedException or System.Net.Sockets.SocketException)
        {
            return new ReceiveEnd(ReceiveEndKind.Lost);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Handles every complete frame in <paramref name="buffer"/> and slices them off; null while the connection goes on.</summary>
    private ReceiveEnd? ProcessFrames(ref ReadOnlySequence<byte> buffer)
    {
        var maxMessage = _core.Options.MaxClientMessageBytes;
        while (true)
        {
            var status = ClientFrameParser.TryReadHeader(buffer, maxMessage, out var header, out var closeCode);
            if (status == OperationStatus.NeedMoreData)
            {
                return null;
            }

            if (status == OperationStatus.InvalidData)
            {
                return Fail(closeCode, closeCode == 1009 ? "Message too big" : "Protocol error");
            }

            if (buffer.Length - header.HeaderLength < header.PayloadLength)
            {
                return null;
            }

            var payload = buffer.Slice(header.HeaderLength, header.PayloadLength);
            buffer = buffer.Slice(payload.End);
            var end = header.IsControl ? OnControlFrame(header, payload) : OnDataFrame(header, payload);
            if (end is not null)
            {
                return end;
            }
        }
    }

    private ReceiveEnd? OnControlFrame(in ClientFrameHeader header, ReadOnlySequence<byte> payload)
    {
        Span<byte> body = stackalloc byte[125];
        body = body[..(int)header.PayloadLength];
        ClientFrameParser.Unmask(payload, header.MaskKey, body);
        switch (header.Opcode)
        {
            case ServerFrame.OpPing:
                // §5.5.2: answer a ping with a pong carrying the same application data.
                Enqueue(new Outbound(OutboundKind.Pong, ServerFrame.Encode(ServerFrame.OpPong, body)));
                return null;
            case ServerFrame.OpPong:
                return null; // §5.5.3: an unsolicited pong needs no answer.
            default:
                return OnCloseFrame(body);
        }
    }

    private ReceiveEnd OnCloseFrame(ReadOnlySpan<byte> body)
    {
        // §5.5.1: a close body is empty or starts with a 2-byte code.
        if (body.Length == 1)
        {
            return Fail(1002, "Malformed close frame");
        }

        var code = body.Length == 0 ? 1005 : BinaryPrimitives.ReadUInt16BigEndian(body);

        // §7.4.1: only defined codes may appear on the wire.
        if (body.Length >= 2 && !ClientFrameParser.IsValidCloseCode(code))
        {
            return Fail(1002, "Invalid close code");
        }

        // §5.5.1: the reason is UTF-8.
        if (body.Length > 2 && !Utf8.IsValid(body[2..]))
        {
            return Fail(1007, "Invalid UTF-8 in close reason");
        }

        if (!_closeSent)
        {
            // The client started the close handshake (a reply to ours is not counted).
            Volatile.Write(ref _closeCode, code);
            _core.Stats.ClientClose(code);
        }

        return new ReceiveEnd(ReceiveEndKind.ClientClose, code);
    }

    private ReceiveEnd? OnDataFrame(in ClientFrameHeader header, ReadOnlySequence<byte> payload)
    {
        if (header.Opcode == ServerFrame.OpContinuation)
        {
            // §5.4: a continuation frame needs a message to continue.
            if (_messageOpcode == 0)
            {
                return Fail(1002, "Continuation without a message");
            }
        }
        else
        {
            // §5.4: a new data frame may not start while a fragmented message is open.
            if (_messageOpcode != 0)
            {
                return Fail(1002, "New message inside a fragmented message");
            }

            _messageOpcode = header.Opcode;
            _message.ResetWrittenCount();
        }

        if (_message.WrittenCount + header.PayloadLength > _core.Options.MaxClientMessageBytes)
        {
            return Fail(1009, "Message too big");
        }

        var length = (int)header.PayloadLength;
        ClientFrameParser.Unmask(payload, header.MaskKey, _message.GetSpan(length)[..length]);
        _message.Advance(length);
        if (!header.Fin)
        {
            return null;
        }

        var opcode = _messageOpcode;
        _messageOpcode = 0;
        if (_closeSent)
        {
            return null; // §5.5.1: after our close, data from the client is read and dropped.
        }

        if (opcode == ServerFrame.OpBinary)
        {
            if (_core.Options.CloseOnBinaryMessage)
            {
                return Fail(1003, "Binary messages are not supported");
            }

            SendError(null, new ErrorItem(_core.Options.ErrorCodes.Mandatory, null, "Binary messages are not supported"));
            return null;
        }

        // §8.1: a text message must be valid UTF-8.
        if (!Utf8.IsValid(_message.WrittenSpan))
        {
            return Fail(1007, "Invalid UTF-8");
        }

        OnTextMessage(_message.WrittenMemory);
        return null;
    }

    private static ReceiveEnd Fail(int code, string reason) => new(ReceiveEndKind.ProtocolError, code, reason);

    private void OnTextMessage(ReadOnlyMemory<byte> json)
    {
        var message = ClientMessageParser.Parse(json, _core.Options, _core.Time.GetUtcNow());
        if (_core.Options.AnyMessageCountsAsAck && message.Kind != ClientMessageKind.HeartbeatAck)
        {
            Volatile.Write(ref _lastAckTicks, Stopwatch.GetTimestamp());
        }

        switch (message.Kind)
        {
            case ClientMessageKind.HeartbeatAck:
                var now = Stopwatch.GetTimestamp();
                Volatile.Write(ref _lastAckTicks, now);
                Interlocked.Increment(ref _acksReceived);
                _core.Stats.Increment(ref _core.Stats.AcksReceived);
                NoteHeartbeatAck(now);
                if (_heartbeatSendTimes.TryDequeue(out var sent))
                {
                    _core.Stats.RoundTrip(now - sent);
                }

                break;
            case ClientMessageKind.Subscription:
                OnSubscription(message.Request!);
                break;
            default:
                SendError(message.RequestId, [.. message.Errors]);
                break;
        }
    }

    private void OnSubscription(SubscriptionRequest request)
    {
        // [CHOICE] authorization comes after validation: a strategy outside the allowed set → FORBIDDEN / StrategyId.
        if (!_core.IsAllowed(request.StrategyId))
        {
            SendError(request.RequestId, new ErrorItem(_core.Options.ErrorCodes.Forbidden, "StrategyId", "Not authorized to subscribe to Strategy"));
            return;
        }

        var key = (request.Channel, request.StrategyId);
        var feed = _core.Feed(request.StrategyId);
        if (!request.IsSubscribe)
        {
            lock (_subscriptionGate)
            {
                _subscriptions.Remove(key);
            }

            feed.Unsubscribe(this, request.IsSignalChannel, Ack(request));
            return;
        }

        lock (_subscriptionGate)
        {
            if (!_subscriptions.Contains(key) && _subscriptions.Count >= _core.Options.MaxSubscriptionsPerConnection)
            {
                SendError(request.RequestId, new ErrorItem(_core.Options.ErrorCodes.SubscriptionLimit, "Channel",
                    $"Subscription limit of {_core.Options.MaxSubscriptionsPerConnection} channels per connection reached"));
                return;
            }

            _subscriptions.Add(key);
        }

        if (request.IsSignalChannel)
        {
            feed.SubscribeSignals(this, request.ResumeFrom, Ack(request));
            if (_core.Options.Flood is { Trigger: C2FloodTrigger.FirstSubscription } flood)
            {
                StartOptionsFlood(flood, request.StrategyId);
            }
        }
        else
        {
            feed.SubscribePositions(this, Ack(request));
        }
    }

    private byte[] Ack(SubscriptionRequest request)
    {
        _core.Stats.Increment(ref _core.Stats.SubscriptionAcks);
        return _core.Writer.SubscriptionAck(request.RequestId, request.Action, request.Channel, request.StrategyId);
    }

    private void SendError(string? requestId, params ErrorItem[] errors)
    {
        _core.Stats.Increment(ref _core.Stats.ErrorsSent);
        EnqueueFrame(_core.Writer.Error(requestId, errors), OutboundKind.Message);
    }
}
