using System.Buffers;
using System.IO.Pipelines;
using System.Text.Unicode;

namespace C2Fast.Framing;

/// <summary>The read loop: every complete frame of a read handled, then one <c>AdvanceTo</c>.</summary>
internal sealed partial class WebSocketEngine
{
    /// <summary>
    /// After handling this many bytes of one read, the loop hands the batch over (wakes consumers, flushes
    /// replies) before it goes on with the rest, so a large buffered backlog is not handed over in one piece.
    /// </summary>
    internal const int MaxBytesPerRead = 256 * 1024;

    // Read-loop state; only the loop touches it.
    private Opcode _openMessage = Opcode.Continuation; // Continuation = no fragmented message open
    private byte[] _assembly = [];
    private int _assemblyLength;
    private Utf8Validator _utf8;
    private int _closeCode;
    private string _closeReason = string.Empty;
    private long _lastReceive; // timestamp of the last read that completed a frame, for the watchdog
    private long _lastFrame;   // the same, never moved by a pause: what the server really sent, and when

    // Set once the application asked to close (or the connection is being stopped): data is no longer delivered.
    private volatile bool _closeRequested;

    /// <summary>Where the handling of one read's frames stopped.</summary>
    private enum Step : byte
    {
        /// <summary>Every complete frame handled; the next one is not all here yet.</summary>
        NeedMore,

        /// <summary><see cref="MaxBytesPerRead"/> handled; go on at once with the rest.</summary>
        Yield,

        /// <summary>The handler asked for backpressure.</summary>
        Pause,

        /// <summary>The handler asked to stop.</summary>
        Abort,

        /// <summary>A close frame arrived (nothing after it is parsed).</summary>
        CloseReceived,

        /// <summary>A rule was broken; the failing frame stays.</summary>
        Fail,
    }

