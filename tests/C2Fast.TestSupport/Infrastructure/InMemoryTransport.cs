using System.IO.Pipelines;
using C2Fast.Transport;

namespace C2Fast.Tests.Infrastructure;

/// <summary>
/// A transport made of two in-memory pipes: what the client writes, <see cref="Server"/> reads, and the other
/// way round. No sockets: for engine and session tests that drive the bytes (and the clock) themselves.
/// </summary>
internal sealed class InMemoryTransport : ITransport
{
    private readonly Pipe _toClient = new(new PipeOptions(useSynchronizationContext: false));
    private readonly Pipe _toServer = new(new PipeOptions(useSynchronizationContext: false));
    private int _aborted;

    private readonly PipeWriter _output;
    private readonly PipeReader _input;
    private readonly List<(int Count, TaskCompletionSource Done)> _readWaiters = [];
    private int _reads;

    public InMemoryTransport()
    {
        Server = new DuplexPipe(_toServer.Reader, _toClient.Writer);
        _output = new CompletionTrackingWriter(this, _toServer.Writer);
        _input = new ReadCountingReader(this, _toClient.Reader);
    }

    /// <summary>How many reads the client has started on <see cref="Input"/>.</summary>
    public int Reads => Volatile.Read(ref _reads);

    /// <summary>
    /// Completes once the client has started its <paramref name="count"/>th read: with one write before it, the client
    /// has taken in everything written so far and waits for more.
    /// </summary>
    public Task WaitForReadsAsync(int count)
    {
        lock (_readWaiters)
        {
            if (_reads >= count)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _readWaiters.Add((count, done));
            return done.Task;
        }
    }

    private void ReadStarted()
    {
        lock (_readWaiters)
        {
            _reads++;
            for (int i = _readWaiters.Count - 1; i >= 0; i--)
            {
                if (_readWaiters[i].Count <= _reads)
                {
                    _readWaiters[i].Done.TrySetResult();
                    _readWaiters.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>The server's end: <c>Input</c> is what the client sent, <c>Output</c> reaches the client.</summary>
    public IDuplexPipe Server { get; }

    /// <summary>Whether the client aborted or disposed the transport.</summary>
    public bool Aborted => Volatile.Read(ref _aborted) != 0;

    /// <summary>Whether the client completed its output (a half-close, or the end of the connection).</summary>
    public bool ClientOutputCompleted { get; private set; }

    public PipeReader Input => _input;

    public PipeWriter Output => _output;

    /// <summary>Ends the server's sending side: the client's reads then see the end of the stream.</summary>
    public void ServerClose() => _toClient.Writer.Complete();

    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            _toClient.Writer.Complete(new IOException("The connection was aborted."));
            _toServer.Writer.Complete();
        }
    }

    public ValueTask DisposeAsync()
    {
        Abort();
        _input.Complete();
        return ValueTask.CompletedTask;
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }

    private sealed class ReadCountingReader(InMemoryTransport owner, PipeReader inner) : PipeReader
    {
        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            owner.ReadStarted();
            return inner.ReadAsync(cancellationToken);
        }

        public override bool TryRead(out ReadResult result) => inner.TryRead(out result);
    }

    private sealed class CompletionTrackingWriter(InMemoryTransport owner, PipeWriter inner) : PipeWriter
    {
        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void Complete(Exception? exception = null)
        {
            owner.ClientOutputCompleted = true;
            inner.Complete(exception);
        }
    }
}
