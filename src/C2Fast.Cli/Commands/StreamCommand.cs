using System.CommandLine;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace C2Fast.Cli.Commands;

/// <summary>
/// <c>c2fast stream</c>: connects to a C2 feed, subscribes, and prints every delivered
/// <c>strategy.signal</c> / <c>strategy.positions</c> message to stdout as one NDJSON line,
/// byte for byte as received except for line breaks between tokens, which are left out. Gaps, errors and status go
/// to stderr.
/// </summary>
/// <remarks>
/// Exit codes: 0 done (also a normal close 1000 by the server under --no-reconnect), 2 usage, 3 authentication or
/// authorization rejected (401/403), 4 rejected (429/503/close 1008), 5 protocol violation by the server, 6 network
/// failure (also: stopped before the first connection was up).
/// stdout is written in batches (flushed whenever the queue runs dry and at exit, also on
/// Ctrl+C), never line by line.
/// </remarks>
internal sealed class StreamCommand
{
    public const int ExitOk = 0;
    public const int ExitUsage = 2;
    public const int ExitAuthentication = 3;
    public const int ExitRejected = 4;
    public const int ExitProtocol = 5;
    public const int ExitNetwork = 6;

    private readonly Option<long[]> _strategies = CliParsers.IdList("--strategy", "Strategy id(s) to subscribe to, comma-separated (required).");
    private readonly Option<string> _channel = new("--channel") { Description = "signal, positions or both (default signal).", DefaultValueFactory = _ => "signal" };
    private readonly Option<Uri> _url = new("--url") { Description = $"Feed endpoint (default {C2FeedOptions.DefaultEndpoint}).", DefaultValueFactory = _ => C2FeedOptions.DefaultEndpoint, CustomParser = r => new Uri(r.Tokens[0].Value) };
    private readonly Option<long?> _resumeFrom = new("--resume-from") { Description = "Last seq_id already processed: the server replays later signals." };
    private readonly Option<long?> _maxMessages = new("--max-messages") { Description = "Stop after printing N messages." };
    private readonly Option<double?> _duration = new("--duration") { Description = "Stop after S seconds." };
    private readonly Option<FileInfo?> _caFile = new("--ca-file") { Description = "Also trust this CA certificate (PEM), e.g. the one `c2fast simulate --tls` prints." };
    private readonly Option<double?> _heartbeatTimeout = new("--heartbeat-timeout") { Description = "Treat the connection as dead after S seconds without a complete frame (default 40)." };
    private readonly Option<int?> _maxMessageSize = new("--max-message-size") { Description = "Largest message accepted, in bytes (default 16 MiB)." };
    private readonly Option<FileInfo?> _apiKeyFile = new("--api-key-file") { Description = "Read the API key from this file instead of the C2_API_KEY environment variable." };
    private readonly Option<bool> _noReconnect = new("--no-reconnect") { Description = "End on the first lost connection instead of reconnecting." };
    private readonly Option<int> _maxRetries = new("--max-retries") { Description = "Consecutive failed reconnect attempts before giving up (default 10).", DefaultValueFactory = _ => 10 };
    private readonly Option<FileInfo?> _checkpoint = new("--checkpoint") { Description = "Keep the last printed seq_id per strategy in FILE, so a restart resumes after it." };

