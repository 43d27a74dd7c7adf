using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using C2Fast.Simulator.Feeds;
using C2Fast.Simulator.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace C2Fast.Simulator;

/// <summary>
/// A local stand-in for the Collective2 API v4 WebSocket server (<c>wss://api4-general.collective2.com/ws</c>),
/// hosted on Kestrel, for tests, demos and benchmarks.
/// </summary>
/// <remarks>
/// <code>
/// await using var sim = new C2Simulator(new C2SimulatorOptions { Strategies = [101], History = 50 });
/// await sim.StartAsync();
/// // connect to sim.Uri with "Authorization: Bearer " + C2SimulatorOptions.DemoApiKey
/// sim.PublishSignal(101);
/// </code>
/// The WebSocket protocol is implemented on the raw upgraded stream (not Kestrel's WebSocket middleware) so that
/// faults (1-byte writes, drops without close) and floods (pre-encoded frames in large batches) are possible.
/// Behaviour follows the protocol contract (<c>src/C2Fast/Protocol/Contract.md</c>); every choice the vendor leaves open is an option of
/// <see cref="C2SimulatorOptions"/>.
/// <para>
/// Like the real server, the simulator can restart and keep its feeds: <see cref="StopAsync"/> then
/// <see cref="StartAsync"/> (or <see cref="RestartAsync"/>) serves the same strategies, seq_ids and replay history
/// on the same port (and with the same CA under TLS), so clients reconnect and resume where they stopped.
/// </para>
/// </remarks>
public sealed class C2Simulator : IAsyncDisposable
{
    private readonly SimulatorCore _core;
    private readonly SemaphoreSlim _lifecycle = new(1, 1); // start, stop and dispose one at a time
    private CancellationTokenSource _shutdown = new();     // one per run: cancelled by its stop
    private WebApplication? _app;
    private X509Certificate2? _serverCertificate;
    private Task _signals = Task.CompletedTask;
    private Task _positions = Task.CompletedTask;
    private int _state; // 0 new, 1 started, 2 stopped (may start again), 3 disposed
    private int _starts;
    private bool _prepared;

    /// <summary>Creates a simulator; nothing listens until <see cref="StartAsync"/>.</summary>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public C2Simulator(C2SimulatorOptions? options = null)
    {
        Options = options ?? new C2SimulatorOptions();
        Options.Validate();
        _core = new SimulatorCore(Options, TimeProvider.System);
        _core.ConnectionEnded = connection => ConnectionEnded?.Invoke(this, connection);
    }

    /// <summary>
    /// Raised once per connection when it has ended (close handshake done, dropped, reset or failed), before its
    /// <see cref="C2SimulatorConnection.Completion"/> completes, on the connection's own thread: keep the handler short.
    /// Its final counters (<see cref="C2SimulatorConnection.HeartbeatsSent"/>, <see cref="C2SimulatorConnection.UnackedHeartbeatAge"/>, …)
    /// are readable then. A handler that throws is counted in <see cref="C2SimulatorCounters.InternalErrors"/>.
    /// </summary>
    public event EventHandler<C2SimulatorConnection>? ConnectionEnded;

    /// <summary>The options this simulator runs with.</summary>
    public C2SimulatorOptions Options { get; }

    /// <summary>The port it listens on (the real one when <see cref="C2SimulatorOptions.Port"/> was 0); 0 before start.</summary>
    /// <remarks>Kept across a stop: a restart binds this port again.</remarks>
    public int Port { get; private set; }

    /// <summary>The endpoint, e.g. <c>ws://127.0.0.1:5123/ws</c> or <c>wss://…</c> with TLS; <see langword="null"/> before start.</summary>
    public Uri? Uri { get; private set; }

    /// <summary>The CA that signed the server certificate, when <see cref="C2SimulatorOptions.UseTls"/> is on.</summary>
    public X509Certificate2? CaCertificate { get; private set; }

    /// <summary>The CA certificate in PEM, for clients that must trust it; <see langword="null"/> without TLS.</summary>
    public string? CaCertificatePem => CaCertificate?.ExportCertificatePem();

    /// <summary>Whether it is listening now (started and not stopped).</summary>
    public bool IsRunning => Volatile.Read(ref _state) == 1;

