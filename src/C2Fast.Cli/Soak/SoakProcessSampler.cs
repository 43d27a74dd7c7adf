using System.Globalization;

namespace C2Fast.Cli.Soak;

/// <summary>What the kernel says about a process: resident memory, threads, open file descriptors.</summary>
/// <param name="WorkingSetBytes">VmRSS.</param>
/// <param name="PeakWorkingSetBytes">VmHWM.</param>
/// <param name="Threads">Threads.</param>
/// <param name="Handles">Entries of <c>/proc/PID/fd</c>: sockets, files, pipes, epoll and event fds.</param>
internal sealed record SoakProcessSample(long WorkingSetBytes, long PeakWorkingSetBytes, int Threads, int Handles);

/// <summary>Reads <c>/proc/PID/status</c> and <c>/proc/PID/fd</c> (Linux).</summary>
internal static class SoakProcessSampler
{
    /// <summary>The process's figures now; null when /proc has none (not Linux, or the process is gone).</summary>
    public static SoakProcessSample? Read(int pid)
    {
        try
        {
            string status = File.ReadAllText($"/proc/{pid}/status");
            int handles = Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
            (long rss, long hwm, int threads) = ParseStatus(status);
            return new SoakProcessSample(rss, hwm, threads, handles);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>VmRSS and VmHWM in bytes, and Threads, from the text of <c>/proc/PID/status</c> (0 for a missing field).</summary>
    public static (long WorkingSetBytes, long PeakWorkingSetBytes, int Threads) ParseStatus(string status)
    {
        ArgumentNullException.ThrowIfNull(status);
        long rss = 0, hwm = 0;
        int threads = 0;
        foreach (string line in status.Split('\n'))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            string key = line[..colon];
            string value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "VmRSS":
                    rss = Kilobytes(value);
                    break;
                case "VmHWM":
                    hwm = Kilobytes(value);
                    break;
                case "Threads":
                    threads = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int t) ? t : 0;
                    break;
            }
        }

        return (rss, hwm, threads);
    }

    private static long Kilobytes(string value)
    {
        string number = value.EndsWith(" kB", StringComparison.Ordinal) ? value[..^3].Trim() : value;
        return long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out long kb) ? kb * 1024 : 0;
    }
}
