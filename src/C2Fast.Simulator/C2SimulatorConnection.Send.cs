using System.Buffers;
using System.Diagnostics;
using C2Fast.Simulator.Connections;
using C2Fast.Simulator.Flood;
using C2Fast.Simulator.Framing;

namespace C2Fast.Simulator;

/// <summary>How the send loop ended.</summary>
internal enum SendEnd
{
    /// <summary>A close frame went out; nothing more will be sent.</summary>
    CloseSent,

    /// <summary>A drop fault fired: the caller aborts TCP without a close frame.</summary>
    Drop,

    /// <summary>The transport failed or the connection was cancelled.</summary>
    Failed,
}

/// <summary>The send side: the only writer of the transport, and the heartbeat loop that feeds it.</summary>
public sealed partial class C2SimulatorConnection
{
    private const int BatchBytes = 64 * 1024;
    private const long None = long.MaxValue;

    // Owned by the send loop. Fault thresholds are absolute message counts.
    private byte[] _batch = [];
    private int _batchUsed;
    private int _batchHeartbeats;
    private long _dropAt = None;
    private long _stallAt = None;
    private long _splitAt = None;
    private long _closeAt = None;
    private TimeSpan _stallDuration;
    private int _closeAtCode;
    private bool _splitNext;
    private long _sent;

    private void ArmInitial(C2FaultPlan plan)
    {
        _dropAt = plan.DropAfterMessages ?? None;
        _stallAt = plan.StallAfterMessages ?? None;
        _stallDuration = plan.StallDuration;
        _splitAt = plan.SplitFrameAfterMessages ?? None;
        _closeAt = plan.CloseAfterMessages ?? None;
        _closeAtCode = plan.CloseCode;
    }

