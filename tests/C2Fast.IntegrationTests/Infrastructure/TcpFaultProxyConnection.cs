using System.Net;
using System.Net.Sockets;

namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>One client connection through a <see cref="TcpFaultProxy"/>: its two pumps, its own switches and counters.</summary>
/// <remarks>
/// States: open → (<see cref="Cut"/>: FIN both ways, then read and discard until both peers close, at most
/// <see cref="CutDrainTimeout"/>) or (<see cref="Reset"/>: RST both ways at once) or (both peers closed, or one
/// reset, which is passed on) → ended (<see cref="Completion"/>). A cut connection can still be reset.
/// </remarks>
public sealed class TcpFaultProxyConnection
{
    /// <summary>How long a cut connection waits for its peers to close after the FINs before it drops them.</summary>
    public static readonly TimeSpan CutDrainTimeout = TimeSpan.FromSeconds(5);

    private const int ChunkSize = 16 * 1024;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly TcpFaultProxy _proxy;
    private readonly Socket _client;
    private readonly Socket _server;
    private readonly EndPoint _target;
    private readonly ProxySwitches _switches = new();
    private readonly ProxyTraffic _traffic = new();

    // Never disposed on purpose: Cut and Reset may run from any thread at any time, even as the connection ends.
    // Neither holds a wait handle; the drain timer of a cut is released by the final Cancel.
    private readonly CancellationTokenSource _forwarding = new(); // cancelled by a cut, a reset or the end: nothing more is forwarded
    private readonly CancellationTokenSource _abort = new();      // cancelled by a reset, the end, or a cut's drain timeout: nothing more is read
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _ending; // 0 open, 1 cut, 2 reset, 3 ended

    internal TcpFaultProxyConnection(TcpFaultProxy proxy, long id, Socket client, EndPoint target)
    {
        _proxy = proxy;
        Id = id;
        _client = client;
        _target = target;
        _server = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _traffic.Accepted();
    }

    /// <summary>The proxy-wide connection number, from 1.</summary>
    public long Id { get; }

    /// <summary>Completes when both pumps have ended and both sockets are closed.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Whether the connection has not ended yet (a stalled or cut one may still be open).</summary>
    public bool IsOpen => !_completion.Task.IsCompleted;

    /// <summary>Delay before each chunk of this connection is forwarded; the larger of this and the proxy's applies.</summary>
    public TimeSpan Delay
    {
        get => _switches.Delay;
        set => _switches.Delay = value;
    }

    /// <summary>Forward this connection's chunks as 1-byte writes (also on while the proxy's switch is on).</summary>
    public bool OneByteWrites
    {
        get => _switches.OneByteWrites;
        set => _switches.OneByteWrites = value;
    }

    /// <summary>Stops forwarding in <paramref name="directions"/>, keeping both TCP connections open (half-open).</summary>
    /// <param name="directions">Which directions.</param>
    /// <param name="duration">How long; <see langword="null"/> until <see cref="Release"/>.</param>
    public void Stall(ProxyDirection directions, TimeSpan? duration = null) => _switches.Stall(directions, duration);

    /// <summary>Ends a stall of this connection; held bytes (and any end of stream or reset behind them) flow again.</summary>
    /// <param name="directions">Which directions.</param>
    public void Release(ProxyDirection directions = ProxyDirection.Both) => _switches.Release(directions);

    /// <summary>
    /// Closes both sides quietly: nothing more is forwarded, each peer gets a FIN (no WebSocket close frame), and what
    /// they still send is discarded until they close too.
    /// </summary>
    /// <returns>False if the connection was already cut, reset or ended.</returns>
    public bool Cut()
    {
        if (Interlocked.CompareExchange(ref _ending, 1, 0) != 0)
        {
            return false;
        }

        _forwarding.Cancel();
        ShutdownSend(_client);
        ShutdownSend(_server);
        _abort.CancelAfter(CutDrainTimeout);
        return true;
    }

    /// <summary>Resets both sides: SO_LINGER 0 and close, so each peer gets an RST (ECONNRESET).</summary>
    /// <returns>False if the connection was already reset or ended.</returns>
    public bool Reset()
    {
        int current;
        do
        {
            current = Volatile.Read(ref _ending);
            if (current >= 2)
            {
                return false;
            }
        }
        while (Interlocked.CompareExchange(ref _ending, 2, current) != current);

        // Linger first: cancelling may end the pumps inline, and the run's own close must then be abortive too.
        LingerZero(_client);
        LingerZero(_server);
        _forwarding.Cancel();
        _abort.Cancel();
        _client.Dispose();
        _server.Dispose();
        return true;
    }

