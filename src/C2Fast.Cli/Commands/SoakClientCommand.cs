using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using C2Fast.Cli.Soak;

namespace C2Fast.Cli.Commands;

/// <summary>
/// <c>c2fast soak-client</c> (hidden): the client of <c>c2fast soak</c> in a process of its own (see <see cref="SoakClient"/>
/// for the line protocol on stdin and stdout). Exit code 0 when it reported a result with status ok.
/// </summary>
internal sealed class SoakClientCommand
{
    private readonly Option<Uri> _url = new("--url") { Description = "The simulator endpoint.", Required = true, CustomParser = r => new Uri(r.Tokens[0].Value) };
    private readonly Option<FileInfo?> _ca = new("--ca") { Description = "The simulator's CA (PEM) for wss." };
    private readonly Option<long[]> _strategies = CliParsers.IdList("--strategies", "Strategy ids.");
    private readonly Option<int> _seed = new("--seed") { Description = "Seed of the consumers' stalls.", Required = true };
    private readonly Option<double> _heartbeatInterval = CliParsers.Seconds("--heartbeat-interval", "Heartbeat.Interval", 30);
    private readonly Option<double> _heartbeatGrace = CliParsers.Seconds("--heartbeat-grace", "Heartbeat.Grace", 10, allowZero: true);
    private readonly Option<double> _signalRate = new("--signal-rate") { Description = "Signals per second per strategy (sizes the long stalls).", DefaultValueFactory = _ => 5 };
    private readonly Option<int> _partitions = new("--partitions") { Description = "Queues.Partitions.", DefaultValueFactory = _ => 2 };
    private readonly Option<int> _capacity = new("--capacity") { Description = "Queues.Capacity.", DefaultValueFactory = _ => 64 };
    private readonly Option<double> _stallEvery = CliParsers.Seconds("--stall-every", "Mean reading time between consumer stalls", 20);
    private readonly Option<double> _shortStallMax = CliParsers.Seconds("--short-stall-max", "Longest short stall", 3);
    private readonly Option<int> _longStallEvery = new("--long-stall-every") { Description = "One stall in this many is long.", DefaultValueFactory = _ => 5 };
    private readonly Option<double?> _reconnectBase = new("--reconnect-base") { Description = "Reconnect.BaseDelay, seconds (default: the library's)." };
    private readonly Option<double?> _reconnectMax = new("--reconnect-max") { Description = "Reconnect.MaxDelay, seconds." };
    private readonly Option<double?> _rejectionDelay = new("--rejection-delay") { Description = "Reconnect.RejectionDelay, seconds." };

    public SoakClientCommand()
    {
        Command = new Command("soak-client", "The client of `c2fast soak`, run in its own process (internal).") { Hidden = true };
        foreach (Option option in new Option[] { _url, _ca, _strategies, _seed, _heartbeatInterval, _heartbeatGrace, _signalRate, _partitions, _capacity, _stallEvery, _shortStallMax, _longStallEvery, _reconnectBase, _reconnectMax, _rejectionDelay })
        {
            Command.Options.Add(option);
        }

        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        using X509Certificate2? ca = result.GetValue(_ca) is FileInfo caFile
            ? X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(caFile.FullName, cancellationToken).ConfigureAwait(false))
            : null;
        TimeSpan interval = TimeSpan.FromSeconds(result.GetValue(_heartbeatInterval));
        TimeSpan grace = TimeSpan.FromSeconds(result.GetValue(_heartbeatGrace));
        (TimeSpan, TimeSpan, TimeSpan)? reconnect = result.GetValue(_reconnectBase) is double baseDelay
            ? (TimeSpan.FromSeconds(baseDelay), TimeSpan.FromSeconds(result.GetValue(_reconnectMax) ?? 30), TimeSpan.FromSeconds(result.GetValue(_rejectionDelay) ?? 5))
            : null;
        var plan = new SoakPlan
        {
            Duration = TimeSpan.Zero, // the parent's business
            Seed = result.GetValue(_seed),
            HeartbeatInterval = interval,
            HeartbeatGrace = grace,
            SignalRate = result.GetValue(_signalRate),
            Strategies = result.GetValue(_strategies) is { Length: > 0 } ids ? ids : [101],
            SampleInterval = TimeSpan.Zero,
            Transport = ca is null ? "ws" : "wss",
            Faults = new SoakFaultSettings(TimeSpan.Zero, interval + grace, TimeSpan.Zero, []),
            ConsumerStallEvery = TimeSpan.FromSeconds(result.GetValue(_stallEvery)),
            ShortStallMax = TimeSpan.FromSeconds(result.GetValue(_shortStallMax)),
            LongStallEvery = result.GetValue(_longStallEvery),
            Partitions = result.GetValue(_partitions),
            Capacity = result.GetValue(_capacity),
            PositionsInterval = TimeSpan.Zero,
            Reconnect = reconnect,
            JudgeFlatness = false,
            Quick = false,
        };
        var client = new SoakClient(new SoakClientSettings { Uri = result.GetValue(_url)!, Ca = ca, Plan = plan }, result.InvocationConfiguration.Output, Console.In);
        return await client.RunAsync(cancellationToken).ConfigureAwait(false);
    }
}
