using System.CommandLine;
using System.Text.Json;
using C2Fast.Cli.Bench;
using Spectre.Console;

namespace C2Fast.Cli.Commands;

/// <summary>
/// <c>c2fast bench</c>: an end-to-end loopback benchmark. The simulator's flood sends the same pre-encoded stream to
/// each client in turn (C2Fast, ClientWebSocket + System.Text.Json, ClientWebSocket + Utf8JsonReader, Websocket.Client,
/// the vendor's python loop, a raw socket drain), over several rounds in alternating order, for three message mixes
/// over ws and wss; then heartbeat round trips idle, under flood, and with a stalled C2Fast consumer.
/// </summary>
/// <remarks>
/// Every .NET client runs in a fresh child process (<c>c2fast bench-client</c>) so its working set and GC counts are its
/// own; the simulator runs here. Exit codes: 0 every run received everything; 1 some run FAILED (listed); 2 usage.
/// </remarks>
internal sealed class BenchCommand
{
    private readonly Option<long?> _messages = new("--messages") { Description = "Messages per client per round, every mix (default: small/typical 1,000,000, large 100,000; --quick 10,000 / 1,000)." };
    private readonly Option<int?> _rounds = new("--rounds") { Description = "Rounds; the client order rotates each round and reverses on odd ones (default 3, --quick 1)." };
    private readonly Option<string> _mix = new("--mix") { Description = "small, typical, large or all (default all).", DefaultValueFactory = _ => "all" };
    private readonly Option<string> _transport = new("--transport") { Description = "ws, wss or all (default all).", DefaultValueFactory = _ => "all" };
    private readonly Option<string> _clients = new("--clients") { Description = $"Comma-separated clients (default all: {string.Join(',', BenchClients.All.Select(BenchClients.Name))})." };
    private readonly Option<string> _receiveThread = new("--c2fast-receive-thread") { Description = "C2Fast's DedicatedReceiveThread in every C2Fast run: on (default) or off, for an A/B of the receive path.", DefaultValueFactory = _ => "on" };
    private readonly Option<bool> _quick = new("--quick") { Description = "Tiny counts, one round, every client: a smoke run (under a minute)." };
    private readonly Option<FileInfo?> _json = new("--json") { Description = "Also write every figure, the runs and the machine to this JSON file." };
    private readonly Option<FileInfo?> _chart = new("--chart") { Description = "Also draw messages/s per client, by mix, ws and wss, to this .png or .svg (redraw a saved --json with `c2fast bench-chart`)." };

