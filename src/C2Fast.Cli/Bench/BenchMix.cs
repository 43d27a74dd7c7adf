using C2Fast.Simulator;

namespace C2Fast.Cli.Bench;

/// <summary>The message mixes of <c>c2fast bench</c>.</summary>
internal enum BenchMix
{
    /// <summary>~150-byte signals (payload: strategy_id only) and 10 % heartbeats.</summary>
    Small,

    /// <summary>~300-byte order signals, 0.1 % heartbeats.</summary>
    Typical,

    /// <summary>~4 KiB <c>strategy.positions</c> snapshots (80 positions), 0.1 % heartbeats.</summary>
    Large,
}

/// <summary>Flood settings and default sizes per <see cref="BenchMix"/>.</summary>
internal static class BenchMixes
{
    /// <summary>The strategy every bench flood uses (a fresh simulator per run, so seq_ids start at 1).</summary>
    public const long StrategyId = 101;

    public static readonly BenchMix[] All = [BenchMix.Small, BenchMix.Typical, BenchMix.Large];

    public static string Name(BenchMix mix) => mix switch
    {
        BenchMix.Small => "small",
        BenchMix.Typical => "typical",
        _ => "large",
    };

    public static string Description(BenchMix mix) => mix switch
    {
        BenchMix.Small => "~150 B signals + 10 % heartbeats",
        BenchMix.Typical => "~300 B signals + 0.1 % heartbeats",
        _ => "~4 KiB positions snapshots + 0.1 % heartbeats",
    };

    /// <summary>Messages per client per round when <c>--messages</c> is not given (about 1–2 s of C2Fast on this class of machine).</summary>
    public static long DefaultMessages(BenchMix mix, bool quick) => (mix, quick) switch
    {
        (BenchMix.Large, true) => 1_000,
        (_, true) => 10_000,
        (BenchMix.Small, false) => 1_000_000,
        (BenchMix.Typical, false) => 1_000_000,
        _ => 100_000,
    };

    public static C2FloodOptions Flood(BenchMix mix, long messages) => mix switch
    {
        BenchMix.Small => new C2FloodOptions
        {
            MessageCount = messages, StrategyId = StrategyId, HeartbeatShare = 0.1, PositionsShare = 0, SignalShape = C2FloodSignalShape.Minimal,
        },
        BenchMix.Typical => new C2FloodOptions
        {
            MessageCount = messages, StrategyId = StrategyId, HeartbeatShare = 0.001, PositionsShare = 0, SignalShape = C2FloodSignalShape.Full,
        },
        _ => new C2FloodOptions
        {
            MessageCount = messages, StrategyId = StrategyId, HeartbeatShare = 0.001, PositionsShare = 0.999, PositionsPerSnapshot = 80,
        },
    };

    public static bool TryParse(string name, out BenchMix mix)
    {
        foreach (BenchMix candidate in All)
        {
            if (string.Equals(Name(candidate), name, StringComparison.OrdinalIgnoreCase))
            {
                mix = candidate;
                return true;
            }
        }

        mix = default;
        return false;
    }
}
