namespace C2Fast.Simulator;

/// <summary>Benchmark mode: a connection sends a pre-encoded mix of messages as fast as the socket takes them, or at a fixed rate.</summary>
/// <remarks>
/// Frames are encoded once per template; per message only the id, <c>seq_id</c> and timestamp digits are stamped, and
/// whole batches of <see cref="BatchBytes"/> go to the transport in one write. Flood signals use consecutive seq_ids
/// after the strategy's last one, are not kept in the replay history, and must not be mixed with live publishing on
/// the same strategy (their order relative to live signals is not defined); when the flood ends the strategy's
/// sequence continues after the last flooded seq_id.
/// </remarks>
public sealed record C2FloodOptions
{
    /// <summary>Stop after this many messages. At least one of <see cref="MessageCount"/> and <see cref="Duration"/> must be set.</summary>
    public long? MessageCount { get; init; }

    /// <summary>Stop after this long.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Messages per second; <see langword="null"/> (default) = as fast as the socket accepts.</summary>
    public double? RatePerSecond { get; init; }

    /// <summary>Share of heartbeats in the mix (0..1). Default 0.001.</summary>
    public double HeartbeatShare { get; init; } = 0.001;

    /// <summary>Share of <c>strategy.positions</c> in the mix (0..1). Default 0.05; the rest are signals.</summary>
    public double PositionsShare { get; init; } = 0.05;

    /// <summary>The strategy flooded; 0 (default) = the strategy of the connection's first signal subscription.</summary>
    public long StrategyId { get; init; }

    /// <summary>When an options-driven flood starts. Default <see cref="C2FloodTrigger.FirstSubscription"/>.</summary>
    public C2FloodTrigger Trigger { get; init; } = C2FloodTrigger.FirstSubscription;

    /// <summary>Bytes per transport write. Default 256 KiB.</summary>
    public int BatchBytes { get; init; } = 256 * 1024;

    /// <summary>What flooded signals carry. Default <see cref="C2FloodSignalShape.Full"/> (order-like payloads, ~300-byte frames).</summary>
    /// <remarks><see cref="C2FloodSignalShape.Minimal"/> makes ~150-byte frames, for a small-message mix.</remarks>
    public C2FloodSignalShape SignalShape { get; init; } = C2FloodSignalShape.Full;

    /// <summary>
    /// Positions in each flooded <c>strategy.positions</c> snapshot; <see langword="null"/> (default) = the few the
    /// strategy's generated signals imply (frames of a few hundred bytes).
    /// </summary>
    /// <remarks>
    /// Set it for a large-message mix: each position is about 50 bytes of JSON, so 80 make frames of about 4 KiB.
    /// Extra positions get generated symbols (<c>SYM0013</c>, …) with deterministic quantities and prices.
    /// </remarks>
    public int? PositionsPerSnapshot { get; init; }

