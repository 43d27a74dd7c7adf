using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using C2Fast.Simulator;

namespace C2Fast.Cli.Commands;

/// <summary>
/// <c>c2fast simulate</c>: runs the local Collective2 server in the foreground, prints where it listens and a status
/// line every few seconds, and stops cleanly on Ctrl+C (or SIGTERM).
/// </summary>
internal sealed class SimulateCommand
{
    private readonly Option<int> _port = new("--port") { Description = "TCP port; 0 picks a free one (default 0).", DefaultValueFactory = _ => 0 };
    private readonly Option<string> _host = new("--host") { Description = "Address to bind (default 127.0.0.1).", DefaultValueFactory = _ => "127.0.0.1" };
    private readonly Option<bool> _tls = new("--tls") { Description = "Serve wss:// with an in-memory self-signed CA; its PEM is written to --ca-out." };
    private readonly Option<string?> _caOut = new("--ca-out") { Description = "Where --tls writes the CA certificate (PEM). Default: a file in the temp folder." };
    private readonly Option<string[]> _apiKeys = new("--api-key") { Description = $"An accepted API key; repeat for more (default: the demo key {C2SimulatorOptions.DemoApiKey}).", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<double> _heartbeatInterval = CliParsers.Seconds("--heartbeat-interval", "Heartbeat interval", 30);
    private readonly Option<double> _heartbeatGrace = CliParsers.Seconds("--heartbeat-grace", "Grace after the interval before a missing ack closes the connection", 10, allowZero: true);
    private readonly Option<int> _heartbeatMissCode = new("--heartbeat-miss-code") { Description = "Close code for a missed heartbeat ack (default 1008).", DefaultValueFactory = _ => 1008 };
    private readonly Option<int> _maxPerKey = new("--max-connections-per-key") { Description = "Connections per API key (default 10).", DefaultValueFactory = _ => 10 };
    private readonly Option<bool> _race = new("--limit-race") { Description = "Above the per-key limit, accept then close 1008 (the documented race) instead of rejecting with 429." };
    private readonly Option<int> _globalLimit = new("--global-connection-limit") { Description = "Connections in total before 503 (default 1000).", DefaultValueFactory = _ => 1000 };
    private readonly Option<long[]> _strategies = CliParsers.IdList("--strategies", "Strategy ids to publish, comma-separated (e.g. 101,102).");
    private readonly Option<long[]> _allowed = CliParsers.IdList("--allowed-strategies", "Strategy ids a key may subscribe to (default: --strategies); others get FORBIDDEN.");
    private readonly Option<double> _signalRate = new("--signal-rate") { Description = "Signals per second per strategy (default 1).", DefaultValueFactory = _ => 1 };
    private readonly Option<double> _positionsInterval = CliParsers.Seconds("--positions-interval", "Positions snapshot interval, 0 = off", 5, allowZero: true);
    private readonly Option<int> _history = new("--history") { Description = "Signals pre-filled per strategy at start, so replay and gap work at once (default 0).", DefaultValueFactory = _ => 0 };
    private readonly Option<int> _replayLimit = new("--replay-limit") { Description = "Most signals replayed per resume_from before a gap (default 1000).", DefaultValueFactory = _ => 1000 };
    private readonly Option<int> _seqJumps = new("--seq-jumps") { Description = "Every Nth signal skips seq_ids (0 = consecutive; default 0).", DefaultValueFactory = _ => 0 };
    private readonly Option<int?> _dropAfter = new("--drop-after") { Description = "Fault: drop TCP (no close frame) after N messages on each connection." };
    private readonly Option<int?> _stallAfter = new("--stall-after") { Description = "Fault: stall sending after N messages on each connection, for --stall-seconds." };
    private readonly Option<double> _stallSeconds = CliParsers.Seconds("--stall-seconds", "Fault: how long a stall lasts", 5, allowZero: true);
    private readonly Option<int?> _splitAfter = new("--split-after") { Description = "Fault: write the message after N messages one byte per TCP write." };
    private readonly Option<int?> _closeAfter = new("--close-after") { Description = "Fault: close after N messages with --close-code." };
    private readonly Option<int> _closeCode = new("--close-code") { Description = "Fault: the code of --close-after (default 1011).", DefaultValueFactory = _ => 1011 };
    private readonly Option<bool> _noHeartbeats = new("--no-heartbeats") { Description = "Fault: send no heartbeats (and enforce no acks)." };
    private readonly Option<int> _rejectHandshakes = new("--reject-handshakes") { Description = "Fault: reject the first K handshakes with --reject-status.", DefaultValueFactory = _ => 0 };
    private readonly Option<int> _rejectStatus = new("--reject-status") { Description = "Fault: 429 or 503 (default 429).", DefaultValueFactory = _ => 429 };
    private readonly Option<long?> _floodMessages = new("--flood-messages") { Description = "Flood: send N pre-encoded messages to each connection after its first signal subscription." };
    private readonly Option<double?> _floodSeconds = new("--flood-seconds") { Description = "Flood: flood for S seconds (with or instead of --flood-messages)." };
    private readonly Option<double?> _floodRate = new("--flood-rate") { Description = "Flood: messages per second (default: as fast as the socket takes them)." };
    private readonly Option<double> _floodHeartbeatShare = new("--flood-heartbeat-share") { Description = "Flood: share of heartbeats (default 0.001).", DefaultValueFactory = _ => 0.001 };
    private readonly Option<double> _floodPositionsShare = new("--flood-positions-share") { Description = "Flood: share of positions snapshots (default 0.05).", DefaultValueFactory = _ => 0.05 };
    private readonly Option<bool> _floodOnConnect = new("--flood-on-connect") { Description = "Flood: start right after connection.connected instead of after the first subscription." };
    private readonly Option<double> _statusInterval = CliParsers.Seconds("--status-interval", "Status line interval, 0 = off", 5, allowZero: true);

    public SimulateCommand()
    {
        Command = new Command("simulate", "Run a local Collective2 WebSocket server (C2 API v4) for tests, demos and benchmarks.");
        Option[] options =
        [
            _port, _host, _tls, _caOut, _apiKeys, _heartbeatInterval, _heartbeatGrace, _heartbeatMissCode, _maxPerKey, _race, _globalLimit,
            _strategies, _allowed, _signalRate, _positionsInterval, _history, _replayLimit, _seqJumps,
            _dropAfter, _stallAfter, _stallSeconds, _splitAfter, _closeAfter, _closeCode, _noHeartbeats, _rejectHandshakes, _rejectStatus,
            _floodMessages, _floodSeconds, _floodRate, _floodHeartbeatShare, _floodPositionsShare, _floodOnConnect, _statusInterval,
        ];
        foreach (var option in options)
        {
            Command.Options.Add(option);
        }

        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    /// <summary>Maps a parse result of this command to simulator options (the defaults of the CLI, not of the library: 1 signal/s, positions every 5 s).</summary>
    public C2SimulatorOptions ToOptions(ParseResult result)
    {
        var strategies = result.GetValue(_strategies) ?? [];
        var allowed = result.GetValue(_allowed) ?? [];
        var keys = result.GetValue(_apiKeys) ?? [];
        C2FloodOptions? flood = null;
        var floodMessages = result.GetValue(_floodMessages);
        var floodSeconds = result.GetValue(_floodSeconds);
        if (floodMessages is not null || floodSeconds is not null)
        {
            flood = new C2FloodOptions
            {
                MessageCount = floodMessages,
                Duration = floodSeconds is { } s ? TimeSpan.FromSeconds(s) : null,
                RatePerSecond = result.GetValue(_floodRate),
                HeartbeatShare = result.GetValue(_floodHeartbeatShare),
                PositionsShare = result.GetValue(_floodPositionsShare),
                Trigger = result.GetValue(_floodOnConnect) ? C2FloodTrigger.Connect : C2FloodTrigger.FirstSubscription,
            };
        }

        return new C2SimulatorOptions
        {
            Port = result.GetValue(_port),
            ListenAddress = IPAddress.Parse(result.GetValue(_host) ?? "127.0.0.1"),
            UseTls = result.GetValue(_tls),
            ApiKeys = keys.Length > 0 ? keys : [C2SimulatorOptions.DemoApiKey],
            HeartbeatInterval = TimeSpan.FromSeconds(result.GetValue(_heartbeatInterval)),
            HeartbeatGrace = TimeSpan.FromSeconds(result.GetValue(_heartbeatGrace)),
            HeartbeatMissCloseCode = result.GetValue(_heartbeatMissCode),
            MaxConnectionsPerKey = result.GetValue(_maxPerKey),
            ConnectionLimitBehavior = result.GetValue(_race) ? C2ConnectionLimitBehavior.RaceClose1008 : C2ConnectionLimitBehavior.Reject429,
            GlobalConnectionLimit = result.GetValue(_globalLimit),
            Strategies = strategies,
            AllowedStrategies = allowed.Length > 0 ? allowed : null,
            SignalRate = result.GetValue(_signalRate),
            PositionsInterval = TimeSpan.FromSeconds(result.GetValue(_positionsInterval)),
            History = result.GetValue(_history),
            HistoryCapacity = Math.Max(10_000, result.GetValue(_history)),
            ReplayLimit = result.GetValue(_replayLimit),
            SeqJumpEvery = result.GetValue(_seqJumps),
            Faults = new C2FaultPlan
            {
                DropAfterMessages = result.GetValue(_dropAfter),
                StallAfterMessages = result.GetValue(_stallAfter),
                StallDuration = TimeSpan.FromSeconds(result.GetValue(_stallSeconds)),
                SplitFrameAfterMessages = result.GetValue(_splitAfter),
                CloseAfterMessages = result.GetValue(_closeAfter),
                CloseCode = result.GetValue(_closeCode),
                SendHeartbeats = !result.GetValue(_noHeartbeats),
                RejectHandshakes = result.GetValue(_rejectHandshakes),
                RejectStatusCode = result.GetValue(_rejectStatus),
            },
            Flood = flood,
        };
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var output = result.InvocationConfiguration.Output;
        var error = result.InvocationConfiguration.Error;
        C2SimulatorOptions options;
        try
        {
            options = ToOptions(result);
            options.Validate();
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            await error.WriteLineAsync($"c2fast simulate: {ex.Message}").ConfigureAwait(false);
            return 2;
        }

        // Ctrl+C, SIGTERM and SIGQUIT stop the simulator cleanly instead of killing the process.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var onSigInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var onSigTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var onSigQuit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnSignal);
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        cancellationToken = stop.Token;
        var simulator = new C2Simulator(options);
        await using var disposeSimulator = simulator.ConfigureAwait(false);
        await simulator.StartAsync(cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"c2fast simulate: listening on {simulator.Uri}").ConfigureAwait(false);
        if (options.UseTls)
        {
            var caPath = result.GetValue(_caOut) ?? Path.Combine(Path.GetTempPath(), $"c2fast-simulator-ca-{simulator.Port}.pem");
            await File.WriteAllTextAsync(caPath, simulator.CaCertificatePem, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"c2fast simulate: CA certificate (PEM) written to {Path.GetFullPath(caPath)}").ConfigureAwait(false);
        }

        var keys = result.GetValue(_apiKeys) is { Length: > 0 } given
            ? $"{given.Length} key(s) from --api-key"
            : $"{C2SimulatorOptions.DemoApiKey} (demo key)";
        await output.WriteLineAsync($"c2fast simulate: API key: {keys}; send 'Authorization: Bearer <key>'").ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"c2fast simulate: strategies [{string.Join(',', options.Strategies)}], {options.SignalRate} signal/s each, heartbeat every {options.HeartbeatInterval.TotalSeconds}s + {options.HeartbeatGrace.TotalSeconds}s grace. Ctrl+C stops.")).ConfigureAwait(false);

        var statusEvery = result.GetValue(_statusInterval);
        try
        {
            if (statusEvery > 0)
            {
                using var timer = new PeriodicTimer(TimeSpan.FromSeconds(statusEvery));
                while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                {
                    await output.WriteLineAsync(StatusLine(simulator)).ConfigureAwait(false);
                }
            }
            else
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or SIGTERM: stop cleanly below.
        }

        await output.WriteLineAsync("c2fast simulate: stopping").ConfigureAwait(false);
        await simulator.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await output.WriteLineAsync(StatusLine(simulator)).ConfigureAwait(false);
        return 0;
    }

