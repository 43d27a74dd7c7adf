using System.Net;

namespace C2Fast.Simulator;

/// <summary>Everything the simulated Collective2 server can be told to do, fixed at start.</summary>
/// <remarks>
/// Defaults follow the protocol contract (<c>src/C2Fast/Protocol/Contract.md</c>): vendor-documented values ([DOC]) where the vendor
/// documents one, otherwise the project's named choice ([CHOICE]). Every [CHOICE] is an option
/// here so it can be changed when a capture of the real server shows otherwise.
/// <see cref="Validate"/> runs in <see cref="C2Simulator.StartAsync"/>.
/// </remarks>
public sealed record C2SimulatorOptions
{
    /// <summary>The address Kestrel binds. Default <see cref="IPAddress.Loopback"/> (127.0.0.1).</summary>
    public IPAddress ListenAddress { get; init; } = IPAddress.Loopback;

    /// <summary>The TCP port; 0 (default) picks a free ephemeral port, reported by <see cref="C2Simulator.Port"/>.</summary>
    public int Port { get; init; }

    /// <summary>Serve <c>wss://</c> with an in-memory self-signed CA and a server certificate for localhost, 127.0.0.1 and ::1. Default off (<c>ws://</c>).</summary>
    public bool UseTls { get; init; }

    /// <summary>The request path of the WebSocket endpoint. Default <c>/ws</c> [DOC]; other paths get 404.</summary>
    public string Path { get; init; } = "/ws";

    /// <summary>The API keys accepted in <c>Authorization: Bearer</c>. Default one demo key, <see cref="DemoApiKey"/>.</summary>
    public IReadOnlyList<string> ApiKeys { get; init; } = [DemoApiKey];

    /// <summary>How often the server sends <c>heartbeat</c>. Default 30 s [DOC].</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Extra time after <see cref="HeartbeatInterval"/> before a missing <c>heartbeat.ack</c> closes the connection. Default 10 s [DOC].</summary>
    /// <remarks>The deadline is interval + grace after the previous ack; the first window starts when the connection opens [CHOICE].</remarks>
    public TimeSpan HeartbeatGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The close code sent when a heartbeat ack is missed. Default 1008 (policy violation) [CHOICE].</summary>
    public int HeartbeatMissCloseCode { get; init; } = 1008;

    /// <summary>
    /// The first ack window starts when the connection opens (so the first deadline is open + interval + grace).
    /// When off, it starts at the first heartbeat (open + 2 × interval + grace). Default on [CHOICE].
    /// </summary>
    public bool FirstAckWindowStartsAtOpen { get; init; } = true;

    /// <summary>Any client message resets the ack window, not only <c>heartbeat.ack</c>. Default off [CHOICE: only acks count].</summary>
    public bool AnyMessageCountsAsAck { get; init; }

    /// <summary>Open connections allowed per API key. Default 10 [DOC].</summary>
    public int MaxConnectionsPerKey { get; init; } = 10;

    /// <summary>What happens to a connection above <see cref="MaxConnectionsPerKey"/>. Default <see cref="C2ConnectionLimitBehavior.Reject429"/>.</summary>
    public C2ConnectionLimitBehavior ConnectionLimitBehavior { get; init; } = C2ConnectionLimitBehavior.Reject429;

    /// <summary>Open connections allowed in total; above it the upgrade is rejected with 503 [DOC: status]. Default 1000 [CHOICE].</summary>
    public int GlobalConnectionLimit { get; init; } = 1000;

    /// <summary>When set, 429 and 503 rejections carry <c>Retry-After</c> with this many whole seconds. Default none [CHOICE].</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The strategy ids the simulator publishes (automatic signals, positions, <see cref="History"/>). Default none.</summary>
    public IReadOnlyList<long> Strategies { get; init; } = [];

    /// <summary>
    /// The strategy ids a key may subscribe to; any other id gets FORBIDDEN / <c>StrategyId</c> [CHOICE].
    /// Default <see langword="null"/>: the ids in <see cref="Strategies"/>.
    /// </summary>
    public IReadOnlyList<long>? AllowedStrategies { get; init; }

    /// <summary>Automatic <c>strategy.signal</c>s per second per strategy in <see cref="Strategies"/>. Default 0 (only on demand).</summary>
    public double SignalRate { get; init; }

    /// <summary>How often a <c>strategy.positions</c> snapshot is published per strategy. Default <see cref="TimeSpan.Zero"/> (off).</summary>
    public TimeSpan PositionsInterval { get; init; }

    /// <summary>Signals pre-published per strategy at start, so replay and <c>gap</c> can be exercised at once. Default 0.</summary>
    public int History { get; init; }

    /// <summary>Signals retained per strategy for replay (oldest dropped first). Default 10,000 [CHOICE].</summary>
    public int HistoryCapacity { get; init; } = 10_000;

