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
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

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
/// Behaviour follows <c>shared/c2-protocol.md</c>; every choice the vendor leaves open is an option of
/// <see cref="C2SimulatorOptions"/>.
/// </remarks>
public sealed class C2Simulator : IAsyncDisposable
{
    private readonly SimulatorCore _core;
    private readonly CancellationTokenSource _shutdown = new();
    private WebApplication? _app;
    private Task _signals = Task.CompletedTask;
    private Task _positions = Task.CompletedTask;
    private int _state; // 0 new, 1 started, 2 stopped

    /// <summary>Creates a simulator; nothing listens until <see cref="StartAsync"/>.</summary>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public C2Simulator(C2SimulatorOptions? options = null)
    {
        Options = options ?? new C2SimulatorOptions();
        Options.Validate();
        _core = new SimulatorCore(Options, TimeProvider.System);
    }

    /// <summary>The options this simulator runs with.</summary>
    public C2SimulatorOptions Options { get; }

    /// <summary>The port it listens on (the real one when <see cref="C2SimulatorOptions.Port"/> was 0); 0 before start.</summary>
    public int Port { get; private set; }

    /// <summary>The endpoint, e.g. <c>ws://127.0.0.1:5123/ws</c> or <c>wss://…</c> with TLS; <see langword="null"/> before start.</summary>
    public Uri? Uri { get; private set; }

    /// <summary>The CA that signed the server certificate, when <see cref="C2SimulatorOptions.UseTls"/> is on.</summary>
    public X509Certificate2? CaCertificate { get; private set; }

    /// <summary>The CA certificate in PEM, for clients that must trust it; <see langword="null"/> without TLS.</summary>
    public string? CaCertificatePem => CaCertificate?.ExportCertificatePem();

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

    /// <summary>Pre-fills the history, binds Kestrel and starts the automatic publishers.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The simulator was already started.");
        }

        foreach (var strategyId in Options.Strategies)
        {
            var feed = _core.Feed(strategyId);
            for (var i = 0; i < Options.History; i++)
            {
                feed.PublishSignal();
            }
        }

        X509Certificate2? serverCertificate = null;
        if (Options.UseTls)
        {
            (CaCertificate, serverCertificate) = CertificateFactory.Create();
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.WebHost.UseShutdownTimeout(Options.ShutdownTimeout);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Limits.MaxConcurrentUpgradedConnections = null;
            kestrel.Listen(Options.ListenAddress, Options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1; // the upgrade is HTTP/1.1 only
                if (serverCertificate is not null)
                {
                    listen.UseHttps(serverCertificate);
                }
            });
        });

        var app = builder.Build();
        var handler = new UpgradeHandler(_core, _shutdown.Token);
        app.Run(handler.HandleAsync);
        _app = app;
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
        var host = Options.ListenAddress.Equals(IPAddress.Any) ? "127.0.0.1"
            : Options.ListenAddress.Equals(IPAddress.IPv6Any) ? "[::1]"
            : Options.ListenAddress.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Options.ListenAddress}]"
            : Options.ListenAddress.ToString();
        Uri = new Uri($"{(Options.UseTls ? "wss" : "ws")}://{host}:{Port}{Options.Path}");

        _signals = AutoPublisher.RunSignalsAsync(_core, _shutdown.Token);
        _positions = AutoPublisher.RunPositionsAsync(_core, _shutdown.Token);
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
    /// <param name="cancellationToken">Makes the stop abort connections at once.</param>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return;
        }

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

    /// <summary>Stops (see <see cref="StopAsync"/>) and releases everything.</summary>
    /// <returns>A task that completes when the simulator is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _state = 2;
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
        }

        CaCertificate?.Dispose();
        _shutdown.Dispose();
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
