using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using C2Fast.Transport;

namespace C2Fast.IntegrationTests.Transport;

/// <summary>The receive pump over real sockets: the dedicated receive thread, dispose and end of stream. The in-memory tests are in C2Fast.Tests.</summary>
public class TransportConnectionTests
{
    /// <summary>With the dedicated thread the read loop's continuation runs on that thread: the kernel wakes it, nothing else.</summary>
    [Fact]
    public async Task ReceiveThread_ReaderContinuesOnTheReceiveThread()
    {
        (TransportConnection Transport, Socket Server) pair = await ConnectedPairAsync(receiveThread: true);
        await using TransportConnection transport = pair.Transport;
        using Socket server = pair.Server;

        Task<(string? Thread, byte[] Bytes)> read = ReadWhereItContinuesAsync(transport.Input);
        await Task.Delay(50);
        Assert.False(read.IsCompleted); // nothing sent yet
        await server.SendAsync(new byte[] { 1, 2, 3 });
        (string? thread, byte[] bytes) = await read.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("C2Fast receive", thread);
        Assert.Equal(new byte[] { 1, 2, 3 }, bytes);
    }

    // As the read loop awaits its input (without going back to a context), reporting the thread it went on on.
    private static async Task<(string? Thread, byte[] Bytes)> ReadWhereItContinuesAsync(PipeReader input)
    {
        ReadResult result = await input.ReadAsync().ConfigureAwait(false);
        string? thread = Thread.CurrentThread.Name;
        byte[] bytes = result.Buffer.ToArray();
        input.AdvanceTo(result.Buffer.End);
        return (thread, bytes);
    }

    /// <summary>A receive thread waiting in poll(2) for a silent server is woken by dispose (closing the descriptor alone would not).</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dispose_WhileTheServerIsSilent_CompletesPromptly(bool receiveThread)
    {
        (TransportConnection transport, Socket server) = await ConnectedPairAsync(receiveThread);
        using Socket serverSide = server;
        ValueTask<ReadResult> pending = transport.Input.ReadAsync();
        await Task.Delay(100); // the pump is now waiting for data

        await transport.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(pending.IsCompleted);
    }

    /// <summary>The server's end of stream reaches the reader as a completed read, on either pump.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ServerCloses_ReaderSeesTheEnd(bool receiveThread)
    {
        (TransportConnection Transport, Socket Server) pair = await ConnectedPairAsync(receiveThread);
        await using TransportConnection transport = pair.Transport;
        using (Socket server = pair.Server)
        {
            await server.SendAsync(new byte[] { 42 });
            server.Shutdown(SocketShutdown.Send);
        }

        long received = 0;
        while (true)
        {
            ReadResult result = await transport.Input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            received = result.Buffer.Length;
            if (result.IsCompleted)
            {
                break;
            }

            transport.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }

        Assert.Equal(1, received);
    }

    // A transport connected over loopback to a socket the test plays the server with.
    private static async Task<(TransportConnection Transport, Socket Server)> ConnectedPairAsync(bool receiveThread)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Task<Socket> accepted = listener.AcceptSocketAsync();
        var settings = new TransportSettings("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, UseTls: false, ReceiveThread: receiveThread);
        TransportConnection transport = await TransportConnection.ConnectAsync(settings, CancellationToken.None);
        return (transport, await accepted);
    }
}