    public StreamCommand()
    {
        Command = new Command("stream", "Stream signals and positions of C2 strategies to stdout as NDJSON (API key from C2_API_KEY).");
        foreach (Option option in new Option[] { _strategies, _channel, _url, _resumeFrom, _maxMessages, _duration, _caFile, _heartbeatTimeout, _maxMessageSize, _apiKeyFile, _noReconnect, _maxRetries, _checkpoint })
        {
            Command.Options.Add(option);
        }

        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    /// <summary>Maps a failure to the documented exit code.</summary>
    public static int ExitCodeOf(C2FeedException ex) => ex.Error switch
    {
        C2FeedError.AuthenticationFailed => ExitAuthentication,
        C2FeedError.ServerError when ex.ServerCode is "FORBIDDEN" or "UNAUTHORIZED" => ExitAuthentication,
        C2FeedError.ConnectionRejected => ExitRejected,
        C2FeedError.ConnectionClosed when ex.CloseStatus == 1008 => ExitRejected,
        C2FeedError.ProtocolViolation or C2FeedError.InvalidUtf8 or C2FeedError.MessageTooBig or C2FeedError.InvalidHandshake or C2FeedError.ServerError => ExitProtocol,
        _ => ExitNetwork,
    };

    /// <summary>
    /// Writes one message as one NDJSON line. A line break in valid JSON can only be whitespace between tokens (inside
    /// a string it is escaped), so CR and LF bytes are left out: the line is the same JSON, byte for byte otherwise.
    /// </summary>
    internal static void WriteLine(Stream output, ReadOnlySpan<byte> json)
    {
        int at;
        while ((at = json.IndexOfAny((byte)'\n', (byte)'\r')) >= 0)
        {
            output.Write(json[..at]);
            json = json[(at + 1)..];
        }

        output.Write(json);
        output.WriteByte((byte)'\n');
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        TextWriter error = result.InvocationConfiguration.Error;
        long[] strategies = result.GetValue(_strategies) ?? [];
        string channel = result.GetValue(_channel) ?? "signal";
        if (strategies.Length == 0 || channel is not ("signal" or "positions" or "both"))
        {
            await error.WriteLineAsync("c2fast stream: give --strategy ID[,ID…] and --channel signal|positions|both.").ConfigureAwait(false);
            return ExitUsage;
        }

        string? apiKey = result.GetValue(_apiKeyFile) is FileInfo keyFile
            ? (await File.ReadAllTextAsync(keyFile.FullName, cancellationToken).ConfigureAwait(false)).Trim()
            : Environment.GetEnvironmentVariable("C2_API_KEY");
        if (string.IsNullOrWhiteSpace(apiKey))
        {
            await error.WriteLineAsync("""
                c2fast stream: no API key. Set C2_API_KEY (or pass --api-key-file FILE).
                  A key comes with a Collective2 account (collective2.com, API settings).
                  Without one, run the local simulator and stream from it:
                    dotnet run --project src/C2Fast.Cli -- simulate --strategies 101 --port 5080
                    C2_API_KEY=c2fast-demo-key dotnet run --project src/C2Fast.Cli -- stream --url ws://127.0.0.1:5080/ws --strategy 101
                """).ConfigureAwait(false);
            return ExitUsage;
        }

        C2FeedOptions options;
        try
        {
            X509Certificate2? ca = result.GetValue(_caFile) is FileInfo caFile ? X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(caFile.FullName, cancellationToken).ConfigureAwait(false)) : null;
            options = new C2FeedOptions
            {
                Endpoint = result.GetValue(_url)!,
                ApiKey = apiKey,
                Connection = new C2ConnectionOptions
                {
                    TrustedCaCertificate = ca,
                    MaxMessageSize = result.GetValue(_maxMessageSize) ?? 16 * 1024 * 1024,
                },
                Heartbeat = new C2HeartbeatOptions
                {
                    Interval = result.GetValue(_heartbeatTimeout) is double s ? TimeSpan.FromSeconds(s) : TimeSpan.FromSeconds(30),
                    Grace = result.GetValue(_heartbeatTimeout) is null ? TimeSpan.FromSeconds(10) : TimeSpan.Zero,
                },
                Reconnect = new C2ReconnectOptions
                {
                    Enabled = !result.GetValue(_noReconnect),
                    MaxAttempts = Math.Max(1, result.GetValue(_maxRetries)),
                },
                CheckpointStore = result.GetValue(_checkpoint) is FileInfo checkpoint ? new C2FileCheckpointStore(checkpoint.FullName) : null,
            };
            options.Validate();
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or CryptographicException or UriFormatException)
        {
            await error.WriteLineAsync($"c2fast stream: {ex.Message}").ConfigureAwait(false);
            return ExitUsage;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        if (result.GetValue(_duration) is double duration)
        {
            stop.CancelAfter(TimeSpan.FromSeconds(duration));
        }

        var client = new C2FeedClient(options);
        await using ConfiguredAsyncDisposable clientScope = client.ConfigureAwait(false);
        client.GapDetected += (_, e) => error.WriteLine($"gap strategy={e.StrategyId} from={e.Gap.From} channel={e.Gap.Channel}: {e.Gap.Message}");
        client.ServerError += (_, e) => error.WriteLine($"error {string.Join("; ", e.Errors.Select(x => $"{x.Code} {x.Field} {x.Message}"))}");
        client.ProtocolError += (_, e) => error.WriteLine($"protocol-error {e.Reason} ({e.RawMessage.Length} bytes)");
        client.MessagesDropped += (_, e) => error.WriteLine($"dropped {e.TotalDropped}");
        client.Reconnecting += (_, e) => error.WriteLine($"reconnecting (attempt {e.Attempt}, in {e.Delay.TotalSeconds:0.###} s) after: {e.LastError?.Message}");

        Stream stdout = Console.OpenStandardOutput();
        var output = new BufferedStream(stdout, 64 * 1024);
        await using ConfiguredAsyncDisposable outputScope = output.ConfigureAwait(false);
        long printed = 0;
        long max = result.GetValue(_maxMessages) ?? long.MaxValue;
        bool connected = false;
        try
        {
            await client.ConnectAsync(stop.Token).ConfigureAwait(false);
            connected = true;
            await error.WriteLineAsync($"connected to {options.Endpoint}").ConfigureAwait(false);
            long? resumeFrom = result.GetValue(_resumeFrom);
            foreach (long strategy in strategies)
            {
                if (channel is "signal" or "both")
                {
                    await client.SubscribeAsync(C2Channel.Signal, strategy, resumeFrom, stop.Token).ConfigureAwait(false);
                }

                if (channel is "positions" or "both")
                {
                    await client.SubscribeAsync(C2Channel.Positions, strategy, cancellationToken: stop.Token).ConfigureAwait(false);
                }
            }

            await error.WriteLineAsync($"subscribed to {strategies.Length} strateg{(strategies.Length == 1 ? "y" : "ies")} ({channel})").ConfigureAwait(false);
            ChannelReader<C2FeedMessage> messages = client.Partitions[0];
            var batch = new List<C2FeedMessage>(1024);
            while (printed < max && await messages.WaitToReadAsync(stop.Token).ConfigureAwait(false))
            {
                // A strategy's first signal anchors its checkpoint (seq - 1): make that durable before
                // anything is printed, so a kill before the first commit is saved still resumes here.
                await client.SaveCheckpointsAsync(CancellationToken.None).ConfigureAwait(false);
                while (printed < max && batch.Count < 4096 && messages.TryRead(out C2FeedMessage message))
                {
                    batch.Add(message);
                    if (message.Type is C2MessageType.Signal or C2MessageType.Positions)
                    {
                        WriteLine(output, message.Json.Span);
                        printed++;
                    }
                }

                // The queue ran dry (or the batch is full): push the batch out, and only then release
                // the leases, which is what moves the checkpoint: nothing counts as done before it is on stdout.
                await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                foreach (C2FeedMessage done in batch)
                {
                    done.Dispose();
                }

                batch.Clear();
                await client.SaveCheckpointsAsync(CancellationToken.None).ConfigureAwait(false);
            }

            if (printed >= max || stop.IsCancellationRequested)
            {
                return ExitOk;
            }

            await client.Completion.ConfigureAwait(false);
            return ExitOk;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            if (!connected)
            {
                // Stopped (--duration, Ctrl+C) before the first connection was up: nothing could be streamed.
                await error.WriteLineAsync($"c2fast stream: stopped before a connection to {options.Endpoint} was established.").ConfigureAwait(false);
                return ExitNetwork;
            }

            return ExitOk;
        }
        catch (C2FeedException ex) when (!options.Reconnect.Enabled && ex.Error == C2FeedError.ConnectionClosed && ex.CloseStatus == 1000)
        {
            // --no-reconnect: the server ended the stream with a normal close; nothing failed.
            await error.WriteLineAsync("c2fast stream: the server closed the stream normally (1000).").ConfigureAwait(false);
            return ExitOk;
        }
        catch (C2FeedException ex)
        {
            await error.WriteLineAsync($"c2fast stream: {ex.Message}").ConfigureAwait(false);
            return ExitCodeOf(ex);
        }
        finally
        {
            await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            await error.WriteLineAsync($"printed {printed} message(s)").ConfigureAwait(false);
        }
    }
}
