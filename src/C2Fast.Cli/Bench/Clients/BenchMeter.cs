using System.Diagnostics;

namespace C2Fast.Cli.Bench.Clients;

/// <summary>
/// Measures one bench client inside its own process: allocation and GC counts from <see cref="Start"/> (ready) to
/// <see cref="Stop"/> (last message), the steady-state window, and the process's peak working set.
/// </summary>
internal sealed class BenchMeter
{
    private long _allocated;
    private TimeSpan _cpu;
    private int _gen0;
    private int _gen1;
    private int _gen2;
    private long _windowStart;
    private long _windowEnd;
    private double _windowStartCount;
    private double _windowStartBytes;

    public long AllocatedBytes { get; private set; }

    public int Gen0 { get; private set; }

    public int Gen1 { get; private set; }

    public int Gen2 { get; private set; }

    /// <summary>Processor time of the whole client process (every thread, user + kernel) from start to stop.</summary>
    public TimeSpan Cpu { get; private set; }

    /// <summary>Baseline right before the client says it is ready.</summary>
    public void Start()
    {
        _gen0 = GC.CollectionCount(0);
        _gen1 = GC.CollectionCount(1);
        _gen2 = GC.CollectionCount(2);
        _allocated = GC.GetTotalAllocatedBytes(precise: true);
        _cpu = ProcessCpu();
    }

    /// <summary>The steady-state window opens (at message <see cref="BenchClientArgs.WindowStart"/>).</summary>
    public void OpenWindow(double count, double bytes = 0)
    {
        _windowStart = Stopwatch.GetTimestamp();
        _windowStartCount = count;
        _windowStartBytes = bytes;
    }

    public bool WindowOpen => _windowStart != 0;

    /// <summary>The last message arrived.</summary>
    public void Stop()
    {
        _windowEnd = Stopwatch.GetTimestamp();
        AllocatedBytes = GC.GetTotalAllocatedBytes(precise: true) - _allocated;
        Gen0 = GC.CollectionCount(0) - _gen0;
        Gen1 = GC.CollectionCount(1) - _gen1;
        Gen2 = GC.CollectionCount(2) - _gen2;
        Cpu = ProcessCpu() - _cpu;
    }

    private static TimeSpan ProcessCpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    public BenchClientResult Result(BenchClientKind client, long messages, long heartbeats, long bytes, double endCount, double endBytes = 0, BenchStallSample? stall = null)
    {
        using var process = Process.GetCurrentProcess();
        bool windowed = _windowStart != 0 && _windowEnd > _windowStart;
        return new BenchClientResult
        {
            Client = BenchClients.Name(client),
            Status = "ok",
            Messages = messages,
            Heartbeats = heartbeats,
            Bytes = bytes,
            WindowSeconds = windowed ? Stopwatch.GetElapsedTime(_windowStart, _windowEnd).TotalSeconds : 0,
            WindowMessages = windowed ? endCount - _windowStartCount : 0,
            WindowBytes = windowed ? endBytes - _windowStartBytes : 0,
            AllocatedBytes = AllocatedBytes,
            Gen0 = Gen0,
            Gen1 = Gen1,
            Gen2 = Gen2,
            PeakWorkingSetBytes = process.PeakWorkingSet64,
            CpuSeconds = Cpu.TotalSeconds,
            Stall = stall,
        };
    }
}
