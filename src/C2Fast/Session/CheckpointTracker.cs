using C2Fast.Diagnostics;
using Microsoft.Extensions.Logging;

namespace C2Fast.Session;

/// <summary>
/// The last signal <c>seq_id</c> each strategy's consumer has finished with (lease disposed),
/// saved to an <see cref="IC2CheckpointStore"/> in the background.
/// </summary>
/// <remarks>
/// At-least-once to the store, exactly-once to consumers within a process: the checkpoint moves
/// only when a consumer disposes a signal, never when it was merely read or queued; dropped or
/// undelivered leases never move it. A crash may lose the last <see cref="C2FeedOptions.CheckpointInterval"/>
/// of commits, so after a restart those signals are replayed once more.
/// </remarks>
internal sealed class CheckpointTracker : IAsyncDisposable
{
    private readonly IC2CheckpointStore _store;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<long, long> _committed = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _saving = new(1, 1);
    private Task? _saver;
    private bool _dirty;

    public CheckpointTracker(IC2CheckpointStore store, TimeSpan interval, TimeProvider time, ILogger logger)
    {
        _store = store;
        _interval = interval;
        _time = time;
        _logger = logger;
    }

    /// <summary>Loads the saved checkpoints and starts the background saver.</summary>
    public async Task<IReadOnlyDictionary<long, long>> LoadAsync(CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<long, long> loaded = await _store.LoadAsync(cancellationToken).ConfigureAwait(false);
        lock (_committed)
        {
            foreach (KeyValuePair<long, long> entry in loaded)
            {
                _committed[entry.Key] = entry.Value;
            }
        }

        _saver ??= Task.Run(SaveLoopAsync, CancellationToken.None);
        return loaded;
    }

    /// <summary>The committed seq_id of a strategy, if any.</summary>
    public long? Get(long strategyId)
    {
        lock (_committed)
        {
            return _committed.TryGetValue(strategyId, out long seq) ? seq : null;
        }
    }

    /// <summary>
    /// The first signal seen for a strategy that has no checkpoint yet: record "everything before it"
    /// (seq - 1) so that a crash before the first commit is saved still resumes here, rather than live.
    /// </summary>
    public void Anchor(long strategyId, long seqId)
    {
        lock (_committed)
        {
            if (!_committed.ContainsKey(strategyId))
            {
                _committed[strategyId] = Math.Max(0, seqId - 1);
                _dirty = true;
            }
        }
    }

    /// <summary>A consumer finished with this signal (its message was disposed, or the inline handler returned).</summary>
    public void Commit(long strategyId, long seqId)
    {
        lock (_committed)
        {
            if (!_committed.TryGetValue(strategyId, out long last) || seqId > last)
            {
                _committed[strategyId] = seqId;
                _dirty = true;
            }
        }
    }

    /// <summary>Saves now if anything changed (also the final save at shutdown).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _saving.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Dictionary<long, long> snapshot;
            lock (_committed)
            {
                if (!_dirty)
                {
                    return;
                }

                snapshot = new Dictionary<long, long>(_committed);
                _dirty = false;
            }

            try
            {
                await _store.SaveAsync(snapshot, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                lock (_committed)
                {
                    _dirty = true; // try again next time
                }

                throw;
            }
        }
        finally
        {
            _saving.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_saver is not null)
        {
            await _saver.ConfigureAwait(false);
        }

        await FlushAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task SaveLoopAsync()
    {
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    await FlushAsync(_stop.Token).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // A store's failure, whatever it is, is logged and retried at the next tick; the saver never stops.
                catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    Log.CheckpointSaveFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: DisposeAsync makes the final save.
        }
    }
}
