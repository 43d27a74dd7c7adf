using System.Text.Json;
using System.Text.Json.Serialization;
using C2Fast.Cli.Bench;

namespace C2Fast.Cli.Soak;

/// <summary>Everything a soak run found: the <c>--json</c> report.</summary>
internal sealed record SoakReport
{
    public required string CommandLine { get; init; }

    public required int Seed { get; init; }

    public required string StartedAt { get; init; }

    public required BenchMachine Machine { get; init; }

    public required SoakReportSettings Settings { get; init; }

    /// <summary>The run (faults and publishing), without the drain.</summary>
    public double DurationSeconds { get; init; }

    /// <summary>From the end of the run until the client had delivered everything published (or the drain timed out).</summary>
    public double DrainSeconds { get; init; }

    public bool CaughtUp { get; init; }

    public List<SoakFaultRecord> Faults { get; init; } = [];

    /// <summary>Faults injected, by kind name.</summary>
    public Dictionary<string, int> FaultsByKind { get; init; } = [];

    public int FaultsSkipped { get; init; }

    public List<SoakStrategyResult> Signals { get; init; } = [];

    public SoakSignalTotals SignalTotals { get; init; } = new();

    public SoakHeartbeatSummary Heartbeats { get; init; } = new();

    public SoakConnectionSummary Connections { get; init; } = new();

    public SoakConsumerSummary Consumers { get; init; } = new();

    public List<SoakSample> Samples { get; init; } = [];

    public List<SoakFlatResult> Flatness { get; init; } = [];

    public SoakClientResult? Client { get; init; }

    public List<string> Warnings { get; init; } = [];

    public SoakVerdict Verdict { get; init; } = new();
}

/// <summary>The settings a report was made with.</summary>
internal sealed record SoakReportSettings
{
    public double DurationSeconds { get; init; }

    public double HeartbeatIntervalSeconds { get; init; }

    public double HeartbeatGraceSeconds { get; init; }

    public double SignalRate { get; init; }

    public List<long> Strategies { get; init; } = [];

    public double SampleIntervalSeconds { get; init; }

    public string Transport { get; init; } = "wss";

    public int Partitions { get; init; }

    public int Capacity { get; init; }

    public double FaultEverySeconds { get; init; }

    public List<string> FaultKinds { get; init; } = [];

    public double ConsumerStallEverySeconds { get; init; }

    public double AckAllowanceSeconds { get; init; }

    public double DrainTimeoutSeconds { get; init; }

    public bool Quick { get; init; }

    public bool JudgeFlatness { get; init; }
}

/// <summary>One fault of the schedule: what was planned and what happened.</summary>
internal sealed record SoakFaultRecord
{
    public int Index { get; init; }

    public string Kind { get; init; } = "";

    public double PlannedAfterSeconds { get; init; }

    public double DurationSeconds { get; init; }

    /// <summary>"injected" or "skipped (…)".</summary>
    public string Status { get; init; } = "";

    /// <summary>When it was injected, from the start of the run.</summary>
    public double? AtSeconds { get; init; }

    public long? ConnectionId { get; init; }

    /// <summary>From the injection until the connection ended (or the stall or restart was over).</summary>
    public double? EffectSeconds { get; init; }

    /// <summary>What followed, in words.</summary>
    public string? Outcome { get; init; }
}

/// <summary>Signals over every strategy.</summary>
internal sealed record SoakSignalTotals
{
    public long Published { get; init; }

    public long Delivered { get; init; }

    public long Duplicates { get; init; }

    public long Reordered { get; init; }

    public long Missing { get; init; }

    public long Gaps { get; init; }

    public long LostToGaps { get; init; }

    public long ReplayedByServer { get; init; }

    public long DuplicatesDiscardedByClient { get; init; }
}

/// <summary>Heartbeats as the server saw them.</summary>
internal sealed record SoakHeartbeatSummary
{
    public long Sent { get; init; }

    /// <summary>Followed by an ack on their connection.</summary>
    public long Acked { get; init; }

    /// <summary>Not acked, but sent less than the allowance before their connection ended: in flight when it was cut.</summary>
    public long InFlightAtCut { get; init; }

