using C2Fast.Diagnostics;
using C2Fast.Session;

namespace C2Fast;

/// <summary>
/// Checkpoints in a small JSON file that survives crashes and power loss: each save writes a temp
/// file in the same directory, flushes it to disk, renames it over the target and then flushes the
/// directory, so the file always holds one complete saved map.
/// </summary>
/// <remarks>
/// <para>
/// Format (version 1, human-readable, strategies sorted by id):
/// <c>{"version": 1, "strategies": {"101": 12345}}</c>.
/// </para>
/// <para>
/// A crash mid-save leaves the previous file intact plus, at worst, a stray
/// <c>&lt;name&gt;.&lt;8 hex&gt;.tmp</c> next to it; temp files are never read and
/// <see cref="LoadAsync"/> deletes them. One process should own a file: two processes saving to
/// the same path do not corrupt it, but each overwrites the other's map.
/// </para>
/// <para>
/// File I/O runs on the thread pool, so a save never blocks the caller on a disk flush (typically
/// milliseconds, much longer on a busy disk). Saves are serialized; the directory flush runs on
/// Linux and macOS (Windows needs none).
/// </para>
/// </remarks>
public sealed class C2FileCheckpointStore : IC2CheckpointStore
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _lastTicket;
    private long _writtenTicket;

    /// <summary>Creates a store for the file at <paramref name="path"/>, creating its directory if missing.</summary>
    /// <param name="path">The checkpoint file (relative paths resolve against the current directory now). It need not exist.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, names a directory, or is not a valid path.</exception>
    /// <exception cref="IOException">The directory could not be created.</exception>
    public C2FileCheckpointStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath = Path.GetFullPath(path);
        string? directory = Path.GetDirectoryName(fullPath);
        if (directory is null || Path.GetFileName(fullPath).Length == 0 || Directory.Exists(fullPath))
        {
            ThrowHelper.ThrowArgument(nameof(path), $"The checkpoint path '{path}' must name a file, not a directory.");
        }

        Directory.CreateDirectory(directory);
        FilePath = fullPath;
    }

    /// <summary>The full path of the checkpoint file.</summary>
    public string FilePath { get; }

    /// <summary>Reads the checkpoint file and removes temp files a crashed save left behind.</summary>
    /// <param name="cancellationToken">Cancels the read while it waits for a save in progress.</param>
    /// <returns>Strategy id → last <c>seq_id</c> processed; empty when the file does not exist.</returns>
    /// <exception cref="InvalidDataException">
    /// The file exists but is not a valid checkpoint file (truncated, edited by hand into invalid
    /// JSON, a bad id or seq_id, an unknown version). The message names the file. The store never
    /// produces such a file; restore it, or delete it to start without checkpoints.
    /// </exception>
    /// <exception cref="IOException">The file exists but could not be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The process may not read the file.</exception>
    public async ValueTask<IReadOnlyDictionary<long, long>> LoadAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            DurableFile.DeleteStaleTemporaryFiles(FilePath);
            byte[]? content = ReadFile(FilePath);
            return content is null ? new Dictionary<long, long>() : CheckpointFormat.Parse(content, FilePath);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The map is validated and serialized before the call returns. Saves run one at a time; a save
    /// whose map is older than one already written completes without writing (the newer map is
    /// already durable). On failure the temp file is removed and the previous file is intact,
    /// except when only the final directory flush failed: then the new file is in place but may
    /// not survive a power loss.
    /// </remarks>
    public async ValueTask SaveAsync(IReadOnlyDictionary<long, long> checkpoints, CancellationToken cancellationToken = default)
    {
        byte[] content = CheckpointFormat.Serialize(checkpoints);
        long ticket = Interlocked.Increment(ref _lastTicket);

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        try
        {
            if (ticket < _writtenTicket)
            {
                return;
            }

            cancellationToken.ThrowIfCancellationRequested();
            DurableFile.Replace(FilePath, content);
            _writtenTicket = ticket;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"C2FileCheckpointStore({FilePath})";

    private static byte[]? ReadFile(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        using (stream)
        {
            long length = stream.Length;
            if (length > CheckpointFormat.MaxFileBytes)
            {
                ThrowHelper.ThrowInvalidData($"The checkpoint file '{path}' is corrupt: it is {length} bytes, more than the {CheckpointFormat.MaxFileBytes} a checkpoint file can be.");
            }

            byte[] content = new byte[length];
            int read = stream.ReadAtLeast(content, content.Length, throwOnEndOfStream: false);
            return read == content.Length ? content : content[..read];
        }
    }
}