    /// <summary>A snapshot of this connection's counters.</summary>
    /// <returns>The counters.</returns>
    public TcpFaultProxyCounters GetCounters() => _traffic.Snapshot();

    /// <summary>Starts the pumps; <see cref="Completion"/> completes when they are done (RunAsync never throws).</summary>
    internal void Start() => _ = RunAsync();

    private static void ShutdownSend(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Not connected yet, or already gone.
        }
    }

    private static void LingerZero(Socket socket)
    {
        try
        {
            // Linger on with a zero timeout: close discards unsent data and sends RST instead of FIN.
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    private async Task RunAsync()
    {
        await Task.Yield(); // off the accept loop
        try
        {
            try
            {
                _client.NoDelay = true;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
                timeout.CancelAfter(ConnectTimeout);
                await _server.ConnectAsync(_target, timeout.Token);
                _server.NoDelay = true;
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                if (Volatile.Read(ref _ending) == 0)
                {
                    // Nothing listens (e.g. a server restart): the client gets a reset, the nearest thing to a refused connect.
                    _traffic.ConnectFailed();
                    _proxy.Traffic.ConnectFailed();
                    Reset();
                }

                return;
            }

            if (Volatile.Read(ref _ending) == 1)
            {
                ShutdownSend(_server); // cut while connecting: the server gets its FIN too
            }

            await Task.WhenAll(
                PumpAsync(_client, _server, ProxyDirection.Upstream),
                PumpAsync(_server, _client, ProxyDirection.Downstream));
        }
        finally
        {
            Interlocked.Exchange(ref _ending, 3);
            _forwarding.Cancel();
            _abort.Cancel(); // also stops a cut's drain timer
            _client.Dispose();
            _server.Dispose();
            _switches.Dispose();
            _proxy.Ended(this);
            _completion.TrySetResult(); // the last thing the run does
        }
    }

    /// <summary>Reads from <paramref name="source"/> and forwards to <paramref name="destination"/> until either ends.</summary>
    private async Task PumpAsync(Socket source, Socket destination, ProxyDirection direction)
    {
        byte[] buffer = new byte[ChunkSize];
        while (true)
        {
            int read;
            try
            {
                read = await source.ReceiveAsync(buffer, SocketFlags.None, _abort.Token);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The peer reset (or we are ending): a peer's reset reaches the other side in order, after any stall.
                if (!_forwarding.IsCancellationRequested && await PassAsync(direction))
                {
                    Reset();
                }

                return;
            }

            if (read == 0)
            {
                // End of stream: the FIN goes on in order with the data, after any stall (a cut sent its own).
                if (!_forwarding.IsCancellationRequested && await PassAsync(direction))
                {
                    ShutdownSend(destination);
                }

                return;
            }

            _traffic.Read(direction, read);
            _proxy.Traffic.Read(direction, read);
            if (!_forwarding.IsCancellationRequested)
            {
                await ForwardAsync(destination, buffer.AsMemory(0, read), direction);
            }

            // Cut: keep reading and discarding until the peer closes, so the close stays a quiet FIN.
        }
    }

    private async Task ForwardAsync(Socket destination, ReadOnlyMemory<byte> data, ProxyDirection direction)
    {
        CancellationToken token = _forwarding.Token;
        try
        {
            TimeSpan delay = _proxy.Delay > _switches.Delay ? _proxy.Delay : _switches.Delay;
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, token);
            }

            while (!data.IsEmpty)
            {
                // The stall is checked before every write, so a stall that starts mid-chunk holds the rest of it.
                if (!await PassAsync(direction))
                {
                    return;
                }

                int count = _proxy.OneByteWrites || _switches.OneByteWrites ? 1 : data.Length;
                int sent = await destination.SendAsync(data[..count], SocketFlags.None, token);
                data = data[sent..];
                _traffic.Written(direction, sent);
                _proxy.Traffic.Written(direction, sent);
            }
        }
        catch (OperationCanceledException)
        {
            // Cut or reset: nothing more is forwarded.
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Reset(); // the destination is gone: the other side learns it with a reset
        }
    }

    /// <summary>Waits while either stall gate (the proxy's or this connection's) holds <paramref name="direction"/>.</summary>
    /// <returns>False when forwarding ended while waiting (cut, reset, end).</returns>
    private async ValueTask<bool> PassAsync(ProxyDirection direction)
    {
        try
        {
            while (true)
            {
                Task global = _proxy.Switches.Gate(direction).WhenOpen;
                Task local = _switches.Gate(direction).WhenOpen;
                if (global.IsCompleted && local.IsCompleted)
                {
                    return true;
                }

                await (global.IsCompleted ? local : global).WaitAsync(_forwarding.Token);
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