    /// <summary>Not acked and older than the allowance when their connection ended: a failure.</summary>
    public long Unacked { get; init; }

    /// <summary>Connections the server closed because no ack came within interval + grace: a failure.</summary>
    public long AckTimeouts { get; init; }

    public double MaxAckDelayMilliseconds { get; init; }

    public double AllowanceMilliseconds { get; init; }

    public long AcksReceived { get; init; }

    /// <summary>Heartbeats the client answered (its own count; keep-alive acks sent while paused are not answers).</summary>
    public long ClientAcknowledged { get; init; }

    public long ClientPausedAcks { get; init; }

    /// <summary>
    /// Heartbeats the client read (its own count). The server takes any ack, a keep-alive too, as acking every
    /// heartbeat before it; this holds the client to answering each heartbeat it read.
    /// </summary>
    public long ClientReceived { get; init; }

    /// <summary>Heartbeats read but not answered, beyond one per connection end (an ack its end left unsent): a failure.</summary>
    public long ClientShortfall { get; init; }

    /// <summary>The connections with heartbeats never acked: "id: n (oldest waited x ms)".</summary>
    public List<string> UnackedConnections { get; init; } = [];
}

/// <summary>Connections, closes and reconnects.</summary>
internal sealed record SoakConnectionSummary
{
    public long Accepted { get; init; }

    public long Ended { get; init; }

    public long ClientReconnects { get; init; }

    public int ServerStarts { get; init; }

    public Dictionary<string, long> ServerClosesByCode { get; init; } = [];

    public Dictionary<string, long> ClientClosesByCode { get; init; } = [];

    public long Drops { get; init; }

    public long Resets { get; init; }

    public long Rejected503 { get; init; }

    public long InternalErrors { get; init; }

    public string? LastInternalError { get; init; }

    public Dictionary<string, long> ClientDisconnects { get; init; } = [];

    public long LongestReconnectDelayMilliseconds { get; init; }

    public int MaxReconnectAttempt { get; init; }
}

/// <summary>The stalling consumers.</summary>
internal sealed record SoakConsumerSummary
{
    public long ShortStalls { get; init; }

    public long LongStalls { get; init; }

    public double StalledSeconds { get; init; }

    public long LongestStallMilliseconds { get; init; }

    public long BackpressurePauses { get; init; }

    public long PausedAcks { get; init; }
}

/// <summary>One sample of the client process.</summary>
internal sealed record SoakSample
{
    public double AtSeconds { get; init; }

    /// <summary>"run", or "end" for the one taken after the drain (not used for flatness).</summary>
    public string Phase { get; init; } = "run";

    public long WorkingSetBytes { get; init; }

    public long PeakWorkingSetBytes { get; init; }

    public int Threads { get; init; }

    public int Handles { get; init; }

    public long GcLiveHeapBytes { get; init; }

    public long GcHeapSizeBytes { get; init; }

    public int Gen2 { get; init; }

    public long SignalsDelivered { get; init; }

    public long MessagesReceived { get; init; }

    public long Reconnects { get; init; }

    public long PausedAcks { get; init; }

    public long BackpressurePauses { get; init; }

    public bool Connected { get; init; }

    public int FaultsInjected { get; init; }

    public long ServerHeartbeatsSent { get; init; }

    public long ServerHeartbeatsAcked { get; init; }
}

/// <summary>Pass or fail, and why.</summary>
internal sealed record SoakVerdict
{
    public bool Ok { get; init; }

    public List<string> Failures { get; init; } = [];
}

/// <summary>Source-generated JSON for the report and the child protocol (camelCase, nulls omitted).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(SoakReport))]
[JsonSerializable(typeof(SoakClientStat))]
[JsonSerializable(typeof(SoakClientResult))]
internal sealed partial class SoakJson : JsonSerializerContext
{
    private static SoakJson? s_indented;

    /// <summary>The same contract, indented (the report file).</summary>
    public static SoakJson Indented => s_indented ??= new SoakJson(new JsonSerializerOptions(Default.Options) { WriteIndented = true });
}