    /// <summary>The most signals replayed for one <c>resume_from</c>; beyond it a <c>gap</c> follows. Default 1000 [DOC].</summary>
    public int ReplayLimit { get; init; } = 1000;

    /// <summary>Which missed signals are replayed when more than <see cref="ReplayLimit"/> were missed. Default <see cref="C2ReplaySelection.OldestFirst"/> [CHOICE].</summary>
    public C2ReplaySelection ReplaySelection { get; init; } = C2ReplaySelection.OldestFirst;

    /// <summary>
    /// Whether the <c>gap</c> payload's <c>strategy_id</c> is <see langword="null"/> (as in the vendor's example) or the
    /// strategy id. Default <see langword="true"/>: null, the channel name carries the id [DOC example].
    /// </summary>
    public bool GapStrategyIdNull { get; init; } = true;

    /// <summary>The first <c>seq_id</c> of each strategy. Default 1 [CHOICE].</summary>
    public long FirstSeqId { get; init; } = 1;

    /// <summary>Every Nth signal skips <see cref="SeqJumpSize"/> sequence numbers (seq_id increases but is not consecutive [DOC]). Default 0 (off).</summary>
    public int SeqJumpEvery { get; init; }

    /// <summary>How many sequence numbers a jump skips. Default 5.</summary>
    public int SeqJumpSize { get; init; } = 5;

    /// <summary>Heartbeats, acks, errors and gaps carry <c>"seq_id":null</c> instead of omitting it (the spec allows both). Default off [CHOICE].</summary>
    public bool WriteNullSeqId { get; init; }

    /// <summary>The <c>subscription.ack</c> payload echoes <c>action</c>, <c>channel</c> and <c>strategy_id</c>; when off the ack has no payload. Default on [CHOICE].</summary>
    public bool AckEchoesRequest { get; init; } = true;

    /// <summary>An <c>error</c> echoes the <c>request_id</c> of the request it answers. Default on [CHOICE].</summary>
    public bool ErrorEchoesRequestId { get; init; } = true;

    /// <summary>The error codes used in <c>error</c> payloads and rejection bodies. Default: spec §8.</summary>
    public C2ErrorCodes ErrorCodes { get; init; } = new();

    /// <summary>Which JSON forms of <c>resume_from</c> are accepted. Default <see cref="C2ResumeFromForms.StringOrNumber"/> [CHOICE].</summary>
    public C2ResumeFromForms ResumeFromForms { get; init; } = C2ResumeFromForms.StringOrNumber;

    /// <summary>
    /// <c>strategy.positions</c> messages carry a <c>seq_id</c> (a per-strategy counter of snapshots, separate from signals).
    /// Default off [CHOICE: snapshots without seq_id]. Flood positions never carry one.
    /// </summary>
    public bool PositionsCarrySeqId { get; init; }

    /// <summary>The longest <c>request_id</c> accepted; longer → INVALID_PARAMETER. Default 50 [DOC].</summary>
    public int MaxRequestIdLength { get; init; } = 50;

