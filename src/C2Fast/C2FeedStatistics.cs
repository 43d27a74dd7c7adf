namespace C2Fast;

/// <summary>A snapshot of the client's counters (also exported as <c>System.Diagnostics.Metrics</c> instruments on the <c>C2Fast</c> meter).</summary>
public sealed record C2FeedStatistics
{
    /// <summary>Messages received (every type, heartbeats included).</summary>
    public long MessagesReceived { get; init; }

    /// <summary>Payload bytes of those messages.</summary>
    public long BytesReceived { get; init; }

    /// <summary>Messages queued for consumers (under <see cref="C2SlowConsumerPolicy.DropOldest"/> some may be dropped later; see <see cref="MessagesDropped"/>).</summary>
    public long MessagesDelivered { get; init; }

    /// <summary>
    /// Heartbeats read from the server. Each is answered with a <c>heartbeat.ack</c> in the same read, so this exceeds
    /// <see cref="HeartbeatsAcknowledged"/> only by acks a connection's end left unsent.
    /// </summary>
    public long HeartbeatsReceived { get; init; }

    /// <summary>Heartbeats received and acknowledged: counted once the ack is written to the socket (an ack still queued when the close frame went out is not sent and not counted).</summary>
    public long HeartbeatsAcknowledged { get; init; }

    /// <summary><c>heartbeat.ack</c>s sent while backpressure paused the read loop (see <see cref="C2HeartbeatOptions.PausedAckInterval"/>).</summary>
    public long PausedAcks { get; init; }

    /// <summary>Signals discarded because their <c>seq_id</c> was not above the last one delivered for the strategy.</summary>
    public long DuplicatesDiscarded { get; init; }

    /// <summary>Messages dropped by the slow-consumer policy.</summary>
    public long MessagesDropped { get; init; }

    /// <summary>Of those, signals.</summary>
    public long SignalsDropped { get; init; }

    /// <summary>Messages that could not be parsed.</summary>
    public long ProtocolErrors { get; init; }

    /// <summary><c>gap</c> messages received.</summary>
    public long Gaps { get; init; }

    /// <summary>Messages leased to consumers and not yet disposed.</summary>
    public long QueuedMessages { get; init; }

    /// <summary>Bytes held by those leases.</summary>
    public long QueuedBytes { get; init; }

    /// <summary>Times the read loop paused because consumers were over budget or a partition was full.</summary>
    public long BackpressurePauses { get; init; }

    /// <summary>Successful reconnects after a lost connection.</summary>
    public long Reconnects { get; init; }
}
