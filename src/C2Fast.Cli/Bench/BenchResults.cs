using System.Text.Json;
using System.Text.Json.Serialization;

namespace C2Fast.Cli.Bench;

/// <summary>Everything <c>c2fast bench --json FILE</c> writes: machine, settings, every run, and the aggregated rows.</summary>
internal sealed record BenchReport
{
    public string Tool { get; init; } = "c2fast bench";

    public required BenchMachine Machine { get; init; }

    public required BenchSettings Settings { get; init; }

    /// <summary>How rates, allocation and round trips are measured.</summary>
    public required IReadOnlyList<string> Basis { get; init; }

    /// <summary>One row per client × mix × transport: medians over the rounds and the ratio to C2Fast.</summary>
    public required IReadOnlyList<BenchRow> Rows { get; init; }

    /// <summary>Heartbeat → ack round trips measured by the simulator, per client, transport and state.</summary>
    public required IReadOnlyList<BenchRttRow> HeartbeatRoundTrips { get; init; }

    /// <summary>C2Fast with a consumer that stops reading, per transport.</summary>
    public required IReadOnlyList<BenchStallResult> StalledConsumer { get; init; }

    /// <summary>The targets, measured.</summary>
    public required IReadOnlyList<BenchTarget> Targets { get; init; }

    /// <summary>Every flood run, in the order they ran.</summary>
    public required IReadOnlyList<BenchRun> Runs { get; init; }

    /// <summary>Runs that failed (a client that did not receive everything, a crash, a timeout), as text.</summary>
    public required IReadOnlyList<string> Failures { get; init; }

    /// <summary>Figures to read with care (steady-state windows too short to be steady), as text.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Wall time of the whole bench.</summary>
    public double TotalSeconds { get; init; }
}

/// <summary>Where the bench ran.</summary>
internal sealed record BenchMachine(string CpuModel, int Cores, string Os, string DotNet, long MemoryBytes, string Date);

/// <summary>What the bench was asked to do.</summary>
internal sealed record BenchSettings
{
    public required string CommandLine { get; init; }

    public int Rounds { get; init; }

    public bool Quick { get; init; }

    public required IReadOnlyList<string> Mixes { get; init; }

    public required IReadOnlyList<string> Transports { get; init; }

    public required IReadOnlyList<string> Clients { get; init; }

    /// <summary>Messages per client per round, by mix.</summary>
    public required IReadOnlyDictionary<string, long> Messages { get; init; }

    /// <summary>The Python client: the interpreter used, or why it was skipped.</summary>
    public required string Python { get; init; }

    /// <summary>Heartbeats per idle round-trip measurement and their interval.</summary>
    public int IdleHeartbeats { get; init; }

    public double IdleHeartbeatIntervalMs { get; init; }
}

/// <summary>Percentiles of a latency sample, in milliseconds.</summary>
internal sealed record BenchLatency(long Count, double P50Ms, double P99Ms, double P999Ms, double MaxMs);

/// <summary>One client receiving one flood.</summary>
internal sealed record BenchRun
{
    public required string Client { get; init; }

    public required string Mix { get; init; }

    public required string Transport { get; init; }

    public int Round { get; init; }

    /// <summary>The client's position in the round's order (0 = first).</summary>
    public int Position { get; init; }

    /// <summary><c>ok</c>, <c>FAILED</c> or <c>skipped</c>.</summary>
    public required string Status { get; init; }

    public string? Error { get; init; }

    public long MessagesSent { get; init; }

    /// <summary>Frame bytes the simulator wrote (before TLS): the MB/s basis for every client.</summary>
    public long BytesSent { get; init; }

    public long HeartbeatsSent { get; init; }

    public long MessagesReceived { get; init; }

    /// <summary>Bytes the raw drain counted (other clients count messages).</summary>
    public long? BytesReceived { get; init; }

    public long HeartbeatsAcked { get; init; }

    /// <summary>The steady-state window (see the report's basis).</summary>
    public double WindowSeconds { get; init; }

    public double WindowMessages { get; init; }

    public double MessagesPerSecond { get; init; }

    public double MegabytesPerSecond { get; init; }

    /// <summary>Allocated bytes from ready to the last message (.NET clients only).</summary>
    public long? AllocatedBytes { get; init; }

    public double? AllocatedBytesPerMessage { get; init; }

    public int? Gen0 { get; init; }

    public int? Gen1 { get; init; }

    public int? Gen2 { get; init; }

    public long? PeakWorkingSetBytes { get; init; }

    /// <summary>Client process CPU time (all threads) from ready to the last message, per message, in microseconds.</summary>
    public double? CpuMicrosecondsPerMessage { get; init; }

    /// <summary>Server-measured heartbeat → ack round trip during the flood.</summary>
    public BenchLatency? FloodRoundTrip { get; init; }

    /// <summary>How long the simulator took to write the flood.</summary>
    public double ServerSeconds { get; init; }
}

/// <summary>One client × mix × transport over every round.</summary>
internal sealed record BenchRow
{
    public required string Client { get; init; }

    public required string Mix { get; init; }

    public required string Transport { get; init; }