    /// <summary>How far a client <c>timestamp</c> may be from server time; beyond → INVALID_PARAMETER. Default 60 s [DOC].</summary>
    public TimeSpan TimestampTolerance { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A <c>subscription.request</c> without <c>timestamp</c> gets MANDATORY_PARAM_EMPTY_OR_MALFORMED. Default on [CHOICE].</summary>
    public bool RequireRequestTimestamp { get; init; } = true;

    /// <summary>Channel subscriptions (channel + strategy pairs) per connection; the next → INVALID_PARAMETER. Default 100 [DOC].</summary>
    public int MaxSubscriptionsPerConnection { get; init; } = 100;

    /// <summary>A <c>strategy.positions</c> subscription gets the current snapshot right after its ack. Default on [CHOICE].</summary>
    public bool PositionsSnapshotOnSubscribe { get; init; } = true;

    /// <summary>The largest client message (after reassembly) accepted; larger → close 1009. Default 64 KiB [CHOICE].</summary>
    public int MaxClientMessageBytes { get; init; } = 64 * 1024;

    /// <summary>A binary client message closes the connection with 1003 (unsupported data); when off it gets an <c>error</c>. Default on [CHOICE].</summary>
    public bool CloseOnBinaryMessage { get; init; } = true;

    /// <summary>Messages queued for one connection before it counts as a slow consumer and is dropped. Default 1,000,000 [CHOICE].</summary>
    public int MaxQueuedMessages { get; init; } = 1_000_000;

    /// <summary>How long a server-initiated close waits for the client's close frame before dropping TCP. Default 2 s.</summary>
    public TimeSpan CloseHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The host's shutdown timeout: how long <see cref="C2Simulator.DisposeAsync"/> waits for connections. Default 1 s.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The pause between the 1-byte writes of a split frame (fault "split frame"), so that each byte leaves as its own
    /// TCP segment. Default 1 ms (in practice a timer tick, a few ms): a 200-byte frame takes about a second.
    /// Zero writes the bytes back to back (each still written and flushed alone, but TCP may coalesce them).
    /// </summary>
    public TimeSpan SplitWritePause { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Faults applied to every new connection (and handshake rejections at start). Default none.</summary>
    public C2FaultPlan Faults { get; init; } = C2FaultPlan.None;

    /// <summary>When set, every connection floods pre-encoded messages (benchmark mode). Default none.</summary>
    public C2FloodOptions? Flood { get; init; }

    /// <summary>Seed of the signal generator, so runs are reproducible. Default 4242.</summary>
    public int RandomSeed { get; init; } = 4242;

    /// <summary>The API key accepted when <see cref="ApiKeys"/> is not set.</summary>
    public const string DemoApiKey = "c2fast-demo-key";

    /// <summary>Checks every value; throws <see cref="ArgumentException"/> naming the first bad option.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        Check(Port is >= 0 and <= 65535, nameof(Port), "must be 0..65535");
        Check(Path.StartsWith('/'), nameof(Path), "must start with '/'");
        Check(ApiKeys.Count > 0 && ApiKeys.All(k => !string.IsNullOrWhiteSpace(k)), nameof(ApiKeys), "needs at least one non-empty key");
        Check(HeartbeatInterval > TimeSpan.Zero, nameof(HeartbeatInterval), "must be positive");
        Check(HeartbeatGrace >= TimeSpan.Zero, nameof(HeartbeatGrace), "must not be negative");
        Check(HeartbeatMissCloseCode is >= 1000 and <= 4999, nameof(HeartbeatMissCloseCode), "must be a close code 1000..4999");
        Check(MaxConnectionsPerKey > 0, nameof(MaxConnectionsPerKey), "must be positive");
        Check(GlobalConnectionLimit > 0, nameof(GlobalConnectionLimit), "must be positive");
        Check(Strategies.All(s => s > 0), nameof(Strategies), "ids must be positive");
        Check(SignalRate is >= 0 and <= 1_000_000 && !double.IsNaN(SignalRate), nameof(SignalRate), "must be 0..1,000,000");
        Check(PositionsInterval >= TimeSpan.Zero, nameof(PositionsInterval), "must not be negative");
        Check(History >= 0, nameof(History), "must not be negative");
        Check(HistoryCapacity > 0 && HistoryCapacity >= History, nameof(HistoryCapacity), "must be positive and at least History");
        Check(ReplayLimit > 0, nameof(ReplayLimit), "must be positive");
        Check(FirstSeqId > 0, nameof(FirstSeqId), "must be positive");
        Check(SeqJumpEvery >= 0 && SeqJumpSize >= 0, nameof(SeqJumpEvery), "must not be negative");
        Check(MaxRequestIdLength > 0, nameof(MaxRequestIdLength), "must be positive");
        Check(TimestampTolerance > TimeSpan.Zero, nameof(TimestampTolerance), "must be positive");
        Check(MaxSubscriptionsPerConnection > 0, nameof(MaxSubscriptionsPerConnection), "must be positive");
        Check(MaxClientMessageBytes >= 125, nameof(MaxClientMessageBytes), "must be at least 125");
        Check(MaxQueuedMessages > 0, nameof(MaxQueuedMessages), "must be positive");
        Check(CloseHandshakeTimeout > TimeSpan.Zero, nameof(CloseHandshakeTimeout), "must be positive");
        Check(ShutdownTimeout >= TimeSpan.Zero, nameof(ShutdownTimeout), "must not be negative");
        Check(SplitWritePause >= TimeSpan.Zero, nameof(SplitWritePause), "must not be negative");
        ArgumentNullException.ThrowIfNull(ErrorCodes);
        Faults.Validate();
        Flood?.Validate();
    }

    internal static void Check(bool ok, string name, string rule)
    {
        if (!ok)
        {
            throw new ArgumentException($"{name} {rule}.", name);
        }
    }
}

/// <summary>What the simulator does with a connection above the per-key limit.</summary>
public enum C2ConnectionLimitBehavior
{
    /// <summary>Reject the upgrade with HTTP 429 and body code <c>RATE_LIMITED</c> [DOC: status].</summary>
    Reject429,

    /// <summary>Accept the upgrade, then close at once with 1008 and no message: the documented connection race [DOC].</summary>
    RaceClose1008,
}

/// <summary>Which missed signals a replay sends when more than <see cref="C2SimulatorOptions.ReplayLimit"/> were missed.</summary>
public enum C2ReplaySelection
{
    /// <summary>
    /// The first ones after <c>resume_from</c>, in order; the <c>gap</c> names the first signal not replayed. This follows the
    /// spec's wording ("replays every signal with seq_id &gt; resume_from in order, at most 1000"): the client's state is
    /// contiguous up to the gap.
    /// </summary>
    OldestFirst,

    /// <summary>The most recent ones; the <c>gap</c> names the first signal skipped.</summary>
    MostRecent,
}
