using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using C2Fast.Simulator;

namespace C2Fast.Cli.Commands;

/// <summary>
/// <c>c2fast demo</c>: the simulator and the client in one process over TLS (the client trusts the
/// simulator's generated CA), heartbeats every second, a few injected disconnects, a status line
/// every second and a summary that checks every published signal was delivered exactly once.
/// </summary>
internal sealed class DemoCommand
{
    private readonly Option<double> _duration = CliParsers.Seconds("--duration", "How long to run", 20);
    private readonly Option<long[]> _strategies = CliParsers.IdList("--strategies", "Strategy ids (default 101,102,103).");
    private readonly Option<int> _rate = new("--signal-rate") { Description = "Signals per second per strategy (default 100).", DefaultValueFactory = _ => 100 };
    private readonly Option<int> _disconnects = new("--disconnects") { Description = "Connections the simulator drops on the way (default 3).", DefaultValueFactory = _ => 3 };

    public DemoCommand()
    {
        Command = new Command("demo", "Run the simulator and the client together over TLS, with injected disconnects, and check the feed end to end.");
        foreach (Option option in new Option[] { _duration, _strategies, _rate, _disconnects })
        {
            Command.Options.Add(option);
        }

        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        TextWriter output = result.InvocationConfiguration.Output;
        TimeSpan duration = TimeSpan.FromSeconds(result.GetValue(_duration));
        long[] strategies = result.GetValue(_strategies) is { Length: > 0 } ids ? ids : [101, 102, 103];
        int rate = Math.Max(1, result.GetValue(_rate));
        int disconnects = Math.Max(0, result.GetValue(_disconnects));

        C2Simulator simulator = await C2Simulator.StartNewAsync(new C2SimulatorOptions
        {
            UseTls = true,
            Strategies = strategies,
            PositionsInterval = TimeSpan.FromSeconds(2),
            HeartbeatInterval = TimeSpan.FromSeconds(1),
            HeartbeatGrace = TimeSpan.FromSeconds(1),
        }, cancellationToken).ConfigureAwait(false);
        await using ConfiguredAsyncDisposable simulatorScope = simulator.ConfigureAwait(false);

        var client = new C2FeedClient(new C2FeedOptions
        {
            Endpoint = simulator.Uri!,
            ApiKey = C2SimulatorOptions.DemoApiKey,
            Connection = new C2ConnectionOptions { TrustedCaCertificate = simulator.CaCertificate },
            Heartbeat = new C2HeartbeatOptions { Interval = TimeSpan.FromSeconds(1), Grace = TimeSpan.FromSeconds(2) },
            Reconnect = new C2ReconnectOptions { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1) },
            Queues = new C2QueueOptions { Partitions = 2 },
        });
        await using ConfiguredAsyncDisposable clientScope = client.ConfigureAwait(false);
        int gaps = 0;
        client.GapDetected += (_, _) => Interlocked.Increment(ref gaps);
        // On a terminal the status is one line redrawn in place; redirected, it is a plain line per second.
        var status = new StatusLine(output, interactive: ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected);
        client.Reconnecting += (_, e) => status.Event($"  reconnecting (attempt {e.Attempt}) after: {e.LastError?.Error}");

