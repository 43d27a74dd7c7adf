namespace C2Fast;

/// <summary>
/// Durable per-strategy checkpoints: for each strategy, the <c>seq_id</c> of the last
/// <c>strategy.signal</c> the consumer finished with. A restarted process loads them and
/// subscribes with <c>resume_from</c> = that value, so it neither misses nor repeats a signal.
/// </summary>
/// <remarks>
/// <para>
/// The client saves at least once for every checkpoint it advances (at-least-once to the store):
/// after a crash the loaded value may be older than the last signal the consumer handled, never
/// newer. A checkpoint only advances once the consumer has finished with a message, never when it
/// was merely read.
/// </para>
/// <para>
/// Implementations: <see cref="C2FileCheckpointStore"/> (a durable file) and
/// <see cref="C2MemoryCheckpointStore"/> (in memory, for tests and embedding). A custom store (a
/// database row, a key-value store) must honour the contract of <see cref="SaveAsync"/>.
/// </para>
/// </remarks>
public interface IC2CheckpointStore
{
    /// <summary>Reads the last saved checkpoints.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>
    /// Strategy id → last <c>seq_id</c> processed; empty when nothing was saved yet. The caller
    /// owns the returned dictionary: later saves do not change it.
    /// </returns>
    /// <exception cref="InvalidDataException">The stored checkpoints are corrupt (the message names where they are).</exception>
    /// <exception cref="IOException">The stored checkpoints could not be read.</exception>
    ValueTask<IReadOnlyDictionary<long, long>> LoadAsync(CancellationToken cancellationToken = default);

    /// <summary>Durably replaces the saved checkpoints with <paramref name="checkpoints"/>.</summary>
    /// <param name="checkpoints">
    /// The full current map, strategy id (&gt; 0) → last <c>seq_id</c> processed (≥ 0). A strategy
    /// missing from it is forgotten. The map is read before the call returns, so the caller may
    /// reuse or change it as soon as <see cref="SaveAsync"/> has returned its task.
    /// </param>
    /// <param name="cancellationToken">
    /// Cancels the save while it waits for an earlier one; a write that has started completes.
    /// </param>
    /// <returns>A task that completes once the checkpoints are durable.</returns>
    /// <remarks>
    /// Safe to call concurrently with itself: saves are serialized, and each leaves either the
    /// previous or the new map, never a mixture. When calls overlap, the map of the call made
    /// last wins; an older map never replaces a newer one that was already saved.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="checkpoints"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A strategy id is not positive or a <c>seq_id</c> is negative; nothing is written.</exception>
    /// <exception cref="IOException">The checkpoints could not be written; the previously saved ones are intact.</exception>
    ValueTask SaveAsync(IReadOnlyDictionary<long, long> checkpoints, CancellationToken cancellationToken = default);
}
