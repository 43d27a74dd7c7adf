using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using C2Fast.Transport;

namespace C2Fast.Tests.Transport;

/// <summary>The receive pump: its bound on unconsumed bytes, and the dedicated receive thread over real sockets.</summary>
public class TransportConnectionTests
{
    private const int BufferSize = 4096;

    /// <summary>
    /// A reader that examines everything and consumes nothing (what a paused loop looking ahead does). The
    /// pipe's own threshold counts unexamined bytes, so without the pump's own bound it read the endless
    /// stream without limit.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReaderThatExaminesButDoesNotConsume_PumpStopsAtTheLimit(bool receiveThread)
    {
        await using var transport = TransportConnection.FromStream(new EndlessStream(), BufferSize, readAheadBytes: 64 * 1024, receiveThread, maxMessageSize: 1024);
        Assert.Equal(68 * 1024, transport.ReadLimitBytes); // the read-ahead budget plus one buffer, rounded to buffers
        PipeReader input = transport.Input;

        long seen = 0;
        for (int i = 0; i < 100 && seen < transport.ReadLimitBytes; i++)
        {
            ReadResult result = await input.ReadAsync();
            seen = result.Buffer.Length;
            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }

        await Task.Delay(300); // time for a pump without a bound to run far past it
        Assert.InRange(transport.UnconsumedBytes, transport.ReadLimitBytes - BufferSize, transport.ReadLimitBytes);
        Assert.InRange(seen, transport.ReadLimitBytes - (2 * BufferSize), transport.ReadLimitBytes);

        // Consuming lets it go on: the pump resumes and the reader sees new bytes.
        input.CancelPendingRead(); // the next read returns what is held, without waiting for more
        ReadResult next = await input.ReadAsync();
        Assert.Equal(seen, next.Buffer.Length);
        input.AdvanceTo(next.Buffer.End);
        ReadResult resumed = await input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(resumed.Buffer.Length > 0);
        input.AdvanceTo(resumed.Buffer.End);
    }

    /// <summary>A connection that goes leaves its receive blocks to the next one: a reconnect does not allocate them again.</summary>
    [Fact]
    public async Task ClosedConnectionsBlocks_AreTakenByTheNextConnection()
    {
        const int blockSize = 4000; // a size no other test uses: the stash is process-wide
        TransportConnection first = TransportConnection.FromStream(new EndlessStream(), blockSize, readAheadBytes: 4 * blockSize, maxMessageSize: 100);
        for (int i = 0; i < 3; i++)
        {
            ReadResult result = await first.Input.ReadAsync();
            first.Input.AdvanceTo(result.Buffer.End); // consumed: the blocks go back to the pool
        }

        await first.DisposeAsync();
        int stashed = ReceiveBlockPool.StashedCount(blockSize);
        Assert.InRange(stashed, 1, ReceiveBlockPool.MaxStashedPerSize);

        // The async pump fills to its limit right away, renting from the stash first.
        await using TransportConnection second = TransportConnection.FromStream(new EndlessStream(), blockSize, readAheadBytes: 4 * blockSize, maxMessageSize: 100);
        Assert.True(ReceiveBlockPool.StashedCount(blockSize) < stashed, $"{ReceiveBlockPool.StashedCount(blockSize)} of {stashed} still stashed");
    }

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
        var options = new C2FeedOptions
        {
            Endpoint = new Uri($"ws://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/ws"),
            DedicatedReceiveThread = receiveThread,
        };
        TransportConnection transport = await TransportConnection.ConnectAsync(options, CancellationToken.None);
        return (transport, await accepted);
    }

    /// <summary>Zeros without end, as fast as they are asked for, synchronously or not.</summary>
    private sealed class EndlessStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(Span<byte> buffer)
        {
            buffer.Clear();
            return buffer.Length;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
