namespace C2Fast.Cli.Soak;

/// <summary>Everything a soak run is set up with: the options of <c>c2fast soak</c>, defaults filled in.</summary>
internal sealed record SoakPlan
{
    /// <summary>How long faults are injected and signals published (the drain comes after).</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Seeds the fault schedule and the consumers' stalls.</summary>
    public required int Seed { get; init; }

    /// <summary>The server's heartbeat period, and the client's <c>Heartbeat.Interval</c>.</summary>
    public required TimeSpan HeartbeatInterval { get; init; }

    /// <summary>The server's ack grace, and the client's <c>Heartbeat.Grace</c>.</summary>
    public required TimeSpan HeartbeatGrace { get; init; }

    /// <summary>Signals per second per strategy, published by the soak itself (so publishing goes on while the server restarts).</summary>
    public required double SignalRate { get; init; }

    public required IReadOnlyList<long> Strategies { get; init; }

    /// <summary>How often the client process is sampled.</summary>
    public required TimeSpan SampleInterval { get; init; }

    /// <summary>ws or wss.</summary>
    public required string Transport { get; init; }

    public required SoakFaultSettings Faults { get; init; }

    /// <summary>Mean reading time between two consumer stalls.</summary>
    public required TimeSpan ConsumerStallEvery { get; init; }

    /// <summary>The longest short consumer stall.</summary>
    public required TimeSpan ShortStallMax { get; init; }

    /// <summary>One consumer stall in this many is long.</summary>
    public required int LongStallEvery { get; init; }

    /// <summary>Client partitions (one consumer each).</summary>
    public required int Partitions { get; init; }

    /// <summary>Client partition capacity: small, so that a long consumer stall fills it and backpressure pauses the read loop.</summary>
    public required int Capacity { get; init; }

    /// <summary>How often the simulator publishes a positions snapshot per strategy (the client subscribes to them too).</summary>
    public required TimeSpan PositionsInterval { get; init; }

    /// <summary>Client reconnect delays; null for the library's defaults (0.5 s base, 30 s cap, 5 s after a rejection).</summary>
    public (TimeSpan Base, TimeSpan Max, TimeSpan Rejection)? Reconnect { get; init; }

    /// <summary>Whether memory, threads and handles are judged for flatness (not in a quick run).</summary>
    public required bool JudgeFlatness { get; init; }

    public required bool Quick { get; init; }

    /// <summary>Print every client event and fault as it happens.</summary>
    public bool Verbose { get; init; }

    public string CommandLine { get; init; } = "c2fast soak";

    /// <summary>The client's liveness limit: interval + grace.</summary>
    public TimeSpan SilenceTimeout => HeartbeatInterval + HeartbeatGrace;

    /// <summary>
    /// How long a heartbeat may go without an ack when its connection ends and still count as in flight (sent too
    /// late to be answered) rather than unacked: half an interval, at most 2 s. A paused client acks every 100 ms.
    /// </summary>
    public TimeSpan AckAllowance => TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(2).Ticks, HeartbeatInterval.Ticks / 2));

    /// <summary>The longest reconnect backoff the client may be in.</summary>
    public TimeSpan MaxReconnectDelay => Reconnect?.Max ?? TimeSpan.FromSeconds(30);

    /// <summary>How long a fault waits for a live, subscribed connection before it is skipped.</summary>
    public TimeSpan LiveWait => Quick ? TimeSpan.FromSeconds(10) : (2 * SilenceTimeout) + (2 * MaxReconnectDelay);

    /// <summary>How long the client gets after the end to deliver everything published.</summary>
    public TimeSpan DrainTimeout => Quick ? TimeSpan.FromSeconds(20) : (2 * SilenceTimeout) + MaxReconnectDelay + TimeSpan.FromSeconds(60);

    /// <summary>
    /// The stalls of partition <paramref name="partition"/>'s consumer. A long stall lasts the time the partition
    /// takes to fill at the signal rate, plus 1.5 to 2 times the silence timeout: long enough that the read loop stays
    /// paused past the server's ack deadline (interval + grace), so only the client's paused acks keep the connection.
    /// </summary>
    public SoakStallSettings StallSettings(int partition)
    {
        int strategies = Strategies.Count(s => (int)(s % Partitions) == partition);
        double perSecond = strategies * SignalRate;
        TimeSpan fill = perSecond > 0 ? TimeSpan.FromSeconds(Math.Min(Capacity / perSecond, 600)) : TimeSpan.Zero;
        return new SoakStallSettings(ConsumerStallEvery, ShortStallMax, fill + (SilenceTimeout * 1.5), fill + (SilenceTimeout * 2), LongStallEvery);
    }

    /// <summary>The seed of partition <paramref name="partition"/>'s stalls (distinct from the fault schedule's).</summary>
    public int StallSeed(int partition) => unchecked((Seed * 7919) + 104729 + partition);
}
