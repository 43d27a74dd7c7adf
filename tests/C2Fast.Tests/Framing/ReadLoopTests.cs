using System.Text;
using C2Fast.Framing;
using C2Fast.Session;
using C2Fast.Tests.Infrastructure;
using C2Fast.Tests.TestData;
using C2Fast.Transport;

namespace C2Fast.Tests.Framing;

/// <summary>The read loop over an in-memory stream: no sockets, exact control of how bytes arrive.</summary>
public class ReadLoopTests
{
    private static readonly EngineSettings Settings = EngineSettings.Default with { CloseTimeout = TimeSpan.FromSeconds(2) };

    private static TransportConnection Transport(Stream stream, int blockSize = 4096) =>
        TransportConnection.FromStream(stream, new TransportSettings("test", 80, UseTls: false, ReceiveBufferSize: blockSize));

    // How the session reports an outcome to the application (closing = false: nobody asked for the end).
    private static C2FeedError? PublicError(EngineOutcome outcome) => FeedErrors.From(outcome, closing: false, null, TimeSpan.FromSeconds(40))?.Error;

    /// <summary>A seeded random stream of messages: text/binary, whole or fragmented, pings in between.</summary>
    private static (byte[] Wire, List<ReceivedMessage> Expected, List<string> Pings) RandomStream(int seed, int messages)
    {
        var random = new Random(seed);
        var wire = new List<byte[]>();
        var expected = new List<ReceivedMessage>();
        var pings = new List<string>();
        for (int i = 0; i < messages; i++)
        {
            bool text = random.Next(2) == 0;
            int size = random.Next(4) switch { 0 => random.Next(0, 126), 1 => random.Next(126, 70000), _ => random.Next(0, 600) };
            byte[] payload = text
                ? Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, size / 3).Select(j => "aκ😀"[j % 3].ToString())))
                : Enumerable.Range(0, size).Select(j => (byte)random.Next(256)).ToArray();
            if (text && random.Next(3) == 0)
            {
                // Fragments that may cut code points in half, with a ping in the middle.
                int cut1 = random.Next(0, payload.Length + 1);
                int cut2 = random.Next(cut1, payload.Length + 1);
                string ping = $"ping {i}";
                pings.Add(ping);
                wire.Add(TestFrames.Server(TestFrames.OpText, payload.AsSpan(0, cut1), fin: false));
                wire.Add(TestFrames.Ping(ping));
                wire.Add(TestFrames.Server(TestFrames.OpContinuation, payload.AsSpan(cut1, cut2 - cut1), fin: false));
                wire.Add(TestFrames.Server(TestFrames.OpContinuation, payload.AsSpan(cut2), fin: true));
            }
            else
            {
                wire.Add(TestFrames.Server(text ? TestFrames.OpText : TestFrames.OpBinary, payload));
            }

            expected.Add(new ReceivedMessage(text, payload));
        }

        wire.Add(TestFrames.Close(1000, "end"));
        return (TestFrames.Concat([.. wire]), expected, pings);
    }

    private static async Task<(RecordingHandler Handler, EngineOutcome Result, byte[] Written)> RunAsync(byte[] wire, int maxChunk, int? seed)
    {
        var stream = new ScriptedStream(wire, maxChunk, seed);
        await using TransportConnection transport = Transport(stream);
        await using var engine = new WebSocketEngine(transport, Settings);
        var handler = new RecordingHandler();
        EngineOutcome result = await engine.RunAsync(handler).WaitAsync(TimeSpan.FromSeconds(30));
        return (handler, result, stream.Written.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task RandomStream_WholeAndChunkedAtRandom_DecodeTheSame(int seed)
    {
        (byte[] wire, List<ReceivedMessage> expected, List<string> pings) = RandomStream(seed, 200);

        var whole = await RunAsync(wire, int.MaxValue, null);
        var chunked = await RunAsync(wire, 300, seed);
        var bytewise = await RunAsync(wire, 1, null);

        foreach (var run in new[] { whole, chunked, bytewise })
        {
            Assert.Equal(expected.Count, run.Handler.Messages.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].IsText, run.Handler.Messages[i].IsText);
                Assert.Equal(expected[i].Payload, run.Handler.Messages[i].Payload);
            }

            Assert.Equal(EngineEnd.Closed, run.Result.End);
            Assert.Equal(1000, run.Result.CloseCode);
            Assert.Equal("end", run.Result.CloseReason);

            // Every ping answered with its payload, in order, then exactly one close.
            List<TestFrame> frames = DecodeClientFrames(run.Written);
            Assert.Equal(pings, frames.Where(f => f.Opcode == TestFrames.OpPong).Select(f => f.PayloadText));
            Assert.Equal(1000, Assert.Single(frames, f => f.IsClose).CloseCode);
            Assert.True(frames[^1].IsClose);
        }
    }

    [Fact]
    public async Task EofWithoutClose_TransportClosed_ReportedAsConnectionLost()
    {
        var stream = new ScriptedStream(TestFrames.Text("only"), 100);
        await using TransportConnection transport = Transport(stream);
        await using var engine = new WebSocketEngine(transport, Settings);
        var handler = new RecordingHandler();
        EngineOutcome outcome = await engine.RunAsync(handler).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(EngineEnd.TransportClosed, outcome.End);
        Assert.Equal(C2FeedError.ConnectionLost, PublicError(outcome));
        Assert.Single(handler.Messages);
    }

    [Fact]
    public async Task EofInsideFrame_TransportClosed_ReportedAsConnectionLost()
    {
        byte[] frame = TestFrames.Text("truncated frame");
        var stream = new ScriptedStream(frame[..^3], 100);
        await using TransportConnection transport = Transport(stream);
        await using var engine = new WebSocketEngine(transport, Settings);
        EngineOutcome outcome = await engine.RunAsync(new RecordingHandler()).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(EngineEnd.TransportClosed, outcome.End);
        Assert.Equal(C2FeedError.ConnectionLost, PublicError(outcome));
    }

    [Fact]
    public async Task Liveness_ReadThatNeverEnds_SilenceEndsTheLoopThroughItsOwnPipe_ReportedAsTimeout()
    {
        // Nothing ever arrives and the stream's read never ends by itself (a half-open connection): the watchdog stops
        // the loop through the pipe (a cancelled read), without touching the stream; disposing the transport then ends the read.
        var stream = new SilentStream();
        var clock = new TestClock();
        TransportConnection transport = Transport(stream);
        var engine = new WebSocketEngine(transport, Settings with { SilenceTimeout = TimeSpan.FromSeconds(40), Time = clock });
        Task<EngineOutcome> loop = engine.RunAsync(new RecordingHandler());
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(5), "the watchdog");

        clock.Advance(TimeSpan.FromSeconds(45));
        EngineOutcome outcome = await loop.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(EngineEnd.SilenceTimeout, outcome.End);
        Assert.Equal(C2FeedError.Timeout, PublicError(outcome));
        Assert.False(stream.ReadEndedByDispose);
        await engine.DisposeAsync();
        await transport.DisposeAsync();
        Assert.True(stream.ReadEndedByDispose);
    }

    /// <summary>Nothing ever arrives; disposing it ends a pending read with 0 bytes (end of stream), as a shut-down socket does.</summary>
    private sealed class SilentStream : Stream
    {
        private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool ReadEndedByDispose { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _disposed.Task.WaitAsync(cancellationToken);
            ReadEndedByDispose = true;
            return 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

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

        protected override void Dispose(bool disposing)
        {
            _disposed.TrySetResult();
            base.Dispose(disposing);
        }
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(1024)]
    public async Task PausingHandler_FramesEndingExactlyAtSegmentEnds_EveryMessageInOrder(int blockSize)
    {
        // 256-byte frames, one per read, into 4 KiB pipe segments: while the handler pauses, reads pile up
        // and frames end exactly where segments end. (A loop that took "the rest is one segment" for "the
        // rest is incomplete" stopped there, with complete messages unread, and waited for bytes that never came.)
        const int Messages = 600;
        var frames = new List<byte[]>();
        for (int i = 0; i < Messages; i++)
        {
            frames.Add(TestFrames.Text($"{i:D6}".PadRight(252, '.')));
        }

        frames.Add(TestFrames.Close(1000));
        Assert.All(frames.Take(Messages), f => Assert.Equal(256, f.Length));
        var stream = new ScriptedStream(TestFrames.Concat([.. frames]), 256);
        await using TransportConnection transport = Transport(stream, blockSize);
        await using var engine = new WebSocketEngine(transport, Settings);
        var handler = new PausingRecorder();
        EngineOutcome result = await engine.RunAsync(handler).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1000, result.CloseCode);
        Assert.Equal(Enumerable.Range(0, Messages).Select(i => $"{i:D6}"), handler.Seen.Select(m => m[..6]));
        Assert.True(handler.Pauses > 50, $"{handler.Pauses} pauses");
    }

    [Fact]
    public async Task Backlog_HandledInOrderAndHandedOverInParts()
    {
        // The pump reads everything while the loop is held in its first reply flush (if it got a read in before): its
        // next read is one backlog of ~900 KB, which is handled in order and handed over (OnReadCompleted: consumers
        // woken, replies flushed) every MaxBytesPerRead, not in one go at its end.
        const int Messages = 3000;
        var frames = new List<byte[]>();
        for (int i = 0; i < Messages; i++)
        {
            string text = $"{i:D6}".PadRight(300, '.');
            if (i % 50 == 25)
            {
                frames.Add(TestFrames.Text(text[..100], fin: false));
                frames.Add(TestFrames.Server(TestFrames.OpContinuation, Encoding.UTF8.GetBytes(text[100..200]), fin: false));
                frames.Add(TestFrames.Server(TestFrames.OpContinuation, Encoding.UTF8.GetBytes(text[200..]), fin: true));
            }
            else if (i % 70 == 35)
            {
                frames.Add(TestFrames.Binary(Encoding.UTF8.GetBytes(text)));
            }
            else
            {
                frames.Add(TestFrames.Text(text));
            }
        }

        frames.Add(TestFrames.Close(1000));
        var gate = new TaskCompletionSource();
        var stream = new ScriptedStream(TestFrames.Concat([.. frames]), 4096) { WriteGate = gate.Task };
        await using TransportConnection transport = Transport(stream);
        await using var engine = new WebSocketEngine(transport, Settings);
        var handler = new BacklogRecorder();
        Task<EngineOutcome> run = engine.RunAsync(handler);
        await stream.EndOfInput.WaitAsync(TimeSpan.FromSeconds(10));
        gate.SetResult();
        EngineOutcome result = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1000, result.CloseCode);
        Assert.Equal(Enumerable.Range(0, Messages), handler.Seen);
        int backlog = frames.Skip(handler.SeenAtFirstReadCompleted).Sum(f => f.Length);
        Assert.True(handler.ReadsCompleted > backlog / WebSocketEngine.MaxBytesPerRead, $"{handler.ReadsCompleted} reads completed for a {backlog}-byte backlog");
    }

    /// <summary>Records messages by their 6-digit prefix; queues one reply on the first message (its flush waits on the stream's gate).</summary>
    private sealed class BacklogRecorder : IMessageHandler
    {
        public List<int> Seen { get; } = [];

        public int ReadsCompleted { get; private set; }

        public int SeenAtFirstReadCompleted { get; private set; }

        public MessageAction OnMessage(WebSocketEngine engine, bool isText, ReadOnlySpan<byte> payload)
        {
            if (Seen.Count == 0)
            {
                engine.QueueReply("first"u8);
            }

            Seen.Add(int.Parse(Encoding.UTF8.GetString(payload[..6])));
            return MessageAction.Continue;
        }

        public void OnReadCompleted(WebSocketEngine engine)
        {
            if (ReadsCompleted++ == 0)
            {
                SeenAtFirstReadCompleted = Seen.Count;
            }
        }

        public void OnRepliesWritten(int count)
        {
        }

        public ValueTask WaitForCapacityAsync(WebSocketEngine engine, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    /// <summary>Records every message and asks for a pause after every seventh, resuming a moment later.</summary>
    private sealed class PausingRecorder : IMessageHandler
    {
        public List<string> Seen { get; } = [];

        public int Pauses { get; private set; }

        public MessageAction OnMessage(WebSocketEngine engine, bool isText, ReadOnlySpan<byte> payload)
        {
            Seen.Add(Encoding.UTF8.GetString(payload));
            return Seen.Count % 7 != 0 ? MessageAction.Continue : MessageAction.Pause;
        }

        public void OnReadCompleted(WebSocketEngine engine)
        {
        }

        public void OnRepliesWritten(int count)
        {
        }

        public async ValueTask WaitForCapacityAsync(WebSocketEngine engine, CancellationToken cancellationToken)
        {
            Pauses++;
            await Task.Delay(1, cancellationToken);
        }
    }

    private static List<TestFrame> DecodeClientFrames(byte[] written)
    {
        var frames = new List<TestFrame>();
        int offset = 0;
        while (TestFrames.TryDecodeClientFrame(written.AsSpan(offset), out TestFrame? frame, out int consumed))
        {
            Assert.True(frame!.Masked);
            frames.Add(frame);
            offset += consumed;
        }

        Assert.Equal(written.Length, offset);
        return frames;
    }
}