    private async Task<SendEnd> SendLoopAsync(CancellationToken cancellationToken)
    {
        _batch = ArrayPool<byte>.Shared.Rent(BatchBytes);
        var reader = _outbox.Reader;
        try
        {
            var end = await ApplyDueFaultsAsync(cancellationToken).ConfigureAwait(false);
            if (end is not null)
            {
                return end.Value;
            }

            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    end = await ProcessAsync(item, cancellationToken).ConfigureAwait(false);
                    if (end is not null)
                    {
                        return end.Value;
                    }
                }

                // The queue is empty: everything gathered goes out in one write.
                await FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            return SendEnd.Failed;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException
                                       or Microsoft.AspNetCore.Connections.ConnectionAbortedException or System.Net.Sockets.SocketException)
        {
            return SendEnd.Failed;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_batch);
            _batch = [];
        }
    }

    private async ValueTask<SendEnd?> ProcessAsync(Outbound item, CancellationToken cancellationToken)
    {
        switch (item.Kind)
        {
            case OutboundKind.Message:
            case OutboundKind.Heartbeat:
                Interlocked.Decrement(ref _queued);
                await WriteMessageAsync(item.Frame!, item.Kind == OutboundKind.Heartbeat, cancellationToken).ConfigureAwait(false);
                return await ApplyDueFaultsAsync(cancellationToken).ConfigureAwait(false);
            case OutboundKind.Pong:
                await AppendAsync(item.Frame!, cancellationToken).ConfigureAwait(false);
                return null;
            case OutboundKind.Close:
                await SendCloseAsync(item.Code, item.Reason, item.ServerInitiated, cancellationToken).ConfigureAwait(false);
                return SendEnd.CloseSent;
            case OutboundKind.Stall:
                await StallAsync(item.Duration, cancellationToken).ConfigureAwait(false);
                return null;
            case OutboundKind.ArmFault:
                var at = _sent + item.Count;
                if (item.Fault == FaultKind.Drop)
                {
                    _dropAt = at;
                }
                else
                {
                    _splitAt = at;
                }

                return await ApplyDueFaultsAsync(cancellationToken).ConfigureAwait(false);
            default:
                await FlushAsync(cancellationToken).ConfigureAwait(false);
                return await RunFloodAsync(item.Flood!, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Fires every fault whose message count has been reached.</summary>
    private async ValueTask<SendEnd?> ApplyDueFaultsAsync(CancellationToken cancellationToken)
    {
        if (_sent >= _dropAt)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            return SendEnd.Drop;
        }

        if (_sent >= _closeAt)
        {
            _closeAt = None;
            await SendCloseAsync(_closeAtCode, "Fault injection", serverInitiated: true, cancellationToken).ConfigureAwait(false);
            return SendEnd.CloseSent;
        }

        if (_sent >= _stallAt)
        {
            _stallAt = None;
            await StallAsync(_stallDuration, cancellationToken).ConfigureAwait(false);
        }

        if (_sent >= _splitAt)
        {
            _splitAt = None;
            _splitNext = true;
        }

        return null;
    }

    private long MessagesUntilFault() =>
        Math.Max(0, Math.Min(Math.Min(_dropAt, _closeAt), Math.Min(_stallAt, _splitAt)) - _sent);

    private async ValueTask WriteMessageAsync(byte[] frame, bool heartbeat, CancellationToken cancellationToken)
    {
        if (_splitNext)
        {
            _splitNext = false;
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            if (heartbeat)
            {
                var now = Stopwatch.GetTimestamp();
                _heartbeatSendTimes.Enqueue(now);
                NoteHeartbeatsSent(1, now);
            }

            for (var i = 0; i < frame.Length; i++)
            {
                await _transport.WriteAsync(frame.AsMemory(i, 1), cancellationToken).ConfigureAwait(false);
                await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (_core.Options.SplitWritePause > TimeSpan.Zero)
                {
                    // Give the transport time to put this byte on the wire before the next one (Nagle is off).
                    await Task.Delay(_core.Options.SplitWritePause, _core.Time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        else
        {
            await AppendAsync(frame, cancellationToken).ConfigureAwait(false);
            if (heartbeat)
            {
                _batchHeartbeats++;
            }
        }

        _sent++;
        Volatile.Write(ref _messagesSent, _sent);
        _core.Stats.Increment(ref _core.Stats.MessagesSent);
        _core.Stats.Add(ref _core.Stats.BytesSent, frame.Length);
        if (heartbeat)
        {
            _core.Stats.Increment(ref _core.Stats.HeartbeatsSent);
        }
    }

    private async ValueTask AppendAsync(byte[] frame, CancellationToken cancellationToken)
    {
        if (frame.Length > _batch.Length - _batchUsed)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        if (frame.Length > _batch.Length)
        {
            await _transport.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            return;
        }

        frame.CopyTo(_batch.AsSpan(_batchUsed));
        _batchUsed += frame.Length;
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_batchUsed == 0)
        {
            return;
        }

        // A heartbeat's send time is taken as its batch goes to the transport.
        if (_batchHeartbeats > 0)
        {
            var now = Stopwatch.GetTimestamp();
            NoteHeartbeatsSent(_batchHeartbeats, now);
            for (; _batchHeartbeats > 0; _batchHeartbeats--)
            {
                _heartbeatSendTimes.Enqueue(now);
            }
        }

        var used = _batchUsed;
        _batchUsed = 0;
        await _transport.WriteAsync(_batch.AsMemory(0, used), cancellationToken).ConfigureAwait(false);
        await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask SendCloseAsync(int code, string? reason, bool serverInitiated, CancellationToken cancellationToken)
    {
        if (_closeSent)
        {
            return;
        }

        _closeSent = true;
        if (serverInitiated)
        {
            Volatile.Write(ref _closeCode, code);
            _core.Stats.ServerClose(code);
        }

        await AppendAsync(ServerFrame.EncodeClose(code, reason), cancellationToken).ConfigureAwait(false);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask StallAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        _stalled = true;
        try
        {
            await Task.Delay(duration, _core.Time, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _stallEndedTicks, Stopwatch.GetTimestamp());
            _stalled = false;
        }
    }

    /// <summary>
    /// Enqueues a heartbeat every interval and closes the connection when no ack arrived within interval + grace of the
    /// previous one (the first window starts at open). Stopped heartbeats and stalls suspend the check.
    /// </summary>
    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        var interval = _core.Options.HeartbeatInterval;
        var intervalTicks = (long)(interval.TotalSeconds * Stopwatch.Frequency);
        var windowTicks = (long)((interval + _core.Options.HeartbeatGrace).TotalSeconds * Stopwatch.Frequency);
        var nextBeat = _openedTicks + intervalTicks;
        while (!cancellationToken.IsCancellationRequested && !_closeSent)
        {
            var now = Stopwatch.GetTimestamp();
            var enforcing = _heartbeatsOn && !_stalled;
            var deadline = Math.Max(Volatile.Read(ref _lastAckTicks), Volatile.Read(ref _stallEndedTicks)) + windowTicks;
            if (enforcing && now >= deadline)
            {
                _core.Stats.Increment(ref _core.Stats.HeartbeatAckTimeouts);
                Close(_core.Options.HeartbeatMissCloseCode, "Heartbeat ack not received");
                return;
            }

            if (now >= nextBeat)
            {
                if (enforcing)
                {
                    EnqueueFrame(_core.Writer.Heartbeat(), OutboundKind.Heartbeat);
                }

                nextBeat = now + intervalTicks; // from the actual send: a late heartbeat never causes a burst
                continue;
            }

            var wake = enforcing ? Math.Min(nextBeat, deadline) : nextBeat;
            await Task.Delay(Stopwatch.GetElapsedTime(now, wake) + TimeSpan.FromMilliseconds(1), _core.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs one flood inside the send loop; queued items are still served between batches.</summary>
    private async ValueTask<SendEnd?> RunFloodAsync(FloodRequest request, CancellationToken cancellationToken)
    {
        var options = request.Options;
        var strategyId = options.StrategyId != 0 ? options.StrategyId : FirstSignalStrategy();
        var feed = _core.Feed(strategyId);
        var encoder = new FloodEncoder(strategyId, options, _core.Writer.Ids.Prefix, _core.Options.RandomSeed);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(options.BatchBytes, encoder.MaxFrameLength));
        var firstSeq = feed.NextSeqId();
        var nextSeq = firstSeq;
        FloodCounts total = default;
        long bytes = 0;
        var target = options.MessageCount ?? long.MaxValue;
        var started = Stopwatch.GetTimestamp();
        var stopAt = options.Duration is { } duration ? started + (long)(duration.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        var completed = false;
        SendEnd? end = null;
        try
        {
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                if (total.Messages >= target || now >= stopAt)
                {
                    completed = true;
                    break;
                }

                if (request.CancellationToken.IsCancellationRequested)
                {
                    break;
                }

                // Serve what was queued meanwhile (heartbeats, acks, closes, faults) in order; one flood at a time,
                // so a flood requested during this one goes back to the queue and runs after it.
                List<Outbound>? deferred = null;
                for (var n = 0; n < 4096 && end is null && _outbox.Reader.TryRead(out var item); n++)
                {
                    if (item.Kind == OutboundKind.Flood)
                    {
                        (deferred ??= []).Add(item);
                        continue;
                    }

                    end = await ProcessAsync(item, cancellationToken).ConfigureAwait(false);
                }

                foreach (var item in deferred ?? [])
                {
                    _outbox.Writer.TryWrite(item);
                }

                await FlushAsync(cancellationToken).ConfigureAwait(false);
                if (end is not null)
                {
                    break;
                }

                var budget = target - total.Messages;
                if (options.RatePerSecond is { } rate)
                {
                    var due = (long)(Stopwatch.GetElapsedTime(started, now).TotalSeconds * rate) - total.Messages;
                    if (due <= 0)
                    {
                        await Task.Delay(1, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    budget = Math.Min(budget, due);
                }

                budget = Math.Min(budget, MessagesUntilFault());
                var max = (int)Math.Min(budget, int.MaxValue);
                if (max > 0)
                {
                    var firstId = _core.Writer.Ids.Reserve(Math.Min(max, (buffer.Length / encoder.MinFrameLength) + 1));
                    var written = encoder.Fill(buffer, total.Messages, max, firstId, ref nextSeq, _core.Time.GetUtcNow(), out var counts);
                    for (var i = 0; i < counts.Heartbeats; i++)
                    {
                        _heartbeatSendTimes.Enqueue(now);
                    }

                    if (counts.Heartbeats > 0)
                    {
                        NoteHeartbeatsSent(counts.Heartbeats, now);
                    }

                    await _transport.WriteAsync(buffer.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
                    await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);
                    Accumulate(ref total, counts);
                    bytes += written;
                    _sent += counts.Messages;
                    Volatile.Write(ref _messagesSent, _sent);
                    _core.Stats.Add(ref _core.Stats.MessagesSent, counts.Messages);
                    _core.Stats.Add(ref _core.Stats.FloodMessages, counts.Messages);
                    _core.Stats.Add(ref _core.Stats.HeartbeatsSent, counts.Heartbeats);
                    _core.Stats.Add(ref _core.Stats.BytesSent, written);
                }

                end = await ApplyDueFaultsAsync(cancellationToken).ConfigureAwait(false);
                if (end is not null)
                {
                    break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (nextSeq > firstSeq)
            {
                feed.AdvancePast(nextSeq - 1);
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            request.Result.TrySetResult(new C2FloodResult(
                total.Messages, total.Signals, total.Positions, total.Heartbeats, bytes, elapsed,
                nextSeq > firstSeq ? firstSeq : 0, nextSeq > firstSeq ? nextSeq - 1 : 0, completed));
        }

        return end;
    }

    private long FirstSignalStrategy()
    {
        lock (_subscriptionGate)
        {
            foreach (var (channel, strategyId) in _subscriptions)
            {
                if (channel == Protocol.MessageTypes.Signal)
                {
                    return strategyId;
                }
            }
        }

        return _core.Options.Strategies.FirstOrDefault(1);
    }

    private static void Accumulate(ref FloodCounts total, in FloodCounts counts)
    {
        total.Messages += counts.Messages;
        total.Signals += counts.Signals;
        total.Positions += counts.Positions;
        total.Heartbeats += counts.Heartbeats;
        total.Bytes += counts.Bytes;
    }
}
