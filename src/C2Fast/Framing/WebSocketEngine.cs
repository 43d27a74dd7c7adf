using System.IO.Pipelines;

namespace C2Fast.Framing;

/// <summary>
/// An RFC 6455 client endpoint over a duplex pipe: one read loop that owns <see cref="IDuplexPipe.Input"/>,
/// a single-writer send path with a fresh mask per frame, the close handshake, and a silence watchdog.
/// It knows nothing of sockets, TLS, HTTP or the feed: connecting and upgrading happen before it is made.
/// </summary>
/// <remarks>
/// <para>
/// Split along its seams, as ManagedWebSocket is: <c>.Receiver</c> (the read loop, frame handling, message
/// assembly), <c>.Sender</c> (the write lock, masking, the replies the loop queues), <c>.Close</c> (the close
/// handshake and failing the connection) and <c>.KeepAlive</c> (the silence watchdog and backpressure pauses).
/// </para>
/// <para>
/// Stopping: the loop is only ever stopped through its own pipe. <see cref="Abort"/>, the watchdog, a failed
/// write and an expired close all record why in <see cref="_stop"/> and call
/// <see cref="PipeReader.CancelPendingRead"/>; the loop sees <see cref="ReadResult.IsCanceled"/> and ends with
/// that reason. Whoever comes first wins; the loop never ends for a canceled read without a reason.
/// </para>
/// <para>
/// Close state machine (RFC 6455 §7):
/// <code>
/// Open ── server close ──▶ echo it ─────────────────────┐
/// Open ── CloseAsync / QueueClose ──▶ CloseSent ──▶ server close ─┤─▶ wait ≤ CloseTimeout for EOF ─▶ Closed
///                                        └── no answer within CloseTimeout ─▶ CloseUnanswered (1006)
/// Open ── violation ──▶ close 1002/1007/1009 sent, half-close, drain ≤ CloseTimeout ─▶ ProtocolError
/// any  ── Abort / silence / transport failure ─▶ ended at once
/// </code>
/// After a close frame has been received nothing more is parsed; after ours has been sent nothing more is
/// sent (not even a pong) and data messages that still arrive are discarded, not delivered.
/// </para>
/// </remarks>
internal sealed partial class WebSocketEngine : IAsyncDisposable
{
    private readonly IDuplexPipe _transport;
    private readonly EngineSettings _settings;
    private readonly TimeProvider _time;
    private Task<EngineOutcome>? _loop;

    // Why the loop was told to stop (StopReason), first one wins; the exception of a failed write.
    private int _stop;
    private Exception? _stopException;

    /// <summary>Creates an engine over an upgraded connection. Nothing is read until <see cref="RunAsync"/>.</summary>
    /// <param name="transport">The upgraded byte pipes; the engine owns their use until the loop ends.</param>
    /// <param name="settings">Limits and timeouts.</param>
    public WebSocketEngine(IDuplexPipe transport, EngineSettings settings)
    {
        _transport = transport;
        _settings = settings;
        _time = settings.Time;
        _lastReceive = _time.GetTimestamp();
    }

    private enum StopReason
    {
        None,
        Aborted,
        Silence,
        CloseTimeout,
        WriteFailed,
    }

    /// <summary>The read loop's task once <see cref="RunAsync"/> was called.</summary>
    public Task<EngineOutcome>? Completion => _loop;

    /// <summary>
    /// Timestamp (of the engine's <see cref="TimeProvider"/>) of the last read that completed a frame, control frames
    /// included; 0 before the first. Unlike the silence watchdog's stamp, a backpressure pause never moves it.
    /// </summary>
    public long LastFrameReceivedAt => Volatile.Read(ref _lastFrame);

    /// <summary>
    /// Runs the read loop until the connection ends; call once. Never throws: how the connection ended is the result.
    /// When it completes, the output is completed too (nothing more can be sent); the caller then disposes the transport.
    /// </summary>
    /// <param name="handler">Receives every data message.</param>
    public Task<EngineOutcome> RunAsync(IMessageHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (_loop is not null)
        {
            Diagnostics.ThrowHelper.ThrowInvalidOperation("The read loop is already running.");
        }

        StartWatchdog();
        _loop = ReceiveLoopAsync(handler);
        return _loop;
    }

    /// <summary>Ends the connection now, from any thread, without a close handshake; the loop ends with <see cref="EngineEnd.Aborted"/>.</summary>
    public void Abort() => Stop(StopReason.Aborted, null);

    /// <summary>Aborts and waits for the loop to end.</summary>
    public async ValueTask DisposeAsync()
    {
        Abort();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
        else
        {
            await CompleteOutputAsync(graceful: false).ConfigureAwait(false);
        }

        StopWatchdog();
        ReleaseAssembly();
    }

    // Records why the loop must stop (first reason wins) and wakes it through its own pipe.
    private void Stop(StopReason reason, Exception? exception)
    {
        if (Interlocked.CompareExchange(ref _stop, (int)reason, (int)StopReason.None) == (int)StopReason.None)
        {
            _stopException = exception;
        }

        _closeRequested = true;
        CancelPause();

        // The loop's reads run inline, so waking it here would run the rest of it (its end, and whoever awaits that) on
        // this caller's thread: a sender holding the write lock, a timer, a disposer. It is woken from the pool instead.
        ThreadPool.UnsafeQueueUserWorkItem(static input => input.CancelPendingRead(), _transport.Input, preferLocal: false);
    }

    private StopReason Stopped => (StopReason)Volatile.Read(ref _stop);
}
