using System.Text;
using C2Fast.Framing;
using C2Fast.Tests.Infrastructure;
using C2Fast.Tests.TestData;
using C2Fast.Transport;

namespace C2Fast.Tests.Framing;

/// <summary>The read loop over an in-memory stream: no sockets, exact control of how bytes arrive.</summary>
public class ReadLoopTests
{
    private static readonly C2FeedOptions Options = new() { CloseTimeout = TimeSpan.FromSeconds(2) };

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

    private static async Task<(RecordingHandler Handler, CloseResult Result, byte[] Written)> RunAsync(byte[] wire, int maxChunk, int? seed)
    {
        var stream = new ScriptedStream(wire, maxChunk, seed);
        await using var connection = WebSocketConnection.Over(TransportConnection.FromStream(stream, 4096), Options);
        var handler = new RecordingHandler();
        CloseResult result = await connection.RunAsync(handler).WaitAsync(TimeSpan.FromSeconds(30));
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

            Assert.Equal(1000, run.Result.Code);
            Assert.Equal("end", run.Result.Reason);

            // Every ping answered with its payload, in order, then exactly one close.
            List<TestFrame> frames = DecodeClientFrames(run.Written);
            Assert.Equal(pings, frames.Where(f => f.Opcode == TestFrames.OpPong).Select(f => f.PayloadText));
            Assert.Equal(1000, Assert.Single(frames, f => f.IsClose).CloseCode);
            Assert.True(frames[^1].IsClose);
        }
    }

    [Fact]
    public async Task EofWithoutClose_ConnectionLost()
    {
        var stream = new ScriptedStream(TestFrames.Text("only"), 100);
        await using var connection = WebSocketConnection.Over(TransportConnection.FromStream(stream, 4096), Options);
        var handler = new RecordingHandler();
        var ex = await Assert.ThrowsAsync<C2FeedException>(() => connection.RunAsync(handler));
        Assert.Equal(C2FeedError.ConnectionLost, ex.Error);
        Assert.Single(handler.Messages);
    }

    [Fact]
    public async Task EofInsideFrame_ConnectionLost()
    {
        byte[] frame = TestFrames.Text("truncated frame");
        var stream = new ScriptedStream(frame[..^3], 100);
        await using var connection = WebSocketConnection.Over(TransportConnection.FromStream(stream, 4096), Options);
        var ex = await Assert.ThrowsAsync<C2FeedException>(() => connection.RunAsync(new RecordingHandler()));
        Assert.Equal(C2FeedError.ConnectionLost, ex.Error);
    }

    [Fact]
    public async Task Liveness_AbortEndsPendingReadAsEndOfStream_StillTimeout()
    {
        // NetworkStream.Dispose shuts its socket down before closing it, so the read the watchdog interrupts
        // may end as a plain end of stream rather than an error: that is still the silence, not the server.
        var stream = new SilentStream();
        await using var connection = WebSocketConnection.Over(TransportConnection.FromStream(stream, 4096), Options);

        var ex = await Assert.ThrowsAsync<C2FeedException>(() => connection.RunAsync(new RecordingHandler(), TimeSpan.FromMilliseconds(200)).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(C2FeedError.Timeout, ex.Error);
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

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            _disposed.TrySetResult();
            base.Dispose(disposing);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64 * 1024)]
    public async Task PausingHandler_FramesEndingExactlyAtSegmentEnds_EveryMessageInOrder(int readAheadBytes)
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
        await using var connection = WebSocketConnection.Over(TransportConnection.FromStream(stream, 4096, readAheadBytes), Options);
        var handler = new PausingRecorder();
        CloseResult result = await connection.RunAsync(handler).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1000, result.Code);
        Assert.Equal(Enumerable.Range(0, Messages).Select(i => $"{i:D6}"), handler.Seen.Select(m => m[..6]));
        Assert.True(handler.Pauses > 50, $"{handler.Pauses} pauses");
    }

    [Fact]
    public async Task Backlog_LookedAheadBeforeItIsHandled_EachWholeTextMessageShownOnce()
    {
        // The pump reads everything while the loop is held in its first reply flush (if it got a read in before):
        // its next read is one backlog of ~900 KB, which the handler sees (whole unfragmented text messages only) before the loop
        // handles any of it, and then every message is handled in order as usual.
        const int Messages = 3000;
        var frames = new List<byte[]>();
        var lookable = new HashSet<int>();
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
                lookable.Add(i);
            }
        }

        frames.Add(TestFrames.Close(1000));
        var gate = new TaskCompletionSource();
        var stream = new ScriptedStream(TestFrames.Concat([.. frames]), 4096) { WriteGate = gate.Task };
        await using var connection = WebSocketConnection.Over(TransportConnection.FromStream(stream, 4096, readAheadBytes: 1024 * 1024), Options);
        var handler = new LookaheadRecorder();
        Task<CloseResult> run = connection.RunAsync(handler);
        await stream.EndOfInput.WaitAsync(TimeSpan.FromSeconds(10));
        gate.SetResult();
        CloseResult result = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1000, result.Code);
        Assert.Equal(Enumerable.Range(0, Messages), handler.Events.Where(e => !e.Ahead).Select(e => e.Index));

        // Shape: the first read's messages handled (none if the pump read everything before the loop's first
        // read), then the backlog's shown, then the backlog handled.
        int firstAhead = handler.Events.FindIndex(e => e.Ahead);
        Assert.InRange(firstAhead, 0, 14); // a 4 KiB read holds 13 messages
        int handledFirst = firstAhead;
        List<int> ahead = handler.Events.Skip(firstAhead).TakeWhile(e => e.Ahead).Select(e => e.Index).ToList();
        Assert.Equal(lookable.Where(i => i >= handledFirst), ahead);
        Assert.All(handler.Events.Skip(firstAhead + ahead.Count), e => Assert.False(e.Ahead));

        // The backlog is handed over in parts (MaxBytesPerRead each), not in one go at its end.
        int backlog = frames.Skip(handledFirst).Sum(f => f.Length);
        Assert.True(handler.ReadsCompleted > backlog / WebSocketConnection.MaxBytesPerRead, $"{handler.ReadsCompleted} reads completed for a {backlog}-byte backlog");
    }

    /// <summary>Records handled and looked-ahead messages by their 6-digit prefix; queues one reply on the first message.</summary>
    private sealed class LookaheadRecorder : IMessageHandler
    {
        public List<(bool Ahead, int Index)> Events { get; } = [];

        public bool OnMessage(WebSocketConnection connection, bool isText, ReadOnlySpan<byte> payload)
        {
            if (Events.Count == 0)
            {
                connection.QueueReply("first"u8); // its flush waits on the stream's write gate
            }

            Events.Add((false, int.Parse(Encoding.UTF8.GetString(payload[..6]))));
            return true;
        }

        public int ReadsCompleted { get; private set; }

        public void OnLookahead(WebSocketConnection connection, ReadOnlySpan<byte> payload) =>
            Events.Add((true, int.Parse(Encoding.UTF8.GetString(payload[..6]))));

        public void OnReadCompleted(WebSocketConnection connection) => ReadsCompleted++;

        public ValueTask WaitForCapacityAsync(WebSocketConnection connection, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    /// <summary>Records every message and asks for a pause after every seventh, resuming a moment later.</summary>
    private sealed class PausingRecorder : IMessageHandler
    {
        public List<string> Seen { get; } = [];

        public int Pauses { get; private set; }

        public bool OnMessage(WebSocketConnection connection, bool isText, ReadOnlySpan<byte> payload)
        {
            Seen.Add(Encoding.UTF8.GetString(payload));
            return Seen.Count % 7 != 0;
        }

        public void OnLookahead(WebSocketConnection connection, ReadOnlySpan<byte> payload)
        {
        }

        public void OnReadCompleted(WebSocketConnection connection)
        {
        }

        public async ValueTask WaitForCapacityAsync(WebSocketConnection connection, CancellationToken cancellationToken)
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
