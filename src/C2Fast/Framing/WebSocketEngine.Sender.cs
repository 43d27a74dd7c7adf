using System.Buffers;
using System.IO.Pipelines;

namespace C2Fast.Framing;

/// <summary>The send path: one writer at a time, a fresh mask per frame, and the replies the loop queues.</summary>
internal sealed partial class WebSocketEngine
{
    // Large payloads are masked into the output in pieces of this size and flushed as they go.
    private const int SendChunkSize = 16 * 1024;

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly MaskKeySource _masks = new();      // used under _writeLock
    private readonly MaskKeySource _replyMasks = new(); // used by the loop thread only

    // Send state; guarded by _writeLock.
    private bool _closeSent;        // our close frame went out (or the output is unusable): nothing more is sent
    private bool _outputCompleted;
    private bool _sendingFragments;

    // Replies queued by the loop (pongs, and the handler's replies: heartbeat acks); flushed after each read.
    private byte[] _replies = new byte[256];
    private int _repliesLength;
    private int _repliesCount; // the handler's replies among them (pongs are not reported)

    /// <summary>
    /// Queues a text message to send right after the current read is handled (loop thread only, from
    /// <see cref="IMessageHandler.OnMessage"/>). Masked here with a fresh key; no allocation once the reply
    /// buffer has grown to fit.
    /// </summary>
    public void QueueReply(ReadOnlySpan<byte> textPayload)
    {
        QueueFrame(Opcode.Text, textPayload);
        _repliesCount++;
    }

    /// <summary>Sends a whole message as one frame.</summary>
    public ValueTask<SendResult> SendAsync(ReadOnlyMemory<byte> payload, bool isText, CancellationToken cancellationToken = default)
        => SendAsync(payload, isText, endOfMessage: true, cancellationToken);

    /// <summary>Sends one fragment of a message (RFC 6455 §5.4); the first fragment carries the type.</summary>
    /// <returns>Whether the frame was written; <see cref="SendResult.NotOpen"/> once the connection is closing.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting to write.</exception>
    public async ValueTask<SendResult> SendAsync(ReadOnlyMemory<byte> payload, bool isText, bool endOfMessage, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_closeSent)
            {
                return SendResult.NotOpen;
            }

