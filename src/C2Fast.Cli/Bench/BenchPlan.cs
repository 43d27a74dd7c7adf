namespace C2Fast.Cli.Bench;

/// <summary>What one <c>c2fast bench</c> invocation runs, decided from its options.</summary>
internal sealed record BenchPlan
{
    public required IReadOnlyList<BenchClientKind> Clients { get; init; }

    public required IReadOnlyList<BenchMix> Mixes { get; init; }

    /// <summary><c>ws</c> and/or <c>wss</c>.</summary>
    public required IReadOnlyList<string> Transports { get; init; }

    public int Rounds { get; init; } = 3;

    public bool Quick { get; init; }

    /// <summary>Messages per client per round for every mix; <see langword="null"/> = <see cref="BenchMixes.DefaultMessages"/>.</summary>
    public long? Messages { get; init; }

    /// <summary>The Python interpreter with <c>websockets</c>, or <see langword="null"/> (then <see cref="PythonStatus"/> says why).</summary>
    public string? Python { get; init; }

    public string PythonStatus { get; init; } = "";

    public required string CommandLine { get; init; }

    /// <summary>C2Fast's <see cref="C2TuningOptions.DedicatedReceiveThread"/> in every C2Fast run (default on; off for an A/B).</summary>
    public bool C2FastReceiveThread { get; init; } = true;

    public int IdleHeartbeats => Quick ? 10 : 30;

    public TimeSpan IdleHeartbeatInterval => TimeSpan.FromMilliseconds(Quick ? 20 : 100);

    /// <summary>The stalled run's byte budget: the library default (64 MiB) unless quick (4 MiB, with a 1 MiB message limit so it is valid).</summary>
    public long? StallBudgetBytes => Quick ? 4L * 1024 * 1024 : null;

    public double StallHoldSeconds => Quick ? 0.5 : 2;

    /// <summary>
    /// The warm stall run's warm-up flood (typical mix, fast consumer, same connection), long enough for the JIT to
    /// finish tiering up as in the flood runs (about 1.5 s): 4,000,000 messages, or 20,000 when quick.
    /// </summary>
    public long StallWarmupMessages => Quick ? 20_000 : 4_000_000;

    public long MessagesFor(BenchMix mix) => Messages ?? BenchMixes.DefaultMessages(mix, Quick);
}