    private async Task<EngineOutcome> ReceiveLoopAsync(IMessageHandler handler)
    {
        PipeReader input = _transport.Input;
        EngineOutcome outcome;
        try
        {
            while (true)
            {
                ReadResult result;
                try
                {
                    result = await input.ReadAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
                {
                    outcome = Stopped != StopReason.None ? StoppedOutcome() : ReadFailed(ex);
                    break;
                }

                if (result.IsCanceled)
                {
                    // Only Stop cancels this pipe's reads: it has recorded why.
                    outcome = StoppedOutcome();
                    break;
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                long received = buffer.Length;
                Step step = HandleFrames(ref buffer, handler, out FrameError error);
                if (buffer.Length < received)
                {
                    // Liveness counts complete frames (a frame is sliced off only once handled whole), not bytes: a
                    // server that trickles one frame's bytes forever is as dead as a silent one.
                    long now = _time.GetTimestamp();
                    Volatile.Write(ref _lastReceive, now);
                    Volatile.Write(ref _lastFrame, now);
                }

                // Once per read. The rest of the buffer is examined only when no complete frame is left in it, so a
                // read waits for new bytes exactly when it must, and the pipe's pause threshold counts what was left.
                input.AdvanceTo(buffer.Start, step is Step.NeedMore or Step.Fail or Step.CloseReceived ? buffer.End : buffer.Start);

                // The batch is handed over, and its replies (heartbeat acks, pongs) leave in one write, before anything
                // else: never behind a pause or the next read.
                handler.OnReadCompleted(this);
                await FlushQueuedAsync(handler).ConfigureAwait(false);

                if (step == Step.Pause)
                {
                    await PauseAsync(handler).ConfigureAwait(false);
                    continue;
                }

                if (step == Step.Yield)
                {
                    continue;
                }

                if (step != Step.NeedMore)
                {
                    outcome = step switch
                    {
                        Step.Fail => await FailAsync(error).ConfigureAwait(false),
                        Step.CloseReceived => await CompleteCloseAsync().ConfigureAwait(false),
                        _ => HandlerAborted(),
                    };
                    break;
                }

                if (result.IsCompleted)
                {
                    // RFC 6455 §7.1.5: the TCP connection closed without a close frame (1006).
                    outcome = _closeByUs ? new EngineOutcome(EngineEnd.CloseUnanswered) : new EngineOutcome(EngineEnd.TransportClosed);
                    break;
                }
            }
        }
#pragma warning disable CA1031 // A defect must end the connection as a typed outcome, never escape the loop.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            outcome = new EngineOutcome(EngineEnd.Faulted, Exception: ex);
        }
        finally
        {
            StopWatchdog();
        }

        await CompleteOutputAsync(graceful: false).ConfigureAwait(false);
        return outcome;
    }

    private EngineOutcome HandlerAborted()
    {
        Stop(StopReason.Aborted, null);
        return new EngineOutcome(EngineEnd.Aborted);
    }

    private EngineOutcome ReadFailed(Exception ex)
        => _closeByUs ? new EngineOutcome(EngineEnd.CloseUnanswered, Exception: ex) : new EngineOutcome(EngineEnd.TransportFailed, Exception: ex);

    private EngineOutcome StoppedOutcome() => Stopped switch
    {
        StopReason.Silence => new EngineOutcome(EngineEnd.SilenceTimeout),
        StopReason.CloseTimeout => new EngineOutcome(EngineEnd.CloseUnanswered),
        StopReason.WriteFailed => _closeByUs ? new EngineOutcome(EngineEnd.CloseUnanswered) : new EngineOutcome(EngineEnd.TransportFailed, Exception: _stopException),
        _ => new EngineOutcome(EngineEnd.Aborted),
    };

    /// <summary>
    /// Handles every complete frame at the start of <paramref name="buffer"/> and slices them off, stopping early
    /// after a frame that needs the loop (close, pause, abort), once <see cref="MaxBytesPerRead"/> are handled
    /// (yield), or at a violation (the failing frame stays). Frames wholly inside the first segment are handled
    /// straight from its span, with no per-frame sequence slicing; a frame that straddles segments is copied out
    /// once and handled the same way.
    /// </summary>
    private Step HandleFrames(ref ReadOnlySequence<byte> buffer, IMessageHandler handler, out FrameError error)
    {
        long maxMessage = _settings.MaxMessageSize;
        long handled = 0;
        while (true)
        {
            ReadOnlySpan<byte> span = buffer.FirstSpan;
            int offset = 0;
            Step step = Step.NeedMore;
            error = FrameError.None;
            while (true)
            {
                ReadOnlySpan<byte> rest = span[offset..];
                OperationStatus status = FrameHeaderParser.TryParse(rest, maxMessage, out FrameHeader header, out error);
                if (status == OperationStatus.InvalidData)
                {
                    step = Step.Fail;
                    break;
                }

                if (status == OperationStatus.NeedMoreData || rest.Length < header.FrameLength)
                {
                    break;
                }

                step = HandleFrame(header, rest.Slice(header.HeaderLength, (int)header.PayloadLength), handler, out error);
                if (step == Step.Fail)
                {
                    break;
                }

                offset += (int)header.FrameLength;
                if (step != Step.NeedMore)
                {
                    break;
                }
            }

            buffer = buffer.Slice(offset);
            if (step != Step.NeedMore)
            {
                return step;
            }

            handled += offset;
            if (handled >= MaxBytesPerRead && !buffer.IsEmpty)
            {
                return Step.Yield;
            }

            // No complete frame is left in that span: the next one is not all here yet, or it lies in (or
            // reaches into) the next segment, which is where the slice now starts if the span ran out exactly.
            OperationStatus straddling = FrameHeaderParser.TryParse(buffer, maxMessage, out FrameHeader next, out error);
            if (straddling == OperationStatus.InvalidData)
            {
                return Step.Fail;
            }

            if (straddling == OperationStatus.NeedMoreData || buffer.Length < next.FrameLength)
            {
                return Step.NeedMore;
            }

            if (buffer.FirstSpan.Length >= next.FrameLength)
            {
                continue; // wholly inside the new first segment: handled from its span
            }

            step = HandleStraddlingFrame(next, buffer.Slice(next.HeaderLength, next.PayloadLength), handler, out error);
            if (step == Step.Fail)
            {
                return step;
            }

            buffer = buffer.Slice(next.FrameLength);
            handled += next.FrameLength;
            if (step != Step.NeedMore)
            {
                return step;
            }
        }
    }

    private Step HandleStraddlingFrame(in FrameHeader header, in ReadOnlySequence<byte> payload, IMessageHandler handler, out FrameError error)
    {
        int length = (int)payload.Length;
        byte[] copy = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        try
        {
            payload.CopyTo(copy);
            return HandleFrame(header, copy.AsSpan(0, length), handler, out error);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    private Step HandleFrame(in FrameHeader header, ReadOnlySpan<byte> payload, IMessageHandler handler, out FrameError error)
    {
        error = FrameError.None;
        switch (header.Opcode)
        {
            case Opcode.Text or Opcode.Binary:
                // RFC 6455 §5.4: a data frame may not start a message while another is open.
                if (_openMessage != Opcode.Continuation)
                {
                    error = FrameError.DataFrameInsideMessage;
                    return Step.Fail;
                }

                if (header.Fin)
                {
                    // RFC 6455 §8.1: a text message must be valid UTF-8.
                    if (header.Opcode == Opcode.Text && !Utf8.IsValid(payload))
                    {
                        error = FrameError.InvalidUtf8;
                        return Step.Fail;
                    }

                    return Deliver(handler, header.Opcode == Opcode.Text, payload);
                }

                _openMessage = header.Opcode;
                _assemblyLength = 0;
                _utf8.Reset();
                return Append(header.Fin, payload, handler, out error);

            case Opcode.Continuation:
                // RFC 6455 §5.4: a continuation frame needs a message to continue.
                if (_openMessage == Opcode.Continuation)
                {
                    error = FrameError.ContinuationWithoutMessage;
                    return Step.Fail;
                }

                return Append(header.Fin, payload, handler, out error);

            case Opcode.Ping:
                // RFC 6455 §5.5.2-3: answer with a pong carrying the same payload; it leaves with this read's replies.
                QueuePong(payload);
                return Step.NeedMore;

            case Opcode.Pong:
                // RFC 6455 §5.5.3: an unsolicited pong needs no answer.
                return Step.NeedMore;

            default:
                // RFC 6455 §5.5.1: validate the close payload; a bad one is a protocol error.
                if (!CloseFrame.TryParse(payload, out _closeCode, out error))
                {
                    return Step.Fail;
                }

                _closeReason = CloseFrame.ReadReason(payload);
                return Step.CloseReceived;
        }
    }

    // Once the application asked to close, further data is discarded, never delivered.
    private Step Deliver(IMessageHandler handler, bool isText, ReadOnlySpan<byte> message)
    {
        if (_closeRequested)
        {
            return Step.NeedMore;
        }

        return handler.OnMessage(this, isText, message) switch
        {
            MessageAction.Pause => Step.Pause,
            MessageAction.Abort => Step.Abort,
            _ => Step.NeedMore,
        };
    }

    private Step Append(bool fin, ReadOnlySpan<byte> payload, IMessageHandler handler, out FrameError error)
    {
        error = FrameError.None;

        // RFC 6455 §7.4.1 (1009): the assembled message may not exceed the configured maximum.
        if (_assemblyLength + (long)payload.Length > _settings.MaxMessageSize)
        {
            error = FrameError.MessageTooBig;
            return Step.Fail;
        }

        // RFC 6455 §8.1: validate each fragment as it arrives; a code point may span fragments.
        if (_openMessage == Opcode.Text && (!_utf8.TryValidate(payload) || (fin && _utf8.HasPending)))
        {
            error = FrameError.InvalidUtf8;
            return Step.Fail;
        }

        EnsureAssemblyCapacity(_assemblyLength + payload.Length);
        payload.CopyTo(_assembly.AsSpan(_assemblyLength));
        _assemblyLength += payload.Length;
        if (!fin)
        {
            return Step.NeedMore;
        }

        bool isText = _openMessage == Opcode.Text;
        _openMessage = Opcode.Continuation;
        int length = _assemblyLength;
        _assemblyLength = 0;
        return Deliver(handler, isText, _assembly.AsSpan(0, length));
    }

    private void EnsureAssemblyCapacity(int needed)
    {
        if (needed <= _assembly.Length)
        {
            return;
        }

        int size = (int)Math.Min(Math.Max(needed, Math.Max(4096, (long)_assembly.Length * 2)), _settings.MaxMessageSize);
        byte[] larger = ArrayPool<byte>.Shared.Rent(size);
        _assembly.AsSpan(0, _assemblyLength).CopyTo(larger);
        ReleaseAssembly();
        _assembly = larger;
    }

    private void ReleaseAssembly()
    {
        if (_assembly.Length != 0)
        {
            ArrayPool<byte>.Shared.Return(_assembly);
            _assembly = [];
        }
    }
}