    /// <summary><c>ok</c>, <c>FAILED</c> (any round failed) or <c>skipped (…)</c>.</summary>
    public required string Status { get; init; }

    public int RoundsOk { get; init; }

    public long MessagesSentPerRound { get; init; }

    /// <summary>The smallest count a round received (equals <see cref="MessagesSentPerRound"/> when nothing was lost).</summary>
    public long MessagesReceivedMin { get; init; }

    public double? MessagesPerSecond { get; init; }

    public double? MegabytesPerSecond { get; init; }

    /// <summary>Median messages/s ÷ C2Fast's median on the same mix and transport.</summary>
    public double? RatioToC2Fast { get; init; }

    public double? AllocatedBytesPerMessage { get; init; }

    public double? Gen0 { get; init; }

    public double? Gen1 { get; init; }

    public double? Gen2 { get; init; }

    public double? PeakWorkingSetBytes { get; init; }

    public double? CpuMicrosecondsPerMessage { get; init; }

    /// <summary>Median over the rounds of each flood round-trip percentile.</summary>
    public BenchLatency? FloodRoundTrip { get; init; }

    /// <summary>Every round's messages/s, in round order.</summary>
    public required IReadOnlyList<double> RoundRates { get; init; }
}

/// <summary>Heartbeat round trips of one client on one transport in one state.</summary>
internal sealed record BenchRttRow(string Client, string Transport, string State, string? Mix, BenchLatency? Latency, long HeartbeatsSent, long HeartbeatsAcked, string Status);

/// <summary>C2Fast under a flood bigger than its byte budget while its consumer reads nothing.</summary>
internal sealed record BenchStallResult
{
    public required string Transport { get; init; }

    public required string Status { get; init; }

    public string? Error { get; init; }

    public long BudgetBytes { get; init; }

    /// <summary>
    /// Messages of the fast-consumer flood the same client read, on the same connection, before the stalled flood
    /// (the round trips cover only the stalled one); 0 = none, the stall met a freshly started process.
    /// </summary>
    public long WarmupMessages { get; init; }

    public long MessagesSent { get; init; }

    public long BytesSent { get; init; }

    public long HeartbeatsSent { get; init; }

    public long HeartbeatsAcked { get; init; }

    /// <summary>Whether the simulator closed the connection for a missed heartbeat ack (1008).</summary>
    public bool HeartbeatMissClose { get; init; }

    public long MessagesReceived { get; init; }

    public BenchStallSample? Client { get; init; }

    public BenchLatency? StalledRoundTrip { get; init; }

    /// <summary>C2Fast's flood round trip with a fast consumer (typical mix, same transport), for comparison.</summary>
    public BenchLatency? FastRoundTrip { get; init; }
}

/// <summary>What the stalled C2Fast client saw of itself.</summary>
internal sealed record BenchStallSample
{
    /// <summary>Whether the read loop paused (budget reached) before the hold.</summary>
    public bool Paused { get; init; }

    public double SecondsToPause { get; init; }

    public long QueuedBytesAtPause { get; init; }

    public long QueuedBytesMax { get; init; }

    public long WorkingSetAtPauseBytes { get; init; }

    public long WorkingSetMaxDuringHoldBytes { get; init; }

    public long WorkingSetAtHoldEndBytes { get; init; }

    public double HoldSeconds { get; init; }

    public long BackpressurePauses { get; init; }

    /// <summary>Heartbeats C2Fast had acknowledged when the hold ended.</summary>
    public long HeartbeatsAckedDuringStall { get; init; }
}

/// <summary>One of the targets.</summary>
internal sealed record BenchTarget(string Name, string Mix, string Transport, double? Measured, double Target, bool? Met, string Detail);

/// <summary>The one-line result a bench client (child process or python script) prints: <c>RESULT {json}</c>.</summary>
internal sealed record BenchClientResult
{
    public required string Client { get; init; }

    /// <summary><c>ok</c>, or what went wrong.</summary>
    public required string Status { get; init; }

    public long Messages { get; init; }

    public long Heartbeats { get; init; }

    public long Bytes { get; init; }

    public double WindowSeconds { get; init; }

    public double WindowMessages { get; init; }

    public double WindowBytes { get; init; }

    public long? AllocatedBytes { get; init; }

    public int? Gen0 { get; init; }

    public int? Gen1 { get; init; }

    public int? Gen2 { get; init; }

    public long? PeakWorkingSetBytes { get; init; }

    /// <summary>Processor time of the client process (all threads, user + kernel) from ready to the last message.</summary>
    public double? CpuSeconds { get; init; }

    public BenchStallSample? Stall { get; init; }
}

/// <summary>Source-generated JSON for the report and the child protocol (camelCase, nulls omitted).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(BenchReport))]
[JsonSerializable(typeof(BenchClientResult))]
internal sealed partial class BenchJson : JsonSerializerContext
{
    private static BenchJson? s_indented;

    /// <summary>The same contract, indented (the report file).</summary>
    public static BenchJson Indented => s_indented ??= new BenchJson(new JsonSerializerOptions(Default.Options) { WriteIndented = true });
}