            Opcode opcode = _sendingFragments ? Opcode.Continuation : isText ? Opcode.Text : Opcode.Binary;
            SendResult sent = await WriteFrameLockedAsync(opcode, endOfMessage, payload, cancellationToken).ConfigureAwait(false);
            _sendingFragments = sent == SendResult.Sent && !endOfMessage;
            return sent;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends a ping (RFC 6455 §5.5.2) with up to 125 bytes of payload.</summary>
    public async ValueTask<SendResult> PingAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (payload.Length > CloseFrame.MaxControlPayload)
        {
            Diagnostics.ThrowHelper.ThrowArgumentOutOfRange(nameof(payload), payload.Length, "A control frame carries at most 125 bytes.");
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _closeSent ? SendResult.NotOpen : await WriteFrameLockedAsync(Opcode.Ping, fin: true, payload, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    // A pong echoes the ping's payload (at most 125 bytes, checked by the header parser).
    private void QueuePong(ReadOnlySpan<byte> pingPayload) => QueueFrame(Opcode.Pong, pingPayload);

    private void QueueFrame(Opcode opcode, ReadOnlySpan<byte> payload)
    {
        int needed = _repliesLength + FrameWriter.HeaderLength(payload.Length) + payload.Length;
        if (needed > _replies.Length)
        {
            Array.Resize(ref _replies, Math.Max(needed, _replies.Length * 2));
        }

        // Only the loop queues frames, so it has a key source of its own and needs no lock.
        _repliesLength += FrameWriter.WriteFrame(_replies.AsSpan(_repliesLength), opcode, fin: true, payload, _replyMasks.Next());
    }

    /// <summary>Writes what the loop queued during one read (replies, then a close it was asked for) in one flush.</summary>
    private async ValueTask FlushQueuedAsync(IMessageHandler handler)
    {
        if (_repliesLength == 0 && _queuedCloseCode == 0)
        {
            return;
        }

        int written = 0;
        try
        {
            await _writeLock.WaitAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            DropQueued();
            return; // stopping: the loop's next read ends it
        }

        try
        {
            if (!_closeSent)
            {
                PipeWriter output = _transport.Output;
                if (_repliesLength != 0)
                {
                    output.Write(_replies.AsSpan(0, _repliesLength));
                    written = _repliesCount;
                }

                if (_queuedCloseCode != 0)
                {
                    WriteCloseFrame(output, _queuedCloseCode, _queuedCloseReason);
                }

                if (await FlushLockedAsync(_stopping.Token).ConfigureAwait(false) != SendResult.Sent)
                {
                    written = 0;
                }
            }
        }
        finally
        {
            DropQueued();
            _writeLock.Release();
        }

        if (written != 0)
        {
            handler.OnRepliesWritten(written);
        }
    }

    private void DropQueued()
    {
        _repliesLength = 0;
        _repliesCount = 0;
        _queuedCloseCode = 0;
    }

    /// <summary>Masks and writes one frame, in pieces for large payloads, and flushes. Caller holds the write lock.</summary>
    private async ValueTask<SendResult> WriteFrameLockedAsync(Opcode opcode, bool fin, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        PipeWriter output = _transport.Output;
        uint key = _masks.Next();
        try
        {
            if (payload.Length <= SendChunkSize)
            {
                int length = FrameWriter.WriteFrame(output.GetSpan(FrameWriter.MaxHeaderLength + payload.Length), opcode, fin, payload.Span, key);
                output.Advance(length);
            }
            else
            {
                output.Advance(FrameWriter.WriteHeader(output.GetSpan(FrameWriter.MaxHeaderLength), opcode, fin, payload.Length, key));
                for (int offset = 0; offset < payload.Length;)
                {
                    int take = Math.Min(SendChunkSize, payload.Length - offset);
                    Span<byte> destination = output.GetSpan(take)[..take];
                    payload.Span.Slice(offset, take).CopyTo(destination);
                    Mask.Apply(destination, key, offset);
                    output.Advance(take);
                    offset += take;
                    if (offset < payload.Length && (await output.FlushAsync(cancellationToken).ConfigureAwait(false)).IsCompleted)
                    {
                        return WriteFailed(null);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            return WriteFailed(ex);
        }
        catch (OperationCanceledException)
        {
            // A partly written frame leaves the stream unusable: nothing more may be sent.
            WriteFailed(null);
            throw;
        }

        return await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Flushes the output. Caller holds the write lock. A failed or cancelled flush ends the connection.</summary>
    private async ValueTask<SendResult> FlushLockedAsync(CancellationToken cancellationToken)
    {
        try
        {
            FlushResult flushed = await _transport.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return flushed.IsCompleted || flushed.IsCanceled ? WriteFailed(null) : SendResult.Sent;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            return WriteFailed(ex);
        }
        catch (OperationCanceledException)
        {
            WriteFailed(null);
            throw;
        }
    }

    // The output can no longer be trusted (a frame may be half written): send nothing more and end the connection.
    private SendResult WriteFailed(Exception? exception)
    {
        _closeSent = true;
        Stop(StopReason.WriteFailed, exception);
        return SendResult.Failed;
    }

    /// <summary>Writes a close frame (RFC 6455 §5.5.1) into the output, unflushed, and starts the close timer. Caller holds the write lock.</summary>
    private void WriteCloseFrame(PipeWriter output, int code, string? reason)
    {
        Span<byte> payload = stackalloc byte[CloseFrame.MaxControlPayload];
        int length = CloseFrame.WritePayload(payload, code, reason);
        output.Advance(FrameWriter.WriteFrame(output.GetSpan(FrameWriter.MaxHeaderLength + length), Opcode.Close, fin: true, payload[..length], _masks.Next()));
        _closeSent = true;
        StartCloseTimer();
    }
}
