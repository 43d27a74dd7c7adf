using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using C2Fast.Cli.Soak;

namespace C2Fast.Cli.Commands;

/// <summary>
/// <c>c2fast soak</c>: a long run (an hour by default) against the simulator with seeded random faults, a consumer
/// that stalls, and the real 30 s heartbeat; checks every signal exactly once and in order, every heartbeat acked,
/// and memory, threads and handles flat after warm-up. Not for CI: the quick mode is its smoke test.
/// </summary>
/// <remarks>Exit codes: 0 pass; 1 fail (the reasons are printed); 2 usage.</remarks>
internal sealed class SoakCommand
{
    private const string Help = """
        Soak test: the simulator (Kestrel, in this process) and the C2Fast client (a child process, c2fast soak-client, so
        its memory, threads and handles are its own). Signals are published at --signal-rate per strategy, also while the
        server is down. Faults, seeded by --seed, one at a time about every --fault-every seconds: cut (TCP FIN, no close
        frame), rst (TCP reset), stall (the server sends nothing for 10-60 % of the client's silence timeout, interval +
        grace), long-stall (150-200 % of it), close-1008, restart (the server stops and starts again on the same port with
        its history). Each consumer (one per partition) stalls about every 20 s; one stall in five is long enough to fill
        its partition and keep the read loop paused past the server's ack deadline. Every --sample-interval the client
        process is sampled: working set (VmRSS), managed heap live after a full collection, threads, file descriptors.

        Verdict (exit 0 only if all hold): every signal of every strategy delivered exactly once and in order (a gap from
        the server is reported, not failed); every heartbeat the server sent was acked (one sent less than half an interval,
        at most 2 s, before its connection was cut counts as in flight); no connection closed by the server for a missing
        ack; everything published delivered within the drain timeout after the end; no protocol error or dropped message in
        the client; and flat after warm-up: with the run cut in quarters, the largest sample of the last quarter is at most
        the largest of the second quarter plus 10 % or 8 MiB (working set), 10 % or 1 MiB (live heap), 4 (threads), 2
        (file descriptors). A --quick run does not judge flatness (too short). Exit codes: 0 pass, 1 fail, 2 usage.
        """;

    private readonly Option<TimeSpan?> _duration = CliParsers.Duration("--duration", "How long to inject faults and publish: 600, 600s, 10m, 1h (default 1h; --quick 20s). The drain comes after.");
    private readonly Option<int?> _seed = new("--seed") { Description = "Seed of the fault schedule and the consumers' stalls (default: from the clock, printed, so a run can be repeated)." };
    private readonly Option<double?> _heartbeatInterval = new("--heartbeat-interval") { Description = "Server heartbeat period and the client's Heartbeat.Interval, seconds (default 30, the real one; --quick 1)." };
    private readonly Option<double?> _heartbeatGrace = new("--heartbeat-grace") { Description = "Server ack grace and the client's Heartbeat.Grace, seconds (default 10; --quick 2)." };
    private readonly Option<double?> _signalRate = new("--signal-rate") { Description = "Signals per second per strategy (default 5; --quick 20)." };
    private readonly Option<long[]> _strategies = CliParsers.IdList("--strategies", "Strategy ids (default 101,102,103).");
    private readonly Option<double?> _sampleInterval = new("--sample-interval") { Description = "Seconds between samples of the client process (default 60; --quick 2)." };
    private readonly Option<double?> _faultEvery = new("--fault-every") { Description = "Mean seconds between faults, each pause uniform in 0.5-1.5 × this, counted from the end of the previous fault's effect (default 40; --quick 1.5)." };
    private readonly Option<string> _faults = new("--faults") { Description = "Comma-separated fault kinds: cut, rst, stall, long-stall, close-1008, restart (default all)." };
    private readonly Option<double?> _maxDowntime = new("--max-downtime") { Description = "Longest restart downtime, seconds; each is uniform in 10-100 % of it (default 5; --quick 1)." };
    private readonly Option<double?> _stallEvery = new("--consumer-stall-every") { Description = "Mean seconds of reading between consumer stalls (default 20; --quick 1.5)." };
    private readonly Option<string> _transport = new("--transport") { Description = "ws or wss (default wss, with the simulator's own CA).", DefaultValueFactory = _ => "wss" };
    private readonly Option<int?> _partitions = new("--partitions") { Description = "Client partitions, one stalling consumer each (default 2)." };
    private readonly Option<int?> _capacity = new("--capacity") { Description = "Client partition capacity: small, so a long stall pauses the read loop (default 64; --quick 16)." };
    private readonly Option<bool> _quick = new("--quick") { Description = "A smoke run: 20 s, heartbeat 1 s + 2 s grace, faults every 1.5 s, fast reconnects; flatness not judged." };
    private readonly Option<FileInfo?> _json = new("--json") { Description = "Also write the report (settings, faults, samples, figures, verdict) to this JSON file." };
    private readonly Option<bool> _verbose = new("--verbose") { Description = "Print the client's events (connects, disconnects, gaps, long stalls) as they happen." };
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Print the fault schedule the seed gives (kind, pause before it, duration) and exit." };

