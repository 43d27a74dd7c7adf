using System.IO.Pipelines;
using C2Fast.Transport;

namespace C2Fast.Tests.Transport;

/// <summary>The receive pump over an in-memory stream: the pipe's bound on what it holds, and its block pool. The tests over real sockets are in C2Fast.IntegrationTests.</summary>
public class TransportConnectionTests
{
    private const int BufferSize = 4096;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static TransportSettings Settings(int blockSize, bool receiveThread = false)
        => new("test", 80, UseTls: false, ReceiveBufferSize: blockSize, ReceiveThread: receiveThread);

    /// <summary>
    /// A reader that leaves the bytes unexamined (a paused loop): the pipe's pause threshold stops the pump, so what
    /// the client buffers stays bounded; reading on lets it go on.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PausedReader_PumpStopsAtThePipeThreshold_AndGoesOnOnceRead(bool receiveThread)
    {
        TransportSettings settings = Settings(BufferSize, receiveThread);
        await using var transport = TransportConnection.FromStream(new EndlessStream(), settings);
        long threshold = settings.PauseThresholdBytes;
        Assert.Equal(1024 * 1024, threshold);

        // The pump can pass the threshold by at most one read before its flush waits: once the held bytes reach the
        // threshold, they cannot grow further until the reader advances. (Blocks are whole, so count one more.)
        await WaitUntilAsync(() => transport.UnconsumedBytes >= threshold);
        Assert.InRange(transport.UnconsumedBytes, threshold, threshold + (2 * BufferSize));

        PipeReader input = transport.Input;
        ReadResult result = await input.ReadAsync().AsTask().WaitAsync(Patience);
        long held = result.Buffer.Length;
        Assert.InRange(held, threshold - BufferSize, threshold + BufferSize);
        input.AdvanceTo(result.Buffer.End); // consumed: the pump goes on
        ReadResult resumed = await input.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.True(resumed.Buffer.Length > 0);
        input.AdvanceTo(resumed.Buffer.End);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!condition())
        {
            await Task.Delay(1, timeout.Token);
        }
    }

    /// <summary>A connection that goes leaves its receive blocks to the next one: a reconnect does not allocate them again.</summary>
    [Fact]
    public async Task ClosedConnectionsBlocks_AreTakenByTheNextConnection()
    {
        const int blockSize = 4000; // a size no other test uses: the stash is process-wide
        TransportConnection first = TransportConnection.FromStream(new EndlessStream(), Settings(blockSize));
        for (int i = 0; i < 3; i++)
        {
            ReadResult result = await first.Input.ReadAsync().AsTask().WaitAsync(Patience);
            first.Input.AdvanceTo(result.Buffer.End); // consumed: the blocks go back to the pool
        }

        await first.DisposeAsync();
        int stashed = ReceiveBlockPool.StashedCount(blockSize);
        Assert.InRange(stashed, 1, ReceiveBlockPool.MaxStashedPerSize);

        // The async pump fills to the pipe's threshold right away, renting from the stash first.
        await using TransportConnection second = TransportConnection.FromStream(new EndlessStream(), Settings(blockSize));
        Assert.True(ReceiveBlockPool.StashedCount(blockSize) < stashed, $"{ReceiveBlockPool.StashedCount(blockSize)} of {stashed} still stashed");
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


        // As a socket's: nothing to flush, done at once (the default would queue a work item per flush).

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
