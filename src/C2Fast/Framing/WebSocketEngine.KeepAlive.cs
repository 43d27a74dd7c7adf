namespace C2Fast.Framing;

/// <summary>Liveness: the silence watchdog, and backpressure pauses (during which silence is expected).</summary>
internal sealed partial class WebSocketEngine
{
    private readonly CancellationTokenSource _stopping = new(); // cancelled by Stop: ends waits of the loop
    private readonly CancellationTokenSource _closing = new();  // cancelled by a close or Stop: ends a pause
    private ITimer? _watchdog;
    private volatile bool _paused;

    /// <summary>Half-open TCP never errors by itself: with no complete frame for the silence timeout, the connection is dropped.</summary>
    private void StartWatchdog()
    {
        TimeSpan limit = _settings.SilenceTimeout;
        if (limit <= TimeSpan.Zero || limit == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        TimeSpan period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond * 10, limit.Ticks / 8));
        _watchdog = _time.CreateTimer(static state => ((WebSocketEngine)state!).CheckLiveness(), this, period, period);
    }

    private void StopWatchdog()
    {
        _watchdog?.Dispose();
        _closeTimer?.Dispose();
    }

    private void CheckLiveness()
    {
        // While paused the loop reads nothing on purpose: that is not the server going silent.
        if (!_paused && _time.GetElapsedTime(Volatile.Read(ref _lastReceive)) > _settings.SilenceTimeout)
        {
            Stop(StopReason.Silence, null);
        }
    }

    private void CancelPause()
    {
        _closing.Cancel();
        if (Stopped != StopReason.None)
        {
            _stopping.Cancel();
        }
    }

    /// <summary>Backpressure: delivers nothing until the handler has room, or the connection is closing.</summary>
    private async ValueTask PauseAsync(IMessageHandler handler)
    {
        _paused = true;
        try
        {
            await handler.WaitForCapacityAsync(this, _closing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            // Closing or stopping: read on to the server's close frame (nothing more is delivered).
        }
        finally
        {
            Volatile.Write(ref _lastReceive, _time.GetTimestamp());
            _paused = false;
        }
    }
}
