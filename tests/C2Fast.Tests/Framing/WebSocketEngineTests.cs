using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using C2Fast.Framing;
using C2Fast.Tests.Infrastructure;
using C2Fast.Transport;

namespace C2Fast.Tests.Framing;

/// <summary>
/// The engine on its own, over in-memory pipes and a fake clock: liveness, pauses, the close handshake's
/// timeouts, and the read loop's contract with its <see cref="PipeReader"/>. No sockets, no real time.
/// </summary>
public class WebSocketEngineTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static (InMemoryTransport Transport, ScriptedServer Server, WebSocketEngine Engine, TestClock Clock) Create(TimeSpan? silence = null, TimeSpan? closeTimeout = null)
    {
        var clock = new TestClock();
        var transport = new InMemoryTransport();
        var engine = new WebSocketEngine(transport, new EngineSettings(1024 * 1024, closeTimeout ?? TimeSpan.FromSeconds(5), silence ?? Timeout.InfiniteTimeSpan, clock));
        return (transport, new ScriptedServer(transport), engine, clock);
    }

    [Fact]
    public async Task Silence_NoBytesForTheLimit_EndsWithSilenceTimeoutOnlyOnceTheLimitHasPassed()
    {
        var (_, server, engine, clock) = Create(silence: TimeSpan.FromSeconds(40));
        var handler = new RecordingHandler();
        Task<EngineOutcome> loop = engine.RunAsync(handler);
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(5), "the watchdog (a tick every eighth of the limit)");

        await server.SendAsync("hello");
        await handler.WaitForAsync(1, Bound);
        clock.Advance(TimeSpan.FromSeconds(39));
        Assert.False(loop.IsCompleted, "the loop ended before the silence limit");

        clock.Advance(TimeSpan.FromSeconds(6)); // the first tick past 40 s of silence
        EngineOutcome outcome = await loop.WaitAsync(Bound);
        Assert.Equal(EngineEnd.SilenceTimeout, outcome.End);
    }

    [Fact]
    public async Task Silence_WhileThePauseLasts_IsNotALostConnection()
    {
        var (_, server, engine, clock) = Create(silence: TimeSpan.FromSeconds(40));
        var handler = new PausingHandler(pauseAfter: 1);
        Task<EngineOutcome> loop = engine.RunAsync(handler);
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(5), "the watchdog");

        await server.SendAsync("first");
        await handler.Paused.Task.WaitAsync(Bound);
        clock.Advance(TimeSpan.FromSeconds(100));
        Assert.False(loop.IsCompleted, "a paused loop was treated as a silent server");

        handler.Release();
        await server.SendAsync("second");
        await server.WriteAsync(TestFrames.Close(1000));
        server.Transport.ServerClose();
        EngineOutcome outcome = await loop.WaitAsync(Bound);
        Assert.Equal(EngineEnd.Closed, outcome.End);
        Assert.Equal(["first", "second"], handler.Seen);
    }

    [Fact]
    public async Task CloseAsync_ServerNeverAnswers_EndsCloseUnansweredAfterTheCloseTimeout()
    {
        var (transport, server, engine, clock) = Create(closeTimeout: TimeSpan.FromSeconds(5));
        Task<EngineOutcome> loop = engine.RunAsync(new RecordingHandler());

        Task<EngineOutcome> closing = engine.CloseAsync(1000, "bye");
        TestFrame? close = await server.ReadFrameAsync();
        Assert.True(close!.IsClose);
        Assert.Equal(1000, close.CloseCode);
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(5), "the close timeout");
        Assert.False(closing.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(5));
        EngineOutcome outcome = await closing.WaitAsync(Bound);
        Assert.Equal(EngineEnd.CloseUnanswered, outcome.End);
        Assert.Equal(1006, outcome.CloseCode);
        Assert.Same(loop, engine.Completion);
        Assert.True(transport.ClientOutputCompleted);
    }

    [Fact]
    public async Task CloseAsync_ServerEchoes_ClosedWithItsCodeNotServerInitiated()
    {
        var (_, server, engine, _) = Create();
        Task<EngineOutcome> loop = engine.RunAsync(new RecordingHandler());

        Task<EngineOutcome> closing = engine.CloseAsync(1000, null);
        TestFrame? close = await server.ReadFrameAsync();
        await server.WriteAsync(TestFrames.Close(close!.CloseCode ?? 1000, "ok"));
        server.Transport.ServerClose();

        EngineOutcome outcome = await closing.WaitAsync(Bound);
        Assert.Equal(EngineEnd.Closed, outcome.End);
        Assert.Equal(1000, outcome.CloseCode);
        Assert.Equal("ok", outcome.CloseReason);
        Assert.False(outcome.ServerInitiated);
        Assert.Equal(outcome, await loop);
    }

    [Fact]
    public async Task QueueClose_FromTheHandler_SendsRepliesThenCloseAndDeliversNothingAfter()
    {
        var (_, server, engine, _) = Create();
        var handler = new ClosingHandler();
        Task<EngineOutcome> loop = engine.RunAsync(handler);

        // One write: the close is asked for on the second message; the third must not be delivered.
        await server.WriteAsync(TestFrames.Concat(TestFrames.Text("one"), TestFrames.Text("two"), TestFrames.Text("three")));
        Assert.Equal("re:one", (await server.ReadFrameAsync())!.PayloadText);
        Assert.Equal("re:two", (await server.ReadFrameAsync())!.PayloadText);
        TestFrame? close = await server.ReadFrameAsync();
        Assert.True(close!.IsClose);
        Assert.Equal(1000, close.CloseCode);

        await server.WriteAsync(TestFrames.Close(1000));
        server.Transport.ServerClose();
        EngineOutcome outcome = await loop.WaitAsync(Bound);
        Assert.Equal(EngineEnd.Closed, outcome.End);
        Assert.Equal(["one", "two"], handler.Seen);
    }

    [Fact]
    public async Task Read_PingTextPingInOneRead_OneAdvancePerReadAndBothPongsBeforeTheNextRead()
    {
        var clock = new TestClock();
        var transport = new InMemoryTransport();
        var counting = new CountingTransport(transport);
        var engine = new WebSocketEngine(counting, new EngineSettings(1024 * 1024, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan, clock));
        var server = new ScriptedServer(transport);
        var handler = new RecordingHandler();
        Task<EngineOutcome> loop = engine.RunAsync(handler);

        await server.WriteAsync(TestFrames.Concat(TestFrames.Ping("a"), TestFrames.Text("text"), TestFrames.Ping("b")));
        TestFrame? first = await server.ReadFrameAsync();
        TestFrame? second = await server.ReadFrameAsync();
        Assert.Equal((TestFrames.OpPong, "a"), (first!.Opcode, first.PayloadText));
        Assert.Equal((TestFrames.OpPong, "b"), (second!.Opcode, second.PayloadText));
        Assert.Equal("text", Encoding.UTF8.GetString(Assert.Single(handler.Messages).Payload));

        await server.WriteAsync(TestFrames.Close(1000));
        server.Transport.ServerClose();
        await loop.WaitAsync(Bound);
        Assert.Equal(counting.Reads, counting.Advances);
        Assert.Equal(0, counting.CancelledReads);
    }

    [Fact]
    public async Task Pause_ThePipeStopsTheReceivePump_AtItsThreshold()
    {
        // An endless stream of 100-byte text frames, read by the transport's async pump into its pipe.
        var stream = new EndlessFrames(100);
        var settings = new TransportSettings("test", 80, UseTls: false, ReceiveBufferSize: 4096);
        TransportConnection transport = TransportConnection.FromStream(stream, settings);
        var engine = new WebSocketEngine(transport, EngineSettings.Default);
        var handler = new PausingHandler(pauseAfter: 1);
        Task<EngineOutcome> loop = engine.RunAsync(handler);

        await handler.Paused.Task.WaitAsync(Bound);

        // Paused after one message: the pump has filled the pipe to its pause threshold and waits; had the loop marked the
        // rest examined, the writer would have resumed and flooded the pipe instead (and this line would never be reached).
        long bound = settings.PauseThresholdBytes + (2 * settings.ReceiveBufferSize);
        Assert.InRange(stream.BytesRead, settings.PauseThresholdBytes / 2, bound);
        Assert.InRange(transport.UnconsumedBytes, 0, bound);

        engine.Abort();
        Assert.Equal(EngineEnd.Aborted, (await loop.WaitAsync(Bound)).End);
        await transport.DisposeAsync();
    }

    [Fact]
    public async Task Abort_WhilePaused_EndsTheLoopAborted()
    {
        var (_, server, engine, _) = Create();
        var handler = new PausingHandler(pauseAfter: 1);
        Task<EngineOutcome> loop = engine.RunAsync(handler);
        await server.SendAsync("x");
        await handler.Paused.Task.WaitAsync(Bound);

        engine.Abort();
        Assert.Equal(EngineEnd.Aborted, (await loop.WaitAsync(Bound)).End);
    }

    [Fact]
    public async Task SendAsync_AfterOurClose_IsNotOpenAndWritesNothing()
    {
        var (_, server, engine, _) = Create();
        Task<EngineOutcome> loop = engine.RunAsync(new RecordingHandler());
        Task<EngineOutcome> closing = engine.CloseAsync(1000, null);
        Assert.True((await server.ReadFrameAsync())!.IsClose);

        Assert.Equal(SendResult.NotOpen, await engine.SendAsync("late"u8.ToArray(), isText: true));

        await server.WriteAsync(TestFrames.Close(1000));
        server.Transport.ServerClose();
        await closing.WaitAsync(Bound);
        Assert.Null(await server.ReadFrameAsync()); // nothing after the close frame, then the end
        await loop;
    }

    /// <summary>Records messages; asks for a pause after <c>pauseAfter</c> of them and holds it until released.</summary>
    private sealed class PausingHandler(int pauseAfter) : IMessageHandler
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<string> Seen { get; } = [];

        public TaskCompletionSource Paused { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _release.TrySetResult();

        public MessageAction OnMessage(WebSocketEngine engine, bool isText, ReadOnlySpan<byte> payload)
        {
            Seen.Add(Encoding.UTF8.GetString(payload));
            return Seen.Count == pauseAfter ? MessageAction.Pause : MessageAction.Continue;
        }

        public void OnReadCompleted(WebSocketEngine engine)
        {
        }

        public void OnRepliesWritten(int count)
        {
        }

        public async ValueTask WaitForCapacityAsync(WebSocketEngine engine, CancellationToken cancellationToken)
        {
            Paused.TrySetResult();
            await _release.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Replies to each message; asks for the close handshake on the second.</summary>
    private sealed class ClosingHandler : IMessageHandler
    {
        public List<string> Seen { get; } = [];

        public MessageAction OnMessage(WebSocketEngine engine, bool isText, ReadOnlySpan<byte> payload)
        {
            string text = Encoding.UTF8.GetString(payload);
            Seen.Add(text);
            engine.QueueReply(Encoding.UTF8.GetBytes("re:" + text));
            if (Seen.Count == 2)
            {
                engine.QueueClose(1000, "enough");
            }

            return MessageAction.Continue;
        }

        public void OnReadCompleted(WebSocketEngine engine)
        {
        }

        public void OnRepliesWritten(int count)
        {
        }

        public ValueTask WaitForCapacityAsync(WebSocketEngine engine, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    /// <summary>Counts the reader calls the loop makes: every read must be followed by exactly one <c>AdvanceTo</c>.</summary>
    private sealed class CountingTransport(ITransport inner) : ITransport
    {
        private readonly CountingReader _input = new(inner.Input);

        public int Reads => _input.Reads;

        public int Advances => _input.Advances;

        public int CancelledReads => _input.Cancelled;

        public PipeReader Input => _input;

        public PipeWriter Output => inner.Output;

        public void Abort() => inner.Abort();

        public ValueTask DisposeAsync() => inner.DisposeAsync();

        private sealed class CountingReader(PipeReader reader) : PipeReader
        {
            public int Reads;
            public int Advances;
            public int Cancelled;

            public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

            public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
            {
                Advances++;
                reader.AdvanceTo(consumed, examined);
            }

            public override void CancelPendingRead() => reader.CancelPendingRead();

            public override void Complete(Exception? exception = null) => reader.Complete(exception);

            public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
            {
                ReadResult result = await reader.ReadAsync(cancellationToken);
                Reads++;
                if (result.IsCanceled)
                {
                    Cancelled++;
                }

                return result;
            }

            public override bool TryRead(out ReadResult result)
            {
                bool read = reader.TryRead(out result);
                if (read)
                {
                    Reads++;
                }

                return read;
            }
        }
    }

    /// <summary>Text frames of a fixed size, forever, read synchronously; writes are discarded.</summary>
    private sealed class EndlessFrames(int size) : Stream
    {
        private readonly byte[] _frame = TestFrames.Text(new string('x', size - 2));
        private long _position;

        public long BytesRead => Interlocked.Read(ref _position);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(Span<byte> buffer)
        {
            long position = _position;
            for (int i = 0; i < buffer.Length; i++)
            {
                buffer[i] = _frame[(int)((position + i) % _frame.Length)];
            }

            Interlocked.Add(ref _position, buffer.Length);
            return buffer.Length;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

        public override void Write(byte[] buffer, int offset, int count)
        {
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public override void Flush()
        {
        }


        // As a socket's: nothing to flush, done at once (the default would queue a work item per flush).

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