    /// <summary>One line: connections, messages, acks, closes by code, rejections, drops, heartbeat round trip, last flood.</summary>
    internal static string StatusLine(C2Simulator simulator)
    {
        var c = simulator.GetCounters();
        var rtt = simulator.GetHeartbeatRoundTrip();
        static string Codes(IReadOnlyDictionary<int, long> codes) =>
            codes.Count == 0 ? "-" : string.Join(' ', codes.OrderBy(p => p.Key).Select(p => $"{p.Key}x{p.Value}"));
        var line = string.Create(CultureInfo.InvariantCulture,
            $"[{DateTime.Now:HH:mm:ss}] conns={c.ActiveConnections} accepted={c.ConnectionsAccepted} sent={c.MessagesSent} hb={c.HeartbeatsSent} acks={c.AcksReceived} " +
            $"signals={c.SignalsPublished} replayed={c.SignalsReplayed} gaps={c.GapsSent} errors={c.ErrorsSent} " +
            $"rejected(401/429/503)={c.Rejected401}/{c.Rejected429}/{c.Rejected503} closes(server)={Codes(c.ServerClosesByCode)} " +
            $"closes(client)={Codes(c.ClientClosesByCode)} drops={c.Drops} ack-rtt p50/p99/max={rtt.P50.TotalMilliseconds:0.###}/{rtt.P99.TotalMilliseconds:0.###}/{rtt.Max.TotalMilliseconds:0.###}ms");
        if (c.LastFlood is { } flood)
        {
            line += string.Create(CultureInfo.InvariantCulture,
                $" flood={flood.Messages} msgs in {flood.Elapsed.TotalSeconds:0.###}s ({flood.MessagesPerSecond:0} msg/s, {flood.Bytes / Math.Max(flood.Elapsed.TotalSeconds, 1e-9) / 1e6:0.#} MB/s)");
        }

        return line;
    }
}