    public BenchCommand()
    {
        Command = new Command("bench", "End-to-end loopback benchmark of C2Fast against ClientWebSocket, Websocket.Client, the vendor's python loop and a raw drain.");
        foreach (Option option in new Option[] { _messages, _rounds, _mix, _transport, _clients, _receiveThread, _quick, _json, _chart })
        {
            Command.Options.Add(option);
        }

        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    /// <summary>The plan from the options, or the usage error.</summary>
    internal (BenchPlan? Plan, string? Error) ToPlan(ParseResult result, string? python, string pythonStatus, string commandLine)
    {
        bool quick = result.GetValue(_quick);
        string mix = result.GetValue(_mix) ?? "all";
        string transport = result.GetValue(_transport) ?? "all";
        List<BenchMix> mixes = [];
        if (mix == "all")
        {
            mixes.AddRange(BenchMixes.All);
        }
        else if (BenchMixes.TryParse(mix, out BenchMix one))
        {
            mixes.Add(one);
        }
        else
        {
            return (null, $"--mix must be small, typical, large or all, not '{mix}'.");
        }

        if (transport is not ("ws" or "wss" or "all"))
        {
            return (null, $"--transport must be ws, wss or all, not '{transport}'.");
        }

        List<BenchClientKind> clients = [];
        foreach (string name in (result.GetValue(_clients) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!BenchClients.TryParse(name, out BenchClientKind kind))
            {
                return (null, $"--clients: unknown client '{name}' (known: {string.Join(", ", BenchClients.All.Select(BenchClients.Name))}).");
            }

            if (!clients.Contains(kind))
            {
                clients.Add(kind);
            }
        }

        if (result.GetValue(_chart) is FileInfo chart && !BenchChart.IsSupported(chart.Name))
        {
            return (null, $"--chart must end in .png or .svg, not '{chart.Name}'.");
        }

        string receiveThread = result.GetValue(_receiveThread) ?? "on";
        if (receiveThread is not ("on" or "off"))
        {
            return (null, $"--c2fast-receive-thread must be on or off, not '{receiveThread}'.");
        }

        int rounds = result.GetValue(_rounds) ?? (quick ? 1 : 3);
        long? messages = result.GetValue(_messages);
        if (rounds < 1 || messages is < 10)
        {
            return (null, "--rounds must be at least 1 and --messages at least 10.");
        }

        return (new BenchPlan
        {
            Clients = quick || clients.Count == 0 ? BenchClients.All : clients,
            Mixes = mixes,
            Transports = transport == "all" ? ["ws", "wss"] : [transport],
            Rounds = rounds,
            Quick = quick,
            C2FastReceiveThread = receiveThread == "on",
            Messages = messages,
            Python = python,
            PythonStatus = pythonStatus,
            CommandLine = commandLine,
        }, null);
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        TextWriter output = result.InvocationConfiguration.Output;
        TextWriter error = result.InvocationConfiguration.Error;
        (string? python, string pythonStatus) = await BenchScript.FindPythonAsync(cancellationToken).ConfigureAwait(false);
        string commandLine = "c2fast " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
        (BenchPlan? plan, string? usage) = ToPlan(result, python, pythonStatus, commandLine);
        if (plan is null)
        {
            await error.WriteLineAsync("c2fast bench: " + usage).ConfigureAwait(false);
            return 2;
        }

        string scripts = Directory.CreateTempSubdirectory("c2fast-bench-").FullName;
        try
        {
            await BenchScript.ExtractAsync(scripts, cancellationToken).ConfigureAwait(false);
            await error.WriteLineAsync($"c2fast bench: {plan.Clients.Count} clients × {plan.Mixes.Count} mixes × {plan.Transports.Count} transports × {plan.Rounds} round(s); python: {(python is null ? "skipped (" + pythonStatus + ")" : pythonStatus)}").ConfigureAwait(false);
            BenchReport report = await new BenchRunner(plan, error, scripts).RunAsync(cancellationToken).ConfigureAwait(false);

            if (result.GetValue(_json) is FileInfo json)
            {
                await File.WriteAllTextAsync(json.FullName, JsonSerializer.Serialize(report, BenchJson.Indented.BenchReport) + "\n", cancellationToken).ConfigureAwait(false);
                await error.WriteLineAsync($"c2fast bench: JSON written to {json.FullName}").ConfigureAwait(false);
            }

            if (result.GetValue(_chart) is FileInfo chart)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                BenchChart.Save(report, chart.FullName);
                await error.WriteLineAsync($"c2fast bench: chart written to {chart.FullName} ({clock.Elapsed.TotalSeconds:0.00} s)").ConfigureAwait(false);
                if (BenchChart.NoFonts)
                {
                    await error.WriteLineAsync("c2fast bench: " + BenchChart.NoFontsHint).ConfigureAwait(false);
                }

            }

            if (Console.IsOutputRedirected || !ReferenceEquals(output, Console.Out))
            {
                await output.WriteAsync(BenchTable.Plain(report)).ConfigureAwait(false);
            }
            else
            {
                BenchTable.Fancy(report, AnsiConsole.Console);
            }

            if (report.Failures.Count > 0)
            {
                await error.WriteLineAsync($"c2fast bench: {report.Failures.Count} run(s) FAILED:").ConfigureAwait(false);
                foreach (string failure in report.Failures)
                {
                    await error.WriteLineAsync("  " + failure).ConfigureAwait(false);
                }

                return 1;
            }

            return 0;
        }
        finally
        {
            Directory.Delete(scripts, recursive: true);
        }
    }
}
