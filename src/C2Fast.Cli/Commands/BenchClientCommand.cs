using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using C2Fast.Cli.Bench;
using C2Fast.Cli.Bench.Clients;
using C2Fast.Simulator;

namespace C2Fast.Cli.Commands;

/// <summary>
/// <c>c2fast bench-client</c> (hidden): one bench client in a process of its own, so its working set and GC counts are
/// its own. Prints <c>READY</c> once connected, <c>WARM</c> after a stall run's warm-up, then <c>RESULT {json}</c>; exit code 0 only if it received everything.
/// </summary>
internal sealed class BenchClientCommand
{
    private readonly Option<string> _client = new("--client") { Description = "c2fast, c2fast-inline, cws-stj, cws-reader, websocket-client or raw.", Required = true };
    private readonly Option<Uri> _url = new("--url") { Description = "The simulator endpoint.", Required = true, CustomParser = r => new Uri(r.Tokens[0].Value) };
    private readonly Option<FileInfo?> _ca = new("--ca") { Description = "The simulator's CA (PEM) for wss." };
    private readonly Option<string> _apiKey = new("--api-key") { Description = "API key.", DefaultValueFactory = _ => C2SimulatorOptions.DemoApiKey };
    private readonly Option<string> _mode = new("--mode") { Description = "flood, idle or stall.", DefaultValueFactory = _ => "flood" };
    private readonly Option<long> _messages = new("--messages") { Description = "Messages expected after connection.connected (heartbeats included).", Required = true };
    private readonly Option<long> _heartbeats = new("--heartbeats") { Description = "Of which heartbeats.", DefaultValueFactory = _ => 0 };
    private readonly Option<long> _bytes = new("--bytes") { Description = "Frame bytes expected (the raw drain).", DefaultValueFactory = _ => 0 };
    private readonly Option<long?> _budget = new("--budget") { Description = "C2Fast MaxBufferedBytes (default: the library's)." };
    private readonly Option<string> _receiveThread = new("--receive-thread") { Description = "C2Fast DedicatedReceiveThread: on (the default) or off.", DefaultValueFactory = _ => "on" };
    private readonly Option<double> _stallHold = new("--stall-hold") { Description = "Stall mode: seconds to keep not reading after the pause.", DefaultValueFactory = _ => 2 };
    private readonly Option<long> _warmupMessages = new("--warmup-messages") { Description = "Stall mode: messages of a warm-up flood read at full speed before the stalled one (heartbeats included; default 0).", DefaultValueFactory = _ => 0 };
    private readonly Option<long> _warmupHeartbeats = new("--warmup-heartbeats") { Description = "Stall mode: of the warm-up messages, heartbeats.", DefaultValueFactory = _ => 0 };
    private readonly Option<double> _timeout = new("--timeout") { Description = "Give up after this many seconds.", DefaultValueFactory = _ => 600 };

    public BenchClientCommand()
    {
        Command = new Command("bench-client", "One client of `c2fast bench`, run in its own process (internal).") { Hidden = true };
        foreach (Option option in new Option[] { _client, _url, _ca, _apiKey, _mode, _messages, _heartbeats, _bytes, _budget, _receiveThread, _stallHold, _warmupMessages, _warmupHeartbeats, _timeout })
        {
            Command.Options.Add(option);
        }

        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        TextWriter output = result.InvocationConfiguration.Output;
        TextWriter error = result.InvocationConfiguration.Error;
        string name = result.GetValue(_client)!;
        if (!BenchClients.TryParse(name, out BenchClientKind kind) || kind == BenchClientKind.Python
            || !Enum.TryParse(result.GetValue(_mode), ignoreCase: true, out BenchClientMode mode))
        {
            await error.WriteLineAsync($"bench-client: unknown client '{name}' or mode '{result.GetValue(_mode)}'.").ConfigureAwait(false);
            return 2;
        }

        using X509Certificate2? ca = result.GetValue(_ca) is FileInfo caFile
            ? X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(caFile.FullName, cancellationToken).ConfigureAwait(false))
            : null;
        var args = new BenchClientArgs
        {
            Client = kind,
            Uri = result.GetValue(_url)!,
            ApiKey = result.GetValue(_apiKey)!,
            Ca = ca,
            Mode = mode,
            Messages = result.GetValue(_messages),
            Heartbeats = result.GetValue(_heartbeats),
            Bytes = result.GetValue(_bytes),
            BudgetBytes = result.GetValue(_budget),
            ReceiveThread = result.GetValue(_receiveThread) != "off",
            StallHoldSeconds = result.GetValue(_stallHold),
            WarmupMessages = result.GetValue(_warmupMessages),
            WarmupHeartbeats = result.GetValue(_warmupHeartbeats),
            WarmedUp = async () =>
            {
                await output.WriteLineAsync("WARM").ConfigureAwait(false);
                await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            },
        };
        IBenchClient client = kind switch
        {
            BenchClientKind.C2Fast => new C2FastBenchClient(),
            BenchClientKind.C2FastInline => new C2FastBenchClient(inline: true),
            BenchClientKind.ClientWebSocketStj => new ClientWebSocketStjClient(),
            BenchClientKind.ClientWebSocketReader => new ClientWebSocketReaderClient(),
            BenchClientKind.WebsocketClient => new WebsocketClientBenchClient(),
            _ => new RawDrainClient(),
        };

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(result.GetValue(_timeout)));
        var progress = new BenchProgress();
        BenchClientResult outcome;
        try
        {
            outcome = await client.RunAsync(args, async () =>
            {
                await output.WriteLineAsync("READY").ConfigureAwait(false);
                await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }, progress, timeout.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Whatever failed, the parent gets a RESULT line with the reason and the counts so far.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            string reason = ex is OperationCanceledException && timeout.IsCancellationRequested ? "timed out" : $"{ex.GetType().Name}: {ex.Message}";
            outcome = new BenchClientResult
            {
                Client = BenchClients.Name(kind),
                Status = $"{reason} after {Volatile.Read(ref progress.Messages)} messages / {Volatile.Read(ref progress.Bytes)} bytes",
                Messages = Volatile.Read(ref progress.Messages),
                Bytes = Volatile.Read(ref progress.Bytes),
            };
        }

        await output.WriteLineAsync("RESULT " + JsonSerializer.Serialize(outcome, BenchJson.Default.BenchClientResult)).ConfigureAwait(false);
        await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return outcome.Status == "ok" ? 0 : 1;
    }
}
