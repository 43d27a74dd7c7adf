namespace C2Fast.Cli.Soak;

/// <summary>The client process's figures at one moment (<c>STAT</c> line of <c>c2fast soak-client</c>).</summary>
internal sealed record SoakClientStat
{
    public double ElapsedSeconds { get; init; }

    /// <summary>Managed heap live right after a full blocking collection (only when the sample asked for it).</summary>
    public long? GcLiveHeapBytes { get; init; }

    /// <summary>Heap size after the last collection, whatever triggered it.</summary>
    public long GcHeapSizeBytes { get; init; }

    public long GcAllocatedBytes { get; init; }

    public int Gen0 { get; init; }

    public int Gen1 { get; init; }

    public int Gen2 { get; init; }

    public int ThreadPoolThreads { get; init; }

    public bool Connected { get; init; }

    /// <summary>Signals the consumers got (exactly-once checked).</summary>
    public long SignalsDelivered { get; init; }

    public long PositionsDelivered { get; init; }

    public long GapsDelivered { get; init; }

    /// <summary>The highest seq_id delivered, per strategy (as text keys for JSON).</summary>
    public Dictionary<string, long> LastSeqIds { get; init; } = [];

    /// <summary>Strategies with a gap delivered and no signal after it yet.</summary>
    public List<long> PendingGaps { get; init; } = [];

    public long MessagesReceived { get; init; }

    public long MessagesDelivered { get; init; }

    public long HeartbeatsReceived { get; init; }

    public long HeartbeatsAcknowledged { get; init; }

    public long PausedAcks { get; init; }

    public long BackpressurePauses { get; init; }

    public long Reconnects { get; init; }

    public long DuplicatesDiscarded { get; init; }

    public long MessagesDropped { get; init; }

    public long QueuedMessages { get; init; }

    public long ShortStalls { get; init; }

    public long LongStalls { get; init; }

    public double StalledSeconds { get; init; }

    /// <summary>"running", "completed" or "faulted: …" (the client's Completion).</summary>
    public string Completion { get; init; } = "running";
}

/// <summary>The client process's final account (<c>RESULT</c> line of <c>c2fast soak-client</c>).</summary>
internal sealed record SoakClientResult
{
    /// <summary>"ok", or what went wrong in the client process itself (a consumer threw, the close hung, …).</summary>
    public string Status { get; init; } = "ok";

    public List<SoakStrategyResult> Strategies { get; init; } = [];

    public SoakClientStat Final { get; init; } = new();

    public long ConnectedEvents { get; init; }

    public long ReconnectingEvents { get; init; }

    /// <summary>Disconnections by reason: the error kind, with the close code when there was one.</summary>
    public Dictionary<string, long> Disconnects { get; init; } = [];

    public long GapEvents { get; init; }

    public long ProtocolErrorEvents { get; init; }

    public long ServerErrorEvents { get; init; }

    public long DropEvents { get; init; }

    public long LongestStallMilliseconds { get; init; }

    /// <summary>The longest reconnect delay the client announced.</summary>
    public long LongestReconnectDelayMilliseconds { get; init; }

    public int MaxReconnectAttempt { get; init; }
}
