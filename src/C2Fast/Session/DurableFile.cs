using C2Fast.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace C2Fast.Session;

/// <summary>
/// Replaces a small file so that after a crash or power loss it holds either the old or the new
/// content, in full:
/// <code>
/// 1. write   &lt;name&gt;.&lt;8 hex&gt;.tmp      (same directory: the rename must not cross file systems)
/// 2. fsync   the temp file          (its data is on disk before its name can point at it)
/// 3. rename  temp → &lt;name&gt;          (atomic on POSIX and NTFS: readers see old or new)
/// 4. fsync   the directory          (the rename itself survives power loss; Linux and macOS)
/// </code>
/// A crash before step 3 leaves a stray temp file and the old content, which is why readers only
/// ever read the target and <see cref="DeleteStaleTemporaryFiles"/> cleans up at start-up.
/// </summary>
internal static class DurableFile
{
    private const string TemporarySuffix = ".tmp";
    private const int RandomHexLength = 8;

    /// <summary>Set once libc turned out not to be loadable, so the directory sync is skipped quietly from then on.</summary>
    private static volatile bool s_directorySyncUnavailable;

    /// <summary>Atomically and durably replaces <paramref name="path"/> with <paramref name="content"/>.</summary>
    /// <exception cref="IOException">A step failed; the target is unchanged unless only the directory sync failed.</exception>
    public static void Replace(string path, ReadOnlySpan<byte> content)
    {
        string temporary = TemporaryPathFor(path);
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                BufferSize = 0,
            };
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }

        SyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>A fresh temp name next to <paramref name="path"/>: <c>&lt;name&gt;.&lt;8 hex digits&gt;.tmp</c>.</summary>
    public static string TemporaryPathFor(string path)
        => string.Create(CultureInfo.InvariantCulture, $"{path}.{Random.Shared.Next():x8}{TemporarySuffix}");

    /// <summary>
    /// Deletes temp files a crashed writer of <paramref name="path"/> left behind. Best effort: a
    /// file that cannot be deleted is left alone (it is never read).
    /// </summary>
    public static void DeleteStaleTemporaryFiles(string path)
    {
        string directory = Path.GetDirectoryName(path)!;
        string prefix = Path.GetFileName(path) + ".";
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (string candidate in candidates)
        {
            if (IsTemporaryName(Path.GetFileName(candidate.AsSpan()), prefix))
            {
                TryDelete(candidate);
            }
        }
    }

    private static bool IsTemporaryName(ReadOnlySpan<char> name, string prefix)
    {
        if (name.Length != prefix.Length + RandomHexLength + TemporarySuffix.Length
            || !name.StartsWith(prefix, StringComparison.Ordinal)
            || !name.EndsWith(TemporarySuffix, StringComparison.Ordinal))
        {
            return false;
        }

        return !name.Slice(prefix.Length, RandomHexLength).ContainsAnyExcept("0123456789abcdef");
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Never read, and cleaned up at the next start; the original failure matters more.
        }
    }

    /// <summary>
    /// fsync on the directory, so a completed rename survives power loss. .NET cannot open a
    /// directory as a file (<see cref="File.OpenHandle"/> refuses with
    /// <see cref="UnauthorizedAccessException"/>), hence libc. Windows has no equivalent and
    /// needs none: NTFS journals the rename. If libc cannot be loaded at all the sync is skipped
    /// from then on (the rename is still atomic, only its durability across power loss is weaker).
    /// </summary>
    /// <exception cref="IOException">The directory could not be opened or flushed.</exception>
    public static void SyncDirectory(string directory)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()) || s_directorySyncUnavailable)
        {
            return;
        }

        int fd;
        try
        {
            fd = Libc.OpenReadOnly(directory);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_directorySyncUnavailable = true;
            return;
        }

        if (fd < 0)
        {
            ThrowHelper.ThrowIO($"Could not open the directory '{directory}' to flush the checkpoint rename to disk (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Libc.FSync(fd) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();

                // Some file systems (certain FUSE and network mounts) cannot sync a directory at all.
                if (!Libc.IsNotSupported(errno))
                {
                    ThrowHelper.ThrowIO($"Could not flush the directory '{directory}' to disk after replacing the checkpoint file (errno {errno}).");
                }
            }
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }

    /// <summary>The three libc calls needed for a directory fsync.</summary>
    private static class Libc
    {
        private const int ORdOnly = 0;
        private const int EIntr = 4;
        private const int EInval = 22;

        public static int OpenReadOnly(string path)
        {
            int fd;
            do
            {
                fd = Open(path, ORdOnly);
            }
            while (fd < 0 && Marshal.GetLastPInvokeError() == EIntr);
            return fd;
        }

        public static int FSync(int fd)
        {
            int result;
            do
            {
                result = FSyncCore(fd);
            }
            while (result != 0 && Marshal.GetLastPInvokeError() == EIntr);
            return result;
        }

        /// <summary>EINVAL everywhere; ENOTSUP/EOPNOTSUPP (95 on Linux, 45 and 102 on macOS and FreeBSD).</summary>
        public static bool IsNotSupported(int errno)
            => errno == EInval || (OperatingSystem.IsLinux() ? errno == 95 : errno is 45 or 102);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        public static extern int Close(int fd);

        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        private static extern int FSyncCore(int fd);
    }
}