    public SoakCommand()
    {
        Command = new Command("soak", "Soak test: an hour against the simulator with random faults, a stalling consumer and the real 30 s heartbeat; checks exactly-once delivery, heartbeat acks and flat memory, threads and handles.\n\n" + Help);
        foreach (Option option in new Option[] { _duration, _seed, _heartbeatInterval, _heartbeatGrace, _signalRate, _strategies, _sampleInterval, _faultEvery, _faults, _maxDowntime, _stallEvery, _transport, _partitions, _capacity, _quick, _json, _verbose, _dryRun })
        {
            Command.Options.Add(option);
        }

        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    /// <summary>The plan from the options, or the usage error.</summary>
    internal (SoakPlan? Plan, string? Error) ToPlan(ParseResult result, string commandLine, int defaultSeed)
    {
        bool quick = result.GetValue(_quick);
        TimeSpan duration = result.GetValue(_duration) ?? (quick ? TimeSpan.FromSeconds(20) : TimeSpan.FromHours(1));
        double interval = result.GetValue(_heartbeatInterval) ?? (quick ? 1 : 30);
        double grace = result.GetValue(_heartbeatGrace) ?? (quick ? 2 : 10);
        double rate = result.GetValue(_signalRate) ?? (quick ? 20 : 5);
        double sample = result.GetValue(_sampleInterval) ?? (quick ? 2 : 60);
        double faultEvery = result.GetValue(_faultEvery) ?? (quick ? 1.5 : 40);
        double downtime = result.GetValue(_maxDowntime) ?? (quick ? 1 : 5);
        double stallEvery = result.GetValue(_stallEvery) ?? (quick ? 1.5 : 20);
        int partitions = result.GetValue(_partitions) ?? 2;
        int capacity = result.GetValue(_capacity) ?? (quick ? 16 : 64);
        string transport = result.GetValue(_transport) ?? "wss";
        long[] strategies = result.GetValue(_strategies) is { Length: > 0 } ids ? [.. ids.Distinct()] : [101, 102, 103];
        if (interval <= 0 || grace < 0 || rate <= 0 || rate > 10_000 || sample <= 0 || faultEvery <= 0 || downtime < 0 || stallEvery <= 0)
        {
            return (null, "--heartbeat-interval, --signal-rate (up to 10000), --sample-interval, --fault-every and --consumer-stall-every must be positive; --heartbeat-grace and --max-downtime not negative.");
        }

        if (interval <= 0.1)
        {
            return (null, "--heartbeat-interval must be above 0.1 s (the client's paused acks go out every 100 ms).");
        }

        if (partitions is < 1 or > 64 || capacity < 1)
        {
            return (null, "--partitions must be 1..64 and --capacity at least 1.");
        }

        if (transport is not ("ws" or "wss"))
        {
            return (null, $"--transport must be ws or wss, not '{transport}'.");
        }

        List<SoakFaultKind> kinds = [];
        string faults = result.GetValue(_faults) ?? "";
        foreach (string name in faults.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (name == "none")
            {
                continue;
            }

            if (!SoakFaultKinds.TryParse(name, out SoakFaultKind kind))
            {
                return (null, $"--faults: unknown kind '{name}' (known: {string.Join(", ", SoakFaultKinds.All.Select(SoakFaultKinds.Name))}, or none).");
            }

            if (!kinds.Contains(kind))
            {
                kinds.Add(kind);
            }
        }

        if (kinds.Count == 0 && faults.Trim() != "none")
        {
            kinds.AddRange(SoakFaultKinds.All);
        }

        TimeSpan heartbeat = TimeSpan.FromSeconds(interval);
        TimeSpan heartbeatGrace = TimeSpan.FromSeconds(grace);
        return (new SoakPlan
        {
            Duration = duration,
            Seed = result.GetValue(_seed) ?? defaultSeed,
            HeartbeatInterval = heartbeat,
            HeartbeatGrace = heartbeatGrace,
            SignalRate = rate,
            Strategies = strategies,
            SampleInterval = TimeSpan.FromSeconds(sample),
            Transport = transport,
            Faults = new SoakFaultSettings(TimeSpan.FromSeconds(faultEvery), heartbeat + heartbeatGrace, TimeSpan.FromSeconds(downtime), kinds),
            ConsumerStallEvery = TimeSpan.FromSeconds(stallEvery),
            ShortStallMax = quick ? TimeSpan.FromSeconds(0.3) : TimeSpan.FromSeconds(3),
            LongStallEvery = quick ? 3 : 5,
            Partitions = partitions,
            Capacity = capacity,
            PositionsInterval = quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(10),
            Reconnect = quick ? (TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(300)) : null,
            JudgeFlatness = !quick,
            Quick = quick,
            Verbose = result.GetValue(_verbose),
            CommandLine = commandLine,
        }, null);
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        TextWriter output = result.InvocationConfiguration.Output;
        TextWriter error = result.InvocationConfiguration.Error;
        string commandLine = "c2fast " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
        int defaultSeed = (int)(DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 1_000_000);
        (SoakPlan? plan, string? usage) = ToPlan(result, commandLine, defaultSeed);
        if (plan is null)
        {
            await error.WriteLineAsync("c2fast soak: " + usage).ConfigureAwait(false);
            return 2;
        }

        if (result.GetValue(_seed) is null)
        {
            plan = plan with { CommandLine = plan.CommandLine + " --seed " + plan.Seed.ToString(CultureInfo.InvariantCulture) };
        }

        if (result.GetValue(_dryRun))
        {
            await output.WriteLineAsync($"fault schedule of seed {plan.Seed} (pauses count from the end of the previous fault's effect):").ConfigureAwait(false);
            foreach (SoakFault fault in SoakFaultSchedule.Create(plan.Seed, plan.Faults, plan.Duration))
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"  {fault.Index,4}  after {fault.After.TotalSeconds,7:0.000} s  {SoakFaultKinds.Name(fault.Kind),-10}{(fault.Duration > TimeSpan.Zero ? $"  {fault.Duration.TotalSeconds:0.000} s" : "")}")).ConfigureAwait(false);
            }

            return 0;
        }

        SoakReport report = await new SoakRunner(plan, error).RunAsync(cancellationToken).ConfigureAwait(false);
        if (result.GetValue(_json) is FileInfo json)
        {
            await File.WriteAllTextAsync(json.FullName, JsonSerializer.Serialize(report, SoakJson.Indented.SoakReport) + "\n", cancellationToken).ConfigureAwait(false);
            await error.WriteLineAsync($"c2fast soak: JSON written to {json.FullName}").ConfigureAwait(false);
        }

        await output.WriteAsync(SoakTable.Plain(report)).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return report.Verdict.Ok ? 0 : 1;
    }
}
