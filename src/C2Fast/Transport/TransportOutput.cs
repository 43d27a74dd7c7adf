using System.IO.Pipelines;

namespace C2Fast.Transport;

/// <summary>
/// The transport's <see cref="PipeWriter"/>: writes go straight to the stream when flushed (no send pump,
/// no thread hop); completing it without an error half-closes the connection (TLS close_notify, then a TCP FIN),
/// so the last frame written is not lost to a reset. Completing it with an error writes nothing more.
/// </summary>
internal sealed class TransportOutput(PipeWriter inner, Func<ValueTask> shutdownSend) : PipeWriter
{
    private int _completed;

    /// <inheritdoc/>
    public override void Advance(int bytes) => inner.Advance(bytes);

    /// <inheritdoc/>
    public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

    /// <inheritdoc/>
    public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

    /// <inheritdoc/>
    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    /// <inheritdoc/>
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

    /// <inheritdoc/>
    public override void Complete(Exception? exception = null) => CompleteAsync(exception).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return;
        }

        try
        {
            await inner.CompleteAsync(exception).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // Nothing more can be written; the half-close below still tells the peer, if it can.
        }

        if (exception is null)
        {
            await shutdownSend().ConfigureAwait(false);
        }
    }
}
