namespace C2Fast.Simulator.Connections;

/// <summary>What the send loop is asked to do next. Frames and controls share one queue so their order is kept.</summary>
internal enum OutboundKind : byte
{
    /// <summary>A text message (counts as a message for faults and counters).</summary>
    Message,

    /// <summary>A heartbeat message: also records its send time for the ack round trip.</summary>
    Heartbeat,

    /// <summary>A pong answering a client ping (not counted as a message).</summary>
    Pong,

    /// <summary>Send a close frame, then send nothing more.</summary>
    Close,

    /// <summary>Stop sending for a while, keeping TCP open.</summary>
    Stall,

    /// <summary>Arm a message-count fault relative to the messages sent so far.</summary>
    ArmFault,

    /// <summary>Run a flood.</summary>
    Flood,
}

/// <summary>The message-count faults a connection can arm.</summary>
internal enum FaultKind : byte
{
    Drop,
    Split,
}

/// <summary>One item of a connection's outbox.</summary>
internal readonly record struct Outbound(
    OutboundKind Kind,
    byte[]? Frame = null,
    int Code = 0,
    string? Reason = null,
    TimeSpan Duration = default,
    FaultKind Fault = default,
    long Count = 0,
    bool ServerInitiated = true,
    FloodRequest? Flood = null);

/// <summary>A flood waiting for the send loop, with the task that reports its result.</summary>
internal sealed class FloodRequest(C2FloodOptions options, CancellationToken cancellationToken)
{
    public C2FloodOptions Options { get; } = options;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public TaskCompletionSource<C2FloodResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
