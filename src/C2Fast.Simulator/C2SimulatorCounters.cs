namespace C2Fast.Simulator;

/// <summary>A snapshot of the simulator's counters (see <see cref="C2Simulator.GetCounters"/>).</summary>
public sealed record C2SimulatorCounters
{
    /// <summary>Connections open now.</summary>
    public long ActiveConnections { get; init; }

    /// <summary>Upgrades accepted since start (including race-closed ones).</summary>
    public long ConnectionsAccepted { get; init; }

    /// <summary>Handshakes rejected with 401.</summary>
    public long Rejected401 { get; init; }

    /// <summary>Handshakes rejected with 429.</summary>
    public long Rejected429 { get; init; }

    /// <summary>Handshakes rejected with 503.</summary>
    public long Rejected503 { get; init; }

    /// <summary>Connections accepted and closed at once with 1008 (the connection-limit race).</summary>
    public long RaceClosed { get; init; }

    /// <summary>Messages (text frames) sent, flood included.</summary>
    public long MessagesSent { get; init; }

    /// <summary>Frame bytes sent, flood included.</summary>
    public long BytesSent { get; init; }

    /// <summary>Heartbeats sent.</summary>
    public long HeartbeatsSent { get; init; }

    /// <summary><c>heartbeat.ack</c>s received.</summary>
    public long AcksReceived { get; init; }

    /// <summary>
    /// Heartbeats followed by a <c>heartbeat.ack</c> on their connection: an ack acknowledges every heartbeat sent
    /// before it that no earlier ack did. <see cref="HeartbeatsSent"/> minus this is what was never acked (counted
    /// per connection by <see cref="C2SimulatorConnection.UnackedHeartbeatAge"/>).
    /// </summary>
    public long HeartbeatsAcked { get; init; }

    /// <summary>Connections the server closed because no <c>heartbeat.ack</c> arrived within interval + grace.</summary>
    public long HeartbeatAckTimeouts { get; init; }

    /// <summary>The longest wait from a heartbeat's send to the first ack after it, over every connection.</summary>
    public TimeSpan MaxHeartbeatAckDelay { get; init; }

    /// <summary>Signals published (history, automatic and on demand; not flood).</summary>
    public long SignalsPublished { get; init; }

    /// <summary>Signals replayed for <c>resume_from</c>.</summary>
    public long SignalsReplayed { get; init; }

    /// <summary><c>gap</c> messages sent.</summary>
    public long GapsSent { get; init; }

    /// <summary><c>subscription.ack</c>s sent.</summary>
    public long SubscriptionAcks { get; init; }

    /// <summary><c>error</c> messages sent.</summary>
    public long ErrorsSent { get; init; }

    /// <summary>Close frames the server initiated, by close code.</summary>
    public IReadOnlyDictionary<int, long> ServerClosesByCode { get; init; } = new Dictionary<int, long>();

    /// <summary>Close frames the client initiated, by close code (1005 = no code).</summary>
    public IReadOnlyDictionary<int, long> ClientClosesByCode { get; init; } = new Dictionary<int, long>();

    /// <summary>Connections dropped without a close handshake (fault, slow consumer, peer reset, EOF).</summary>
    public long Drops { get; init; }

    /// <summary>Connections reset (TCP RST, see <see cref="C2SimulatorConnection.Reset"/>); also counted in <see cref="Drops"/>.</summary>
    public long Resets { get; init; }

    /// <summary>Messages sent by floods.</summary>
    public long FloodMessages { get; init; }

    /// <summary>Connections ended by an unexpected exception in the simulator (a bug: should stay 0).</summary>
    public long InternalErrors { get; init; }

    /// <summary>The last such exception, as text.</summary>
    public string? LastInternalError { get; init; }

    /// <summary>The last flood that finished, if any.</summary>
    public C2FloodResult? LastFlood { get; init; }
}

/// <summary>Percentiles of a latency sample (nearest rank).</summary>
/// <param name="Count">Samples.</param>
/// <param name="P50">Median.</param>
/// <param name="P99">99th percentile.</param>
/// <param name="P999">99.9th percentile.</param>
/// <param name="Max">Largest sample.</param>
public sealed record C2LatencySummary(long Count, TimeSpan P50, TimeSpan P99, TimeSpan P999, TimeSpan Max);