        await output.WriteLineAsync($"c2fast demo: simulator on {simulator.Uri} (TLS, own CA), {strategies.Length} strategies × {rate} signals/s, heartbeat every 1 s, {disconnects} injected disconnects, {duration.TotalSeconds:0} s").ConfigureAwait(false);
        await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
        foreach (long strategy in strategies)
        {
            await client.SubscribeAsync(C2Channel.Signal, strategy, cancellationToken: cancellationToken).ConfigureAwait(false);
            await client.SubscribeAsync(C2Channel.Positions, strategy, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        var last = new Dictionary<long, long>();
        long delivered = 0, duplicates = 0, outOfOrder = 0, positions = 0;
        using var stopConsumers = new CancellationTokenSource();
        Task consumers = client.RunConsumersAsync((message, _) =>
        {
            if (message.Type == C2MessageType.Signal && message.StrategyId is long strategy && message.SeqId is long seq)
            {
                lock (last)
                {
                    long previous = last.GetValueOrDefault(strategy);
                    if (seq <= previous)
                    {
                        duplicates++;
                    }
                    else if (previous != 0 && seq != previous + 1)
                    {
                        outOfOrder++;
                    }

                    last[strategy] = Math.Max(previous, seq);
                    delivered++;
                }
            }
            else if (message.Type == C2MessageType.Positions)
            {
                Interlocked.Increment(ref positions);
            }

            return ValueTask.CompletedTask;
        }, stopConsumers.Token);

        // Publish at the chosen rate, drop connections on the way, print a status line every second.
        var clock = Stopwatch.StartNew();
        TimeSpan publishFor = duration - TimeSpan.FromSeconds(Math.Min(2, duration.TotalSeconds / 4));
        int dropped = 0;
        long published = 0;
        TimeSpan nextStatus = TimeSpan.FromSeconds(1);
        long lastReceived = 0;
        while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
        {
            if (clock.Elapsed < publishFor)
            {
                long due = (long)(clock.Elapsed.TotalSeconds * rate);
                for (; published < due; published++)
                {
                    foreach (long strategy in strategies)
                    {
                        simulator.PublishSignal(strategy);
                    }
                }

                // Only a live, subscribed connection is dropped: an injection during a reconnect would hit nothing.
                if (dropped < disconnects && clock.Elapsed > publishFor * (dropped + 1) / (disconnects + 1)
                    && simulator.Connections.LastOrDefault(c => !c.Completion.IsCompleted && c.SubscriptionCount > 0) is { } live)
                {
                    live.Drop();
                    dropped++;
                    status.Event($"  injected disconnect {dropped}/{disconnects} (TCP dropped, no close frame)");
                }
            }

            if (clock.Elapsed >= nextStatus)
            {
                C2FeedStatistics stats = client.GetStatistics();
                C2LatencySummary acks = simulator.GetHeartbeatRoundTrip();
                status.Update(string.Create(CultureInfo.InvariantCulture,
                    $"  {clock.Elapsed.TotalSeconds,5:0}s  {stats.MessagesReceived - lastReceived,7} msg/s  signals {Interlocked.Read(ref delivered),8}  heartbeats acked {stats.HeartbeatsAcknowledged,3} (p50 {acks.P50.TotalMilliseconds:0.0} ms)  queue {stats.QueuedMessages,5}  drops {stats.MessagesDropped}  reconnects {stats.Reconnects}"));
                lastReceived = stats.MessagesReceived;
                nextStatus += TimeSpan.FromSeconds(1);
            }

            await Task.Delay(5, CancellationToken.None).ConfigureAwait(false);
        }

        status.Finish();
        long expected = strategies.Sum(simulator.GetLastSeqId);
        C2FeedStatistics final = client.GetStatistics();
        C2LatencySummary rtt = simulator.GetHeartbeatRoundTrip();
        await client.CloseAsync(CancellationToken.None).ConfigureAwait(false);
        await consumers.ConfigureAwait(false);

        bool ok = delivered == expected && duplicates == 0 && outOfOrder == 0 && final.MessagesDropped == 0;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"""

            summary
              signals published      {expected,10}
              signals delivered      {delivered,10}
              duplicates             {duplicates,10}
              out of order           {outOfOrder,10}
              position snapshots     {positions,10}
              gaps                   {gaps,10}
              reconnects             {final.Reconnects,10}
              duplicates discarded   {final.DuplicatesDiscarded,10}  (replays overlapping live delivery)
              heartbeats acked       {final.HeartbeatsAcknowledged,10}
              ack round trip (server-measured, {rtt.Count} acks)  p50 {rtt.P50.TotalMilliseconds:0.###} ms  p99 {rtt.P99.TotalMilliseconds:0.###} ms  max {rtt.Max.TotalMilliseconds:0.###} ms
              result                 {(ok ? "OK: every signal exactly once, in order" : "FAILED")}
            """)).ConfigureAwait(false);
        return ok ? 0 : 1;
    }

    /// <summary>The demo's progress output: a line redrawn in place on a terminal, plain lines otherwise.</summary>
    private sealed class StatusLine(TextWriter output, bool interactive)
    {
        private readonly Lock _gate = new();
        private int _shown;

        /// <summary>Shows the current status.</summary>
        public void Update(string line)
        {
            lock (_gate)
            {
                if (interactive)
                {
                    output.Write('\r' + line.PadRight(_shown));
                    _shown = line.Length;
                }
                else
                {
                    output.WriteLine(line);
                }

                output.Flush();
            }
        }

        /// <summary>Prints an event on its own line (above the status line on a terminal).</summary>
        public void Event(string line)
        {
            lock (_gate)
            {
                if (interactive && _shown > 0)
                {
                    output.Write('\r' + new string(' ', _shown) + '\r');
                    _shown = 0;
                }

                output.WriteLine(line);
                output.Flush();
            }
        }

        /// <summary>Leaves the last status on screen and moves to a new line.</summary>
        public void Finish()
        {
            lock (_gate)
            {
                if (interactive && _shown > 0)
                {
                    output.WriteLine();
                    _shown = 0;
                }
            }
        }
    }
}