    /// <summary>How many times it has started: 1 after the first <see cref="StartAsync"/>, one more per restart.</summary>
    public int Starts => Volatile.Read(ref _starts);

    /// <summary>The connections open now.</summary>
    public IReadOnlyList<C2SimulatorConnection> Connections => [.. _core.Connections.Values.OrderBy(c => c.Id)];

    /// <summary>Starts a simulator with <paramref name="options"/> and returns it, listening.</summary>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The started simulator; dispose it to stop.</returns>
    public static async Task<C2Simulator> StartNewAsync(C2SimulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        var simulator = new C2Simulator(options);
        try
        {
            await simulator.StartAsync(cancellationToken).ConfigureAwait(false);
            return simulator;
        }
        catch
        {
            await simulator.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Pre-fills the history, binds Kestrel and starts the automatic publishers; or, after <see cref="StopAsync"/>, starts again.</summary>
    /// <remarks>
    /// A start after a stop is a server restart that keeps its feeds: every strategy keeps its seq_id counter and
    /// replay history (signals published while stopped included, as a real server's feed keeps running), the
    /// history is not pre-filled again, and connection ids, counters and fault switches carry on. It binds the
    /// port of the first start (so clients reconnect to the same <see cref="Uri"/>) and serves the same CA and
    /// server certificate under TLS. Connections of the previous run are gone (see <see cref="StopAsync"/>);
    /// clients must reconnect and resubscribe, with <c>resume_from</c> to get what they missed.
    /// If the port cannot be bound again (another process took it while stopped) the start throws and the
    /// simulator stays stopped.
    /// </remarks>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="InvalidOperationException">Already running.</exception>
    /// <exception cref="ObjectDisposedException">Disposed.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            switch (Volatile.Read(ref _state))
            {
                case 1:
                    throw new InvalidOperationException("The simulator was already started.");
                case 3:
                    throw new ObjectDisposedException(nameof(C2Simulator));
            }

            if (!_prepared)
            {
                // Once per simulator: a restart keeps the history, the seq_ids and the certificates.
                PrefillHistory();
                if (Options.UseTls)
                {
                    (CaCertificate, _serverCertificate) = CertificateFactory.Create();
                }

                _prepared = true;
            }

            // A restart: release the previous run's host (and its port) and its cancelled shutdown token first.
            await DisposeAppAsync().ConfigureAwait(false);
            if (_shutdown.IsCancellationRequested)
            {
                _shutdown.Dispose();
                _shutdown = new CancellationTokenSource();
            }

            WebApplication app = BuildApp(Port != 0 ? Port : Options.Port);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await app.DisposeAsync().ConfigureAwait(false);
                throw; // still new or stopped: a later start may try again
            }

            _app = app;
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            Port = new Uri(address).Port;
            var host = Options.ListenAddress.Equals(IPAddress.Any) ? "127.0.0.1"
                : Options.ListenAddress.Equals(IPAddress.IPv6Any) ? "[::1]"
                : Options.ListenAddress.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Options.ListenAddress}]"
                : Options.ListenAddress.ToString();
            Uri = new Uri($"{(Options.UseTls ? "wss" : "ws")}://{host}:{Port}{Options.Path}");

            _signals = AutoPublisher.RunSignalsAsync(_core, _shutdown.Token);
            _positions = AutoPublisher.RunPositionsAsync(_core, _shutdown.Token);
            Interlocked.Increment(ref _starts);
            Volatile.Write(ref _state, 1);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Restarts the server: <see cref="StopAsync"/> (every connection gets close 1001, then TCP ends), nothing listens
    /// for <paramref name="downtime"/>, then <see cref="StartAsync"/> on the same port with the same feeds and history.
    /// </summary>
    /// <remarks>
    /// Clients see a 1001 close (or, for a connection that cannot take the close handshake, a dropped TCP connection
    /// after <see cref="C2SimulatorOptions.ShutdownTimeout"/>), then refused connections during the downtime.
    /// Signals published during the downtime are kept for replay.
    /// </remarks>
    /// <param name="downtime">How long nothing listens; <see cref="TimeSpan.Zero"/> to start again at once.</param>
    /// <param name="cancellationToken">Cancels the wait and the start (the simulator then stays stopped).</param>
    /// <exception cref="InvalidOperationException">Not running.</exception>
    /// <exception cref="ObjectDisposedException">Disposed.</exception>
    public async Task RestartAsync(TimeSpan downtime, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(downtime, TimeSpan.Zero);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) == 3, this);
        if (Volatile.Read(ref _state) != 1)
        {
            throw new InvalidOperationException("The simulator is not running.");
        }

        await StopAsync(cancellationToken).ConfigureAwait(false);
        await Task.Delay(downtime, cancellationToken).ConfigureAwait(false);
        await StartAsync(cancellationToken).ConfigureAwait(false);
    }

    private void PrefillHistory()
    {
        foreach (var strategyId in Options.Strategies)
        {
            var feed = _core.Feed(strategyId);
            for (var i = 0; i < Options.History; i++)
            {
                feed.PublishSignal();
            }
        }
    }

    private WebApplication BuildApp(int port)
    {
        // An embedded server takes no configuration from where it happens to run: the empty builder reads no
        // appsettings*.json and no environment variables (whose Kestrel section would configure the server), and
        // it watches no directory, which the default and slim builders do, recursively, on a thread of their own.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Configuration.AddInMemoryCollection(); // where the host keeps the settings it is given below
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.WebHost.UseShutdownTimeout(Options.ShutdownTimeout);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Limits.MaxConcurrentUpgradedConnections = null;
            kestrel.Listen(Options.ListenAddress, port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1; // the upgrade is HTTP/1.1 only
                if (_serverCertificate is not null)
                {
                    listen.UseHttps(_serverCertificate);
                }
            });
        });

        var app = builder.Build();
        var handler = new UpgradeHandler(_core, _shutdown.Token);
        app.Run(handler.HandleAsync);
        return app;
    }

    /// <summary>Publishes one generated signal to <paramref name="strategyId"/>: stored in its history and sent to its subscribers.</summary>
    /// <param name="strategyId">A positive strategy id (it need not be in <see cref="C2SimulatorOptions.Strategies"/>).</param>
    /// <returns>The signal's <c>seq_id</c>.</returns>
    public long PublishSignal(long strategyId)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(strategyId);
        return _core.Feed(strategyId).PublishSignal();
    }

    /// <summary>Publishes <paramref name="count"/> generated signals to <paramref name="strategyId"/>.</summary>
    /// <param name="strategyId">A positive strategy id.</param>
    /// <param name="count">How many.</param>
    /// <returns>The last <c>seq_id</c> (the strategy's last one if <paramref name="count"/> is 0).</returns>
    public long PublishSignals(long strategyId, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(strategyId);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var feed = _core.Feed(strategyId);
        var last = feed.LastSeqId;
        for (var i = 0; i < count; i++)
        {
            last = feed.PublishSignal();
        }

        return last;
    }

    /// <summary>Sends the current positions snapshot of <paramref name="strategyId"/> to its <c>strategy.positions</c> subscribers.</summary>
    /// <param name="strategyId">A positive strategy id.</param>
    public void PublishPositions(long strategyId)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(strategyId);
        _core.Feed(strategyId).PublishPositions();
    }

    /// <summary>The last <c>seq_id</c> used by <paramref name="strategyId"/> (<see cref="C2SimulatorOptions.FirstSeqId"/> − 1 before any).</summary>
    /// <param name="strategyId">The strategy.</param>
    /// <returns>The last seq_id.</returns>
    public long GetLastSeqId(long strategyId) => _core.FindFeed(strategyId)?.LastSeqId ?? Options.FirstSeqId - 1;

    /// <summary>
    /// Every <c>gap</c> sent for <paramref name="strategyId"/>, in order: what each declared skipped. A checker uses
    /// it to tell the signals a gap excused from the ones a client lost.
    /// </summary>
    /// <param name="strategyId">The strategy.</param>
    /// <returns>The gaps sent, oldest first; empty when none.</returns>
    public IReadOnlyList<C2SimulatorGap> GetGapsSent(long strategyId) => _core.FindFeed(strategyId)?.GapsSent() ?? [];

    /// <summary>The <c>seq_id</c>s retained for replay, oldest first.</summary>
    /// <param name="strategyId">The strategy.</param>
    /// <returns>The retained seq_ids.</returns>
    public IReadOnlyList<long> GetHistorySeqIds(long strategyId) => _core.FindFeed(strategyId)?.HistorySeqIds() ?? [];

    /// <summary>A snapshot of the counters.</summary>
    /// <returns>The counters now.</returns>
    public C2SimulatorCounters GetCounters() => _core.Stats.Snapshot();

    /// <summary>The heartbeat → <c>heartbeat.ack</c> round trip measured at the server (send time of a heartbeat to receipt of the next ack).</summary>
    /// <returns>Percentiles over every ack so far (up to one million samples).</returns>
    public C2LatencySummary GetHeartbeatRoundTrip() => _core.Stats.RoundTrips();

    /// <summary>
    /// Forgets the round trips measured so far, so that <see cref="GetHeartbeatRoundTrip"/> covers only what follows
    /// (for example a measured phase after a warm-up on the same connection). Heartbeats still waiting for their ack
    /// keep their send times: their round trips are measured when the acks arrive.
    /// </summary>
    public void ClearHeartbeatRoundTrips() => _core.Stats.ClearRoundTrips();

    /// <summary>Sets the faults applied to connections opened from now on (and arms its handshake rejections).</summary>
    /// <param name="plan">The faults; <see cref="C2FaultPlan.None"/> to clear.</param>
    public void SetFaultPlan(C2FaultPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        _core.SetFaultPlan(plan);
    }

    /// <summary>Rejects the next <paramref name="count"/> handshakes with <paramref name="statusCode"/> (429 or 503), whatever their key.</summary>
    /// <param name="count">How many handshakes.</param>
    /// <param name="statusCode">429 (body code RATE_LIMITED) or 503 (SERVICE_UNAVAILABLE).</param>
    public void RejectNextHandshakes(int count, int statusCode = 429)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (statusCode is not (429 or 503))
        {
            throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "Must be 429 or 503.");
        }

        _core.RejectNextHandshakes(count, statusCode);
    }

    /// <summary>Closes every connection with 1001 (going away), waits up to the shutdown timeout, and stops listening.</summary>
    /// <remarks>
    /// While the connections close, new upgrades are rejected with 503 (a server going down accepts no new WebSocket
    /// only to close it at once); after the stop, connections are refused.
    /// Connections that have not finished their close handshake within <see cref="C2SimulatorOptions.ShutdownTimeout"/>
    /// are aborted. The feeds stay: <see cref="PublishSignal"/> still records signals for replay, and
    /// <see cref="StartAsync"/> starts the server again on the same port. Does nothing when not running.
    /// </remarks>
    /// <param name="cancellationToken">Makes the stop abort connections at once.</param>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await StopLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops (see <see cref="StopAsync"/>) and releases everything.</summary>
    /// <returns>A task that completes when the simulator is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _state) == 3)
            {
                return;
            }

            await StopLockedAsync(CancellationToken.None).ConfigureAwait(false);
            Volatile.Write(ref _state, 3);
            await DisposeAppAsync().ConfigureAwait(false);
            _serverCertificate?.Dispose();
            CaCertificate?.Dispose();
            _shutdown.Dispose();
        }
        finally
        {
            _lifecycle.Release();
        }

        // _lifecycle is left undisposed on purpose: a late Start/Stop must see "disposed", not a disposed semaphore.
    }

    private async Task StopLockedAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _state) != 1)
        {
            return;
        }

        Volatile.Write(ref _state, 2);
        await _shutdown.CancelAsync().ConfigureAwait(false);
        await IgnoreCancellation(_signals).ConfigureAwait(false);
        await IgnoreCancellation(_positions).ConfigureAwait(false);
        if (_app is not null)
        {
            // Give clients the close handshake (1001), up to the shutdown timeout; then abort what is left.
            var open = _core.Connections.Values.ToArray();
            await Task.WhenAll(open.Select(c => c.Completion)).WaitAsync(Options.ShutdownTimeout, cancellationToken)
                .ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
            foreach (var connection in open)
            {
                connection.AbortForShutdown();
            }

            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task DisposeAppAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
        }
    }

    private static async Task IgnoreCancellation(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping cancels the publishers.
        }
    }
}
