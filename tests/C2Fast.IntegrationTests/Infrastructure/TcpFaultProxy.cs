using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback TCP proxy that injects network faults between a client and a server: per-chunk delay, 1-byte writes,
/// stalls (half-open TCP), quiet cuts (FIN) and resets (RST). Byte transparent, so <c>wss://</c> works through it.
/// </summary>
/// <remarks>
/// <code>
///  client ──► [listener 127.0.0.1:Port] ──► TcpFaultProxyConnection ──► target (e.g. the simulator)
///                                          upstream pump   client → server
///                                          downstream pump server → client
/// </code>
/// Each accepted connection dials the target and runs one pump per direction: read a chunk, then for every write
/// pass the stall gates (global and the connection's), wait the delay, write the chunk (or one byte at a time).
/// A stall therefore holds a chunk in the proxy and stops reading behind it, so TCP flow control backs up to the
/// sender while both TCP connections stay open: neither peer learns anything, as with a dead network path.
/// An end of stream or a reset from one side is passed on in order with the data, after any stall.
/// Switches are global (every connection, current and new) or per connection (<see cref="Connections"/>); a
/// connection's delay is the larger of the two, and a direction is stalled while either gate is closed.
/// Everything is thread-safe and may be switched while bytes flow. <see cref="DisposeAsync"/> resets every connection
/// and awaits every task it started.
/// </remarks>
public sealed class TcpFaultProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly EndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, TcpFaultProxyConnection> _connections = new();
    private readonly Task _acceptLoop;
    private long _ids;
    private int _disposed;

    private TcpFaultProxy(EndPoint target)
    {
        _target = target;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>The loopback port clients connect to.</summary>
    public int Port { get; }

    /// <summary>The connections open now (accepted and not yet ended), oldest first.</summary>
    public IReadOnlyList<TcpFaultProxyConnection> Connections => [.. _connections.Values.OrderBy(c => c.Id)];

    /// <summary>The newest open connection, if any: the one a reconnecting client is using now.</summary>
    public TcpFaultProxyConnection? Newest => _connections.Values.MaxBy(c => c.Id);

    /// <summary>Delay before each chunk is forwarded, on every connection. Default zero.</summary>
    public TimeSpan Delay
    {
        get => Switches.Delay;
        set => Switches.Delay = value;
    }

    /// <summary>Forward every chunk as 1-byte writes (TCP_NODELAY on), on every connection. Default off.</summary>
    public bool OneByteWrites
    {
        get => Switches.OneByteWrites;
        set => Switches.OneByteWrites = value;
    }

    internal ProxySwitches Switches { get; } = new();

    internal ProxyTraffic Traffic { get; } = new();

    /// <summary>Starts a proxy on a free loopback port in front of <paramref name="target"/>.</summary>
    /// <param name="target">Where connections are forwarded.</param>
    /// <returns>The listening proxy; dispose it to stop.</returns>
    public static TcpFaultProxy Start(EndPoint target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new TcpFaultProxy(target);
    }

    /// <summary>Starts a proxy in front of <c>127.0.0.1:<paramref name="targetPort"/></c>.</summary>
    /// <param name="targetPort">The server's loopback port.</param>
    /// <returns>The listening proxy.</returns>
    public static TcpFaultProxy Start(int targetPort) => Start(new IPEndPoint(IPAddress.Loopback, targetPort));

    /// <summary><paramref name="endpoint"/> with the proxy's port: the same scheme, host and path, so TLS names still match.</summary>
    /// <param name="endpoint">The server's URI, e.g. the simulator's.</param>
    /// <returns>The URI to give the client.</returns>
    public Uri Front(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return new UriBuilder(endpoint) { Port = Port }.Uri;
    }

    /// <summary>Stops forwarding in <paramref name="directions"/> on every connection (current and new), keeping TCP open.</summary>
    /// <param name="directions">Which directions.</param>
    /// <param name="duration">How long; <see langword="null"/> until <see cref="Release"/>.</param>
    public void Stall(ProxyDirection directions, TimeSpan? duration = null) => Switches.Stall(directions, duration);

    /// <summary>Ends a global stall; held bytes flow again.</summary>
    /// <param name="directions">Which directions.</param>
    public void Release(ProxyDirection directions = ProxyDirection.Both) => Switches.Release(directions);

    /// <summary>Cuts every open connection quietly (see <see cref="TcpFaultProxyConnection.Cut"/>).</summary>
    /// <returns>How many were cut.</returns>
    public int CutAll() => Connections.Count(c => c.Cut());

    /// <summary>Resets every open connection (see <see cref="TcpFaultProxyConnection.Reset"/>).</summary>
    /// <returns>How many were reset.</returns>
    public int ResetAll() => Connections.Count(c => c.Reset());

    /// <summary>A snapshot of the counters over every connection so far.</summary>
    /// <returns>The counters.</returns>
    public TcpFaultProxyCounters GetCounters() => Traffic.Snapshot();

    /// <summary>Stops listening, resets every connection and waits for every pump to end.</summary>
    /// <returns>A task that completes when nothing of the proxy runs any more.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        _listener.Dispose();
        await _acceptLoop;

        // No connection is added after the accept loop ended: this snapshot is all of them.
        TcpFaultProxyConnection[] open = [.. _connections.Values];
        foreach (TcpFaultProxyConnection connection in open)
        {
            connection.Reset();
        }

        await Task.WhenAll(open.Select(c => c.Completion));
        Switches.Dispose();
        _stop.Dispose();
    }

    internal void Ended(TcpFaultProxyConnection connection) => _connections.TryRemove(connection.Id, out _);

    private async Task AcceptLoopAsync()
    {
        await Task.Yield(); // the constructor returns before the first accept
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || (ex is SocketException && _stop.IsCancellationRequested))
            {
                return;
            }
            catch (SocketException)
            {
                continue; // e.g. a client gave up before the accept completed
            }

            Traffic.Accepted();
            var connection = new TcpFaultProxyConnection(this, Interlocked.Increment(ref _ids), client, _target);
            _connections[connection.Id] = connection;
            connection.Start();
        }
    }
}