    /// <summary>Checks every value; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        C2SimulatorOptions.Check(MessageCount is not null || Duration is not null, nameof(MessageCount), "or Duration must be set");
        C2SimulatorOptions.Check(MessageCount is null or > 0, nameof(MessageCount), "must be positive");
        C2SimulatorOptions.Check(Duration is null || Duration > TimeSpan.Zero, nameof(Duration), "must be positive");
        C2SimulatorOptions.Check(RatePerSecond is null or > 0, nameof(RatePerSecond), "must be positive");
        C2SimulatorOptions.Check(HeartbeatShare is >= 0 and <= 1 && PositionsShare is >= 0 and <= 1 && HeartbeatShare + PositionsShare <= 1,
            nameof(HeartbeatShare), "and PositionsShare must be within 0..1 and sum to at most 1");
        C2SimulatorOptions.Check(StrategyId >= 0, nameof(StrategyId), "must not be negative");
        C2SimulatorOptions.Check(BatchBytes >= 4096, nameof(BatchBytes), "must be at least 4096");
        C2SimulatorOptions.Check(Enum.IsDefined(SignalShape), nameof(SignalShape), "must be a defined shape");
        C2SimulatorOptions.Check(PositionsPerSnapshot is null or (>= 0 and <= 10_000), nameof(PositionsPerSnapshot), "must be within 0..10000");
    }

    /// <summary>
    /// What a flood with these options sends, computed without a server: exact message counts per kind and frame
    /// bytes, for a reader that must know in advance where the flood ends (a byte-counting drain, say).
    /// </summary>
    /// <param name="firstSeqId">The strategy's next <c>seq_id</c> when the flood starts (seq_id digits change the size).</param>
    /// <param name="randomSeed">The simulator's <see cref="C2SimulatorOptions.RandomSeed"/> (it picks the templates).</param>
    /// <returns>The counts and bytes a <see cref="C2SimulatorConnection.FloodAsync"/> with these options reports; <c>Elapsed</c> is zero.</returns>
    /// <exception cref="ArgumentException">An option is out of range, <see cref="MessageCount"/> is not set, or <see cref="StrategyId"/> is 0.</exception>
    public C2FloodResult Preview(long firstSeqId = 1, int randomSeed = 4242)
    {
        Validate();
        C2SimulatorOptions.Check(MessageCount is not null, nameof(MessageCount), "must be set for a preview");
        C2SimulatorOptions.Check(StrategyId > 0, nameof(StrategyId), "must be set (positive) for a preview");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(firstSeqId);

        // Ids are fixed width, so any prefix of the real one's length gives the same bytes.
        var encoder = new Flood.FloodEncoder(StrategyId, this, "msg_000000000000", randomSeed);
        var buffer = new byte[Math.Max(BatchBytes, encoder.MaxFrameLength)];
        var next = firstSeqId;
        long messages = 0, signals = 0, positions = 0, heartbeats = 0, bytes = 0;
        var target = MessageCount!.Value;
        while (messages < target)
        {
            bytes += encoder.Fill(buffer, messages, (int)Math.Min(target - messages, int.MaxValue), messages, ref next, DateTimeOffset.UnixEpoch, out var counts);
            messages += counts.Messages;
            signals += counts.Signals;
            positions += counts.Positions;
            heartbeats += counts.Heartbeats;
        }

        return new C2FloodResult(messages, signals, positions, heartbeats, bytes, TimeSpan.Zero,
            next > firstSeqId ? firstSeqId : 0, next > firstSeqId ? next - 1 : 0, Completed: true);
    }
}

/// <summary>What flooded <c>strategy.signal</c> payloads carry (<see cref="C2FloodOptions.SignalShape"/>).</summary>
public enum C2FloodSignalShape
{
    /// <summary>The live generator's order: <c>strategy_id</c>, <c>signal_id</c>, <c>action</c>, <c>symbol</c>, <c>quantity</c>, <c>order_type</c>, prices, <c>tif</c> (~300-byte frames).</summary>
    Full,

    /// <summary>Only <c>strategy_id</c> (~150-byte frames): the envelope dominates, as in a small-message mix.</summary>
    Minimal,
}

/// <summary>When an options-driven flood (<see cref="C2SimulatorOptions.Flood"/>) starts on a connection.</summary>
public enum C2FloodTrigger
{
    /// <summary>Right after the ack of the connection's first <c>strategy.signal</c> subscription.</summary>
    FirstSubscription,

    /// <summary>Right after <c>connection.connected</c>; needs <see cref="C2FloodOptions.StrategyId"/> or a configured strategy.</summary>
    Connect,
}

/// <summary>What one flood sent.</summary>
/// <param name="Messages">Messages sent.</param>
/// <param name="Signals">Of which <c>strategy.signal</c>.</param>
/// <param name="Positions">Of which <c>strategy.positions</c>.</param>
/// <param name="Heartbeats">Of which <c>heartbeat</c>.</param>
/// <param name="Bytes">Bytes written (frames, before TLS).</param>
/// <param name="Elapsed">Time from the first write to the last.</param>
/// <param name="FirstSeqId">The first flooded <c>seq_id</c> (0 if no signal was sent).</param>
/// <param name="LastSeqId">The last flooded <c>seq_id</c> (0 if no signal was sent).</param>
/// <param name="Completed">Whether the flood reached its count or duration (false: the connection ended first).</param>
public sealed record C2FloodResult(
    long Messages, long Signals, long Positions, long Heartbeats, long Bytes, TimeSpan Elapsed, long FirstSeqId, long LastSeqId, bool Completed)
{
    /// <summary>Messages per second over <see cref="Elapsed"/>.</summary>
    public double MessagesPerSecond => Elapsed > TimeSpan.Zero ? Messages / Elapsed.TotalSeconds : 0;
}
