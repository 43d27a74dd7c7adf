using System.Security.Cryptography.X509Certificates;

namespace C2Fast.Cli.Bench.Clients;

/// <summary>What a bench client run does once connected.</summary>
internal enum BenchClientMode
{
    /// <summary>Receive a flood of <see cref="BenchClientArgs.Messages"/> messages as fast as possible.</summary>
    Flood,

    /// <summary>Answer <see cref="BenchClientArgs.Messages"/> periodic heartbeats (no flood).</summary>
    Idle,

    /// <summary>C2Fast only: the consumer reads nothing until the read loop pauses at the byte budget, holds, then drains.</summary>
    Stall,
}

/// <summary>The settings of one bench client run (a <c>c2fast bench-client</c> child process).</summary>
internal sealed record BenchClientArgs
{
    public required BenchClientKind Client { get; init; }

    public required Uri Uri { get; init; }

    public required string ApiKey { get; init; }

    /// <summary>The CA to trust for wss (validated with <see cref="X509ChainTrustMode.CustomRootTrust"/>).</summary>
    public X509Certificate2? Ca { get; init; }

    public BenchClientMode Mode { get; init; }

    /// <summary>Messages expected after <c>connection.connected</c>, heartbeats included.</summary>
    public long Messages { get; init; }

    /// <summary>Of which heartbeats (C2Fast acknowledges them without queueing them).</summary>
    public long Heartbeats { get; init; }

    /// <summary>Frame bytes expected after <c>connection.connected</c> (the raw drain counts these).</summary>
    public long Bytes { get; init; }

    /// <summary>C2Fast's <see cref="C2QueueOptions.MaxBufferedBytes"/>; <see langword="null"/> = the library default.</summary>
    public long? BudgetBytes { get; init; }

    /// <summary>C2Fast's <see cref="C2TuningOptions.DedicatedReceiveThread"/> (the library default: true).</summary>
    public bool ReceiveThread { get; init; } = true;

    /// <summary>Stall mode: how long to keep not reading after the loop paused.</summary>
    public double StallHoldSeconds { get; init; } = 2;

    /// <summary>
    /// Stall mode: messages (heartbeats included) of a warm-up flood that come before the stalled one, on the same
    /// connection, read by a fast consumer; 0 = none (the stall meets a cold process). They are not counted in
    /// <see cref="Messages"/> or in the result.
    /// </summary>
    public long WarmupMessages { get; init; }

    /// <summary>Of <see cref="WarmupMessages"/>, heartbeats.</summary>
    public long WarmupHeartbeats { get; init; }

    /// <summary>Stall mode: called once the warm-up is read and its heartbeats acknowledged (prints <c>WARM</c>).</summary>
    public Func<Task> WarmedUp { get; init; } = static () => Task.CompletedTask;

    /// <summary>The steady-state window starts at this message (or, for the raw drain, this share of the bytes).</summary>
    public long WindowStart => Math.Max(1, Messages / 10);
}
