namespace C2Fast.Simulator;

/// <summary>Faults injected into connections, counted in server messages sent (text frames: every envelope counts).</summary>
/// <remarks>
/// Set at start through <see cref="C2SimulatorOptions.Faults"/> or later through
/// <see cref="C2Simulator.SetFaultPlan"/>; both apply to connections opened afterwards. A running connection is
/// faulted through the methods of <see cref="C2SimulatorConnection"/>.
/// </remarks>
public sealed record C2FaultPlan
{
    /// <summary>No faults.</summary>
    public static C2FaultPlan None { get; } = new();

    /// <summary>After this many messages, drop TCP without a close frame.</summary>
    public int? DropAfterMessages { get; init; }

    /// <summary>After this many messages, stop sending (TCP stays open) for <see cref="StallDuration"/>.</summary>
    public int? StallAfterMessages { get; init; }

    /// <summary>How long a stall lasts. Default 5 s.</summary>
    public TimeSpan StallDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Write the frame that follows this many messages one byte per TCP write.</summary>
    public int? SplitFrameAfterMessages { get; init; }

    /// <summary>After this many messages, close with <see cref="CloseCode"/>.</summary>
    public int? CloseAfterMessages { get; init; }

    /// <summary>The close code of <see cref="CloseAfterMessages"/>. Default 1011 (internal error).</summary>
    public int CloseCode { get; init; } = 1011;

    /// <summary>Send heartbeats. When off, the server also stops enforcing acks (so a client's own liveness check can fire). Default on.</summary>
    public bool SendHeartbeats { get; init; } = true;

    /// <summary>Reject this many of the next handshakes with <see cref="RejectStatusCode"/> (applied once, when the plan is set).</summary>
    public int RejectHandshakes { get; init; }

    /// <summary>The status of <see cref="RejectHandshakes"/>: 429 or 503. Default 429.</summary>
    public int RejectStatusCode { get; init; } = 429;

    /// <summary>Checks every value; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        C2SimulatorOptions.Check(DropAfterMessages is null or >= 0, nameof(DropAfterMessages), "must not be negative");
        C2SimulatorOptions.Check(StallAfterMessages is null or >= 0, nameof(StallAfterMessages), "must not be negative");
        C2SimulatorOptions.Check(StallDuration >= TimeSpan.Zero, nameof(StallDuration), "must not be negative");
        C2SimulatorOptions.Check(SplitFrameAfterMessages is null or >= 0, nameof(SplitFrameAfterMessages), "must not be negative");
        C2SimulatorOptions.Check(CloseAfterMessages is null or >= 0, nameof(CloseAfterMessages), "must not be negative");
        C2SimulatorOptions.Check(CloseCode is >= 1000 and <= 4999, nameof(CloseCode), "must be 1000..4999");
        C2SimulatorOptions.Check(RejectHandshakes >= 0, nameof(RejectHandshakes), "must not be negative");
        C2SimulatorOptions.Check(RejectStatusCode is 429 or 503, nameof(RejectStatusCode), "must be 429 or 503");
    }
}
