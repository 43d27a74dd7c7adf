using C2Fast.Session;

namespace C2Fast;

/// <summary>
/// Checkpoints kept in memory: for tests, and for applications that keep checkpoints in their own
/// storage and seed and read this store themselves. Nothing survives the process.
/// </summary>
/// <remarks>Validates like <see cref="C2FileCheckpointStore"/>, so a test that passes with it does not fail with the file store on bad input.</remarks>
public sealed class C2MemoryCheckpointStore : IC2CheckpointStore
{
    private readonly Lock _gate = new();
    private KeyValuePair<long, long>[] _checkpoints;
    private long _saveCount;

    /// <summary>Creates an empty store.</summary>
    public C2MemoryCheckpointStore()
    {
        _checkpoints = [];
    }

    /// <summary>Creates a store that already holds <paramref name="checkpoints"/> (copied), as if saved before.</summary>
    /// <param name="checkpoints">Strategy id (&gt; 0) → last <c>seq_id</c> processed (≥ 0).</param>
    /// <exception cref="ArgumentNullException"><paramref name="checkpoints"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A strategy id is not positive or a <c>seq_id</c> is negative.</exception>
    public C2MemoryCheckpointStore(IReadOnlyDictionary<long, long> checkpoints)
    {
        _checkpoints = CheckpointFormat.Snapshot(checkpoints);
    }

    /// <summary>How many saves completed (the constructor's map does not count).</summary>
    public long SaveCount => Interlocked.Read(ref _saveCount);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyDictionary<long, long>> LoadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<IReadOnlyDictionary<long, long>>(cancellationToken);
        }

        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyDictionary<long, long>>(new Dictionary<long, long>(_checkpoints));
        }
    }

    /// <inheritdoc/>
    public ValueTask SaveAsync(IReadOnlyDictionary<long, long> checkpoints, CancellationToken cancellationToken = default)
    {
        KeyValuePair<long, long>[] snapshot;
        try
        {
            snapshot = CheckpointFormat.Snapshot(checkpoints);
        }
        catch (ArgumentException e)
        {
            return ValueTask.FromException(e);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        lock (_gate)
        {
            _checkpoints = snapshot;
            Interlocked.Increment(ref _saveCount);
        }

        return ValueTask.CompletedTask;
    }
}
