using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using C2Fast.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>
/// An in-process Kestrel listener on 127.0.0.1:0 (ws, or wss with <see cref="TestCertificates"/>)
/// that does no HTTP at all: Kestrel's connection middleware hands each raw connection (after
/// TLS) to a <see cref="RawPeer"/>, which reads the request head and then runs the test's handler.
/// The handler chooses the handshake response and writes/reads raw bytes. When the handler
/// returns, the connection is closed (FIN).
/// </summary>
internal sealed class RawKestrelServer : IAsyncDisposable
{
    private static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(10);

    private readonly Func<RawPeer, Task> _handler;
    private readonly List<Task> _connections = [];
    private readonly List<Exception> _errors = [];
    private readonly Lock _gate = new();
    private WebApplication? _app;
    private volatile bool _stopping;

    private RawKestrelServer(Func<RawPeer, Task> handler, bool isTls)
    {
        _handler = handler;
        IsTls = isTls;
    }

    public bool IsTls { get; }

    public int Port { get; private set; }

    /// <summary><c>ws://127.0.0.1:port/</c> or <c>wss://127.0.0.1:port/</c>.</summary>
    public Uri BaseUri { get; private set; } = null!;

    /// <summary>Connections accepted so far (after TLS, whether or not a request head arrived).</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_gate)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>Exceptions thrown by handlers (and request heads that never arrived) so far.</summary>
    public IReadOnlyList<Exception> HandlerErrors
    {
        get
        {
            lock (_gate)
            {
                return _errors.ToArray();
            }
        }
    }

    /// <summary>
    /// Starts listening. <paramref name="handler"/> runs once per connection, after the request
    /// head was read (<see cref="RawPeer.Request"/>); nothing has been written yet.
    /// </summary>
    /// <param name="handler">The test's server script for one connection.</param>
    /// <param name="tls">Serve TLS with <paramref name="certificate"/> (default: <see cref="TestCertificates.Server"/>).</param>
    /// <param name="certificate">Server certificate with private key.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<RawKestrelServer> StartAsync(Func<RawPeer, Task> handler, bool tls = false, X509Certificate2? certificate = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var server = new RawKestrelServer(handler, tls);
        ListenOptions? listen = null;

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrel(options =>
        {
            options.AddServerHeader = false;
            options.Listen(IPAddress.Loopback, 0, listenOptions =>
            {
                listen = listenOptions;
                listenOptions.Protocols = HttpProtocols.Http1;
                if (tls)
                {
                    listenOptions.UseHttps(certificate ?? TestCertificates.Shared.Server);
                }

                listenOptions.Run(server.OnConnectionAsync);
            });
        });

        // A half-closed socket would otherwise hold StopAsync for the default 30 s.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        server._app = builder.Build();
        await server._app.StartAsync(cancellationToken);

        server.Port = listen?.IPEndPoint?.Port is > 0 and var port
            ? port
            : throw new InvalidOperationException("Kestrel did not report the bound port.");
        server.BaseUri = new Uri($"{(tls ? "wss" : "ws")}://127.0.0.1:{server.Port.ToString(CultureInfo.InvariantCulture)}/");
        return server;
    }

    /// <summary>The absolute URI of a path on this server, e.g. <c>Url("/ws")</c>.</summary>
    public Uri Url(string pathAndQuery) => new(BaseUri, pathAndQuery);

    /// <summary>
    /// Waits until at least <paramref name="expectedConnections"/> connections arrived and every
    /// handler started so far has finished; rethrows handler failures (so server-side assertions
    /// fail the test).
    /// </summary>
    /// <exception cref="TimeoutException">Not all handlers finished in time.</exception>
    /// <exception cref="AggregateException">One or more handlers failed.</exception>
    public async Task WaitForHandlersAsync(TimeSpan timeout, int expectedConnections = 1)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (ConnectionCount < expectedConnections)
        {
            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"{ConnectionCount} of {expectedConnections} expected connections arrived within {timeout.TotalSeconds:0.#} s.");
            }

            await Task.Delay(10);
        }

        Task[] running;
        lock (_gate)
        {
            running = _connections.ToArray();
        }

        var remaining = deadline - DateTime.UtcNow;
        try
        {
            await Task.WhenAll(running).WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Connection handlers still running after {timeout.TotalSeconds:0.#} s.");
        }

        var errors = HandlerErrors;
        if (errors.Count > 0)
        {
            throw new AggregateException("RawKestrelServer handler failed.", errors);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    private static void AbortWithReset(ConnectionContext connection)
    {
        var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is not null)
        {
            try
            {
                // SO_LINGER 0 + close sends RST. Closing before Kestrel's own abort skips its graceful shutdown (FIN).
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
            }
            catch (ObjectDisposedException)
            {
            }
            catch (SocketException)
            {
            }
        }

        connection.Abort(new ConnectionAbortedException("Aborted by the test (RST)."));
    }

    private Task OnConnectionAsync(ConnectionContext connection)
    {
        var run = RunConnectionAsync(connection);
        lock (_gate)
        {
            _connections.Add(run);
        }

        return run;
    }

    private async Task RunConnectionAsync(ConnectionContext connection)
    {
        await Task.Yield();
        var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
        var peer = new RawPeer(connection.Transport, socket, () => AbortWithReset(connection), IsTls, connection.RemoteEndPoint);
        try
        {
            await peer.ReadRequestHeadAsync(HeadTimeout);
            await _handler(peer);
        }
#pragma warning disable CA1031 // Any handler failure is recorded for WaitForHandlersAsync.
        catch (Exception ex) when (!_stopping)
#pragma warning restore CA1031
        {
            lock (_gate)
            {
                _errors.Add(ex);
            }
        }
#pragma warning disable CA1031 // Failures caused by the shutdown itself are not test failures.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
