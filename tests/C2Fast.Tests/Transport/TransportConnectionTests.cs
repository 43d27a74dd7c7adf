using System.IO.Pipelines;
using C2Fast.Transport;

namespace C2Fast.Tests.Transport;

/// <summary>The receive pump over an in-memory stream: its bound on unconsumed bytes and its block pool. The tests over real sockets are in C2Fast.IntegrationTests.</summary>
public class TransportConnectionTests
{
    private const int BufferSize = 4096;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

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
            ReadResult result = await input.ReadAsync().AsTask().WaitAsync(Patience);
            seen = result.Buffer.Length;
            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }

        await Task.Delay(300); // time for a pump without a bound to run far past it
        Assert.InRange(transport.UnconsumedBytes, transport.ReadLimitBytes - BufferSize, transport.ReadLimitBytes);
        Assert.InRange(seen, transport.ReadLimitBytes - (2 * BufferSize), transport.ReadLimitBytes);

        // Consuming lets it go on: the pump resumes and the reader sees new bytes.
        input.CancelPendingRead(); // the next read returns what is held, without waiting for more
        ReadResult next = await input.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.Equal(seen, next.Buffer.Length);
        input.AdvanceTo(next.Buffer.End);
        ReadResult resumed = await input.ReadAsync().AsTask().WaitAsync(Patience);
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
            ReadResult result = await first.Input.ReadAsync().AsTask().WaitAsync(Patience);
            first.Input.AdvanceTo(result.Buffer.End); // consumed: the blocks go back to the pool
        }

        await first.DisposeAsync();
        int stashed = ReceiveBlockPool.StashedCount(blockSize);
        Assert.InRange(stashed, 1, ReceiveBlockPool.MaxStashedPerSize);

        // The async pump fills to its limit right away, renting from the stash first.
        await using TransportConnection second = TransportConnection.FromStream(new EndlessStream(), blockSize, readAheadBytes: 4 * blockSize, maxMessageSize: 100);
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

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
