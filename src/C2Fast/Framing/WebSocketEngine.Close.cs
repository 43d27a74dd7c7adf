using System.IO.Pipelines;

namespace C2Fast.Framing;

/// <summary>The close handshake (RFC 6455 §7) and failing the connection (§7.1.7).</summary>
internal sealed partial class WebSocketEngine
{
    private ITimer? _closeTimer;
    private int _queuedCloseCode; // a close the handler asked for (QueueClose); 0 = none
    private string? _queuedCloseReason;
    private volatile bool _closeByUs;

    /// <summary>
    /// Asks, from the loop (inside <see cref="IMessageHandler.OnMessage"/>), for the close handshake: no later message
    /// is delivered, and the close frame leaves right after this read's replies. The loop then reads on until the
    /// server's close, or <see cref="EngineSettings.CloseTimeout"/>.
    /// </summary>
    public void QueueClose(int code, string? reason)
    {
        if (!CloseFrame.IsValidReceivedCode(code))
        {
            Diagnostics.ThrowHelper.ThrowArgumentOutOfRange(nameof(code), code, "Not a close code that may be sent (RFC 6455 §7.4).");
        }

        _closeByUs = true;
        _closeRequested = true;
        _queuedCloseCode = code;
        _queuedCloseReason = reason;
    }

    /// <summary>
    /// Starts the close handshake (RFC 6455 §7.1.2) from any thread and waits for the read loop to see the server's
    /// close and the end of TCP; the whole close takes at most <see cref="EngineSettings.CloseTimeout"/>.
    /// </summary>
    /// <returns>How the connection ended; <see cref="EngineEnd.CloseUnanswered"/> if the server never answered.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled (the close goes on in the background).</exception>
    public async Task<EngineOutcome> CloseAsync(int code, string? reason, CancellationToken cancellationToken = default)
    {
        if (code != CloseFrame.NoStatus && !CloseFrame.IsValidReceivedCode(code))
        {
            Diagnostics.ThrowHelper.ThrowArgumentOutOfRange(nameof(code), code, "Not a close code that may be sent (RFC 6455 §7.4).");
        }

        _closeByUs = true;
        _closeRequested = true;
        CancelPause();

        // Sending is bounded by the close timeout too, even behind a write stuck on a full TCP window.
        using var deadline = new CancellationTokenSource(_settings.CloseTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        try
        {
            await _writeLock.WaitAsync(linked.Token).ConfigureAwait(false);
            try
            {
                if (!_closeSent)
                {
                    WriteCloseFrame(_transport.Output, code, reason);
                    await FlushLockedAsync(linked.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Stop(StopReason.CloseTimeout, null); // could not even send it: give up on the handshake
        }

        if (_loop is null)
        {
            Stop(StopReason.Aborted, null);
            await CompleteOutputAsync(graceful: false).ConfigureAwait(false);
            return new EngineOutcome(EngineEnd.CloseUnanswered);
        }

        return await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void StartCloseTimer()
        => _closeTimer ??= _time.CreateTimer(static state => ((WebSocketEngine)state!).Stop(StopReason.CloseTimeout, null), this, _settings.CloseTimeout, Timeout.InfiniteTimeSpan);

    /// <summary>The server's close arrived: echo it unless ours went first (RFC 6455 §5.5.1), then wait for TCP to end.</summary>
    private async Task<EngineOutcome> CompleteCloseAsync()
    {
        bool serverInitiated = !_closeByUs;
        await WriteFinalAsync(_closeCode).ConfigureAwait(false);
        await DrainAsync().ConfigureAwait(false);
        return new EngineOutcome(EngineEnd.Closed, _closeCode, _closeReason, serverInitiated);
    }

    /// <summary>Fails the connection (RFC 6455 §7.1.7): close with the rule's code, half-close, wait briefly for the server's end.</summary>
    private async Task<EngineOutcome> FailAsync(FrameError error)
    {
        int code = FrameErrors.CloseCode(error);
        await WriteFinalAsync(code).ConfigureAwait(false);
        await DrainAsync().ConfigureAwait(false);
        return new EngineOutcome(EngineEnd.ProtocolError, code, Error: error);
    }

    /// <summary>Sends a close frame with <paramref name="code"/> unless one was sent, then completes the output (a half-close).</summary>
    private async Task WriteFinalAsync(int code)
    {
        using var deadline = new CancellationTokenSource(_settings.CloseTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, _stopping.Token);
        try
        {
            await _writeLock.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return; // a write is stuck or the connection is being stopped: the transport's disposal ends it
        }

        try
        {
            if (!_closeSent)
            {
                WriteCloseFrame(_transport.Output, code, null);
                await FlushLockedAsync(linked.Token).ConfigureAwait(false);
            }

            await CompleteOutputLockedAsync(graceful: true).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The close frame could not be sent in time; failing anyway.
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>RFC 6455 §7.1.1: the server ends TCP first; read (and discard) until it does, at most the close timeout.</summary>
    private async Task DrainAsync()
    {
        PipeReader input = _transport.Input;
        using var timeout = new CancellationTokenSource(_settings.CloseTimeout, _time);
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Timed out, or the transport is already gone.
        }
    }

    /// <summary>Completes the output once, if no write holds it (the transport's disposal ends a stuck one).</summary>
    private async ValueTask CompleteOutputAsync(bool graceful)
    {
        if (!_writeLock.Wait(0))
        {
            return;
        }

        try
        {
            await CompleteOutputLockedAsync(graceful).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async ValueTask CompleteOutputLockedAsync(bool graceful)
    {
        if (_outputCompleted)
        {
            return;
        }

        _outputCompleted = true;
        _closeSent = true;
        try
        {
            // Graceful: flush what is left and half-close, within the close timeout (a peer that stopped reading must not
            // hold the close). Otherwise nothing more is written.
            ValueTask completing = _transport.Output.CompleteAsync(graceful ? null : new OperationCanceledException("The connection was stopped."));
            await completing.AsTask().WaitAsync(_settings.CloseTimeout, _time).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException or TimeoutException)
        {
            // The transport is gone already.
        }
    }
}
