namespace C2Fast.Tests.TestData;

/// <summary>
/// An in-memory duplex stream for read-loop tests: reads return <see cref="_input"/> in chunks
/// whose sizes come from a seeded random source (or a fixed size), then EOF; writes are captured.
/// </summary>
internal sealed class ScriptedStream : Stream
{
    private readonly byte[] _input;
    private readonly Random? _random;
    private readonly int _maxChunk;
    private readonly TaskCompletionSource _endOfInput = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _position;

    public ScriptedStream(byte[] input, int maxChunk, int? seed = null)
    {
        _input = input;
        _maxChunk = maxChunk;
        _random = seed is int s ? new Random(s) : null;
    }

    public MemoryStream Written { get; } = new();

    /// <summary>Completes once a read has returned 0: every input byte was read.</summary>
    public Task EndOfInput => _endOfInput.Task;

    /// <summary>
    /// When set, every write first waits for it: holds the read loop in its first reply flush while the
    /// transport's pump reads on, so the loop's next read finds a backlog.
    /// </summary>
    public Task? WriteGate { get; init; }

    /// <summary>The size of every write, in order (unless <see cref="DiscardWrites"/>).</summary>
    public List<int> WriteSizes { get; } = [];

    /// <summary>Drop what the client writes (allocation tests: a growing MemoryStream would allocate).</summary>
    public bool DiscardWrites { get; init; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int chunk = Math.Min(Math.Min(buffer.Length, _input.Length - _position), _random?.Next(1, _maxChunk + 1) ?? _maxChunk);
        _input.AsSpan(_position, chunk).CopyTo(buffer);
        _position += chunk;
        if (chunk == 0 && buffer.Length != 0)
        {
            _endOfInput.TrySetResult();
        }

        return chunk;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

    public override void Write(byte[] buffer, int offset, int count)
    {
        lock (Written)
        {
            Written.Write(buffer, offset, count);
            WriteSizes.Add(count);
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (WriteGate is { IsCompleted: false } gate)
        {
            return WriteAfterAsync(gate, buffer, cancellationToken);
        }

        if (DiscardWrites)
        {
            return ValueTask.CompletedTask;
        }

        lock (Written)
        {
            Written.Write(buffer.Span);
            WriteSizes.Add(buffer.Length);
        }

        return ValueTask.CompletedTask;
    }

    private async ValueTask WriteAfterAsync(Task gate, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        await WriteAsync(buffer, cancellationToken);
    }

    public override void Flush()
    {
    }


    // As a socket's: nothing to flush, done at once (the default would queue a work item per flush).

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
