using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>The fault proxy itself, with a plain TCP echo server behind it.</summary>
public class TcpFaultProxyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task OneByteWrites_EchoThroughProxy_BytesInOrderOneWritePerByte()
    {
        await using var echo = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(echo.Port);
        proxy.OneByteWrites = true;
        using Socket client = await ConnectAsync(proxy.Port);
        byte[] data = new byte[4096];
        new Random(11).NextBytes(data);

        await client.SendAsync(data);
        byte[] back = await ReceiveExactlyAsync(client, data.Length);

        Assert.Equal(data, back);
        await EventuallyAsync(() => proxy.GetCounters().WritesDownstream == data.Length, "the last write counted");
        TcpFaultProxyCounters counters = proxy.GetCounters();
        Assert.Equal(1, counters.ConnectionsAccepted);
        Assert.Equal(data.Length, counters.BytesUpstream);
        Assert.Equal(data.Length, counters.WritesUpstream);
        Assert.Equal(data.Length, counters.BytesDownstream);
        Assert.Equal(data.Length, counters.WritesDownstream);
    }

    [Fact]
    public async Task OneByteWrites_SwitchedMidStream_StreamIntact()
    {
        await using var echo = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(echo.Port);
        using Socket client = await ConnectAsync(proxy.Port);
        await RoundTripAsync(client, "warm"u8.ToArray());
        TcpFaultProxyConnection connection = proxy.Connections.Single();
        byte[] data = new byte[20 * 300];
        new Random(12).NextBytes(data);

        for (int i = 0; i < 20; i++)
        {
            connection.OneByteWrites = i % 2 == 0;
            await RoundTripAsync(client, data[(i * 300)..((i + 1) * 300)]);
        }

        // 10 chunks byte by byte (3000 writes), 10 in at least one write each, plus the warm-up.
        await EventuallyAsync(() => connection.GetCounters().BytesUpstream == data.Length + 4, "the last write counted");
        Assert.InRange(connection.GetCounters().WritesUpstream, 3011, 6001);
    }

    [Fact]
    public async Task Reset_OpenConnection_BothPeersSeeConnectionReset()
    {
        await using var echo = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(echo.Port);
        using Socket client = await ConnectAsync(proxy.Port);
        await RoundTripAsync(client, "hello"u8.ToArray());
        TcpFaultProxyConnection connection = proxy.Connections.Single();

        Assert.True(connection.Reset());

        var ex = await Assert.ThrowsAsync<SocketException>(() => ReceiveOnceAsync(client));
        Assert.Equal(SocketError.ConnectionReset, ex.SocketErrorCode);
        Assert.Equal(SocketError.ConnectionReset, await echo.FirstSessionEnd.WaitAsync(Timeout));
        await connection.Completion.WaitAsync(Timeout);
        Assert.Empty(proxy.Connections);
        Assert.False(connection.Reset());
    }

    [Fact]
    public async Task Cut_OpenConnection_BothPeersSeeEndOfStream()
    {
        await using var echo = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(echo.Port);
        using Socket client = await ConnectAsync(proxy.Port);
        await RoundTripAsync(client, "hello"u8.ToArray());
        TcpFaultProxyConnection connection = proxy.Connections.Single();

        Assert.True(connection.Cut());

        Assert.Equal(0, await ReceiveOnceAsync(client)); // FIN, not RST
        Assert.Equal(SocketError.Success, await echo.FirstSessionEnd.WaitAsync(Timeout));   // the server saw a FIN too
        client.Shutdown(SocketShutdown.Send);
        await connection.Completion.WaitAsync(Timeout); // both peers closed: the cut connection ends
        Assert.False(connection.Cut());
    }

    [Fact]
    public async Task Cut_ClientKeepsSending_DiscardedThenEnds()
    {
        await using var echo = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(echo.Port);
        using Socket client = await ConnectAsync(proxy.Port);
        await RoundTripAsync(client, "hello"u8.ToArray());
        TcpFaultProxyConnection connection = proxy.Connections.Single();

        connection.Cut();
        await client.SendAsync("after the cut"u8.ToArray());

        Assert.Equal(0, await ReceiveOnceAsync(client));
        Assert.Equal(SocketError.Success, await echo.FirstSessionEnd.WaitAsync(Timeout));
        client.Shutdown(SocketShutdown.Send);
        await connection.Completion.WaitAsync(Timeout);
        Assert.Equal(5, echo.Received); // only what came before the cut
    }

    [Fact]
    public async Task Stall_Upstream_HoldsBytesUntilReleased()
    {
        await using var echo = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(echo.Port);
        using Socket client = await ConnectAsync(proxy.Port);
        await RoundTripAsync(client, "hello"u8.ToArray());
        TcpFaultProxyConnection connection = proxy.Connections.Single();

        connection.Stall(ProxyDirection.Upstream);
        byte[] held = new byte[100];
        new Random(13).NextBytes(held);
        await client.SendAsync(held);
        await EventuallyAsync(() => connection.GetCounters().BytesReadUpstream == 105, "the proxy read the bytes");

        // Read by the proxy, never written on: the gate closed before the write.
        Assert.Equal(5, connection.GetCounters().BytesUpstream);
        Assert.Equal(5, echo.Received);
        Assert.True(connection.IsOpen);

        connection.Release();
        Assert.Equal(held, await ReceiveExactlyAsync(client, held.Length));
        Assert.Equal(105, echo.Received);
    }

    [Fact]
    public async Task Stall_GlobalDownstream_AppliesToNewConnectionsAndHoldsBytes()
    {
        await using var echo = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(echo.Port);
        proxy.Stall(ProxyDirection.Downstream);
        using Socket client = await ConnectAsync(proxy.Port);

        await client.SendAsync("ping"u8.ToArray());
        await EventuallyAsync(() => proxy.GetCounters().BytesReadDownstream == 4, "the echo reached the proxy");

        Assert.Equal(0, proxy.GetCounters().BytesDownstream);
        Assert.Equal(0, client.Available);
        proxy.Release();
        Assert.Equal("ping"u8.ToArray(), await ReceiveExactlyAsync(client, 4));
    }

    [Fact]
    public async Task Stall_BothWithDuration_ReleasesByItself()
    {
        await using var echo = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(echo.Port);
        using Socket client = await ConnectAsync(proxy.Port);
        await RoundTripAsync(client, "hello"u8.ToArray());

        var clock = Stopwatch.StartNew();
        proxy.Newest!.Stall(ProxyDirection.Both, TimeSpan.FromMilliseconds(300));
        await RoundTripAsync(client, "again"u8.ToArray());

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"echo after {clock.Elapsed}"); // timers may fire a tick early
        Assert.Equal(1, proxy.GetCounters().ConnectionsAccepted);
    }

    [Fact]
    public async Task Delay_PerChunk_EachWayDelayed()
    {
        await using var echo = EchoServer.Start();
        await using var proxy = TcpFaultProxy.Start(echo.Port);
        using Socket client = await ConnectAsync(proxy.Port);
        await RoundTripAsync(client, "warm"u8.ToArray());

        proxy.Delay = TimeSpan.FromMilliseconds(150);
        var clock = Stopwatch.StartNew();
        await RoundTripAsync(client, "slow"u8.ToArray());

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(280), $"round trip {clock.Elapsed}"); // one delay each way
        proxy.Delay = TimeSpan.Zero;
        await RoundTripAsync(client, "fast"u8.ToArray());
    }

    [Fact]
    public async Task ServerDown_AcceptedThenReset_CountedAsConnectFailure()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port; // free again once closed: nothing listens there
        }

        await using var proxy = TcpFaultProxy.Start(port);

        // The reset can beat the end of the client's own connect, or come at its first read.
        var ex = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            using Socket client = await ConnectAsync(proxy.Port);
            await ReceiveOnceAsync(client);
        });
        Assert.Equal(SocketError.ConnectionReset, ex.SocketErrorCode);
        await EventuallyAsync(() => proxy.Connections.Count == 0, "the connection ended");
        Assert.Equal(1, proxy.GetCounters().UpstreamConnectFailures);
    }

    [Fact]
    public async Task Dispose_OpenStalledAndCutConnections_EndsAllAndStopsListening()
    {
        await using var echo = EchoServer.Start();
        var proxy = TcpFaultProxy.Start(echo.Port);
        using Socket open = await ConnectAsync(proxy.Port);
        using Socket stalled = await ConnectAsync(proxy.Port);
        using Socket cut = await ConnectAsync(proxy.Port);
        foreach (Socket socket in new[] { open, stalled, cut })
        {
            await RoundTripAsync(socket, "hi"u8.ToArray());
        }

        IReadOnlyList<TcpFaultProxyConnection> connections = proxy.Connections;
        connections[1].Stall(ProxyDirection.Both);
        await stalled.SendAsync("held"u8.ToArray());
        connections[2].Cut();

        await proxy.DisposeAsync().AsTask().WaitAsync(Timeout);

        Assert.All(connections, c => Assert.False(c.IsOpen));
        Assert.Empty(proxy.Connections);
        foreach (Socket socket in new[] { open, stalled, cut })
        {
            await ReceiveEndAsync(socket); // a reset (open, stalled) or the cut's FIN: nothing hangs
        }

        var refused = await Assert.ThrowsAsync<SocketException>(() => ConnectAsync(proxy.Port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(Timeout);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task RoundTripAsync(Socket client, byte[] data)
    {
        await client.SendAsync(data);
        Assert.Equal(data, await ReceiveExactlyAsync(client, data.Length));
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count)
    {
        byte[] buffer = new byte[count];
        int received = 0;
        using var cts = new CancellationTokenSource(Timeout);
        while (received < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, cts.Token);
            Assert.True(n > 0, $"end of stream after {received} of {count} bytes");
            received += n;
        }

        return buffer;
    }

    /// <summary>One read: the byte count, 0 at end of stream; throws on a reset; fails the test after the timeout.</summary>
    private static async Task<int> ReceiveOnceAsync(Socket socket)
    {
        using var cts = new CancellationTokenSource(Timeout);
        return await socket.ReceiveAsync(new byte[16].AsMemory(), SocketFlags.None, cts.Token);
    }

    /// <summary>Reads until the connection ends, by a FIN or a reset; fails the test if it does not end.</summary>
    private static async Task ReceiveEndAsync(Socket socket)
    {
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            while (await socket.ReceiveAsync(new byte[64], SocketFlags.None, cts.Token) > 0)
            {
                // Bytes still in flight before the end.
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Reset: ended too.
        }
    }

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for: " + what);
            await Task.Delay(5);
        }
    }

    /// <summary>A TCP echo server; records how its first session ended (Success = end of stream).</summary>
    private sealed class EchoServer : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _sessions = [];
        private readonly Task _accept;
        private readonly TaskCompletionSource<SocketError> _firstEnd = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _received;

        private EchoServer()
        {
            _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(16);
            Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
            _accept = AcceptAsync();
        }

        public int Port { get; }

        public long Received => Interlocked.Read(ref _received);

        public Task<SocketError> FirstSessionEnd => _firstEnd.Task;

        public static EchoServer Start() => new();

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Dispose();
            await _accept;
            Task[] sessions;
            lock (_sessions)
            {
                sessions = [.. _sessions];
            }

            await Task.WhenAll(sessions);
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptAsync(_stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }

                lock (_sessions)
                {
                    _sessions.Add(EchoAsync(socket));
                }
            }
        }

        private async Task EchoAsync(Socket socket)
        {
            using (socket)
            {
                byte[] buffer = new byte[16 * 1024];
                SocketError end = SocketError.Success;
                try
                {
                    int n;
                    while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
                    {
                        Interlocked.Add(ref _received, n);
                        await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
                    }

                    socket.Shutdown(SocketShutdown.Send);
                }
                catch (SocketException ex)
                {
                    end = ex.SocketErrorCode;
                }
                catch (OperationCanceledException)
                {
                    end = SocketError.OperationAborted;
                }

                _firstEnd.TrySetResult(end);
            }
        }
    }
}
