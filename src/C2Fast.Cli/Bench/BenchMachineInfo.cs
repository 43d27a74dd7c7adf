using System.Globalization;
using System.Runtime.InteropServices;

namespace C2Fast.Cli.Bench;

/// <summary>Reads what the report says about the machine.</summary>
internal static class BenchMachineInfo
{
    public static BenchMachine Read() => new(
        CpuModel(),
        Environment.ProcessorCount,
        RuntimeInformation.OSDescription,
        $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.ProcessArchitecture})",
        GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
        DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));

    private static string CpuModel()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is int colon and >= 0)
                {
                    return line[(colon + 1)..].Trim();
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or not readable.
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
