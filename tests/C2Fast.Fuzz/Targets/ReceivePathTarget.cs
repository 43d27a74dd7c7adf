using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Numerics;
using System.Reflection;
using C2Fast.Diagnostics;
using C2Fast.Framing;
using C2Fast.Protocol;
using C2Fast.Session;
using C2Fast.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace C2Fast.Fuzz.Targets;

/// <summary>
/// The whole receive path: server bytes through the transport's receive pump and pipe, the
/// <see cref="WebSocketEngine"/> read loop and the session's <see cref="SessionMessageHandler"/> (envelope parse,
/// heartbeat acks, duplicates, inline delivery), with the client's writes captured in a sink. Input: byte 0 picks the
/// limits (bits 0-1 the maximum message size 1024/16/125/65536, bits 2-3 the receive block size 4096/256/1024/65536,
/// bit 4 the JSON depth limit 64/3); then a chunk plan (<see cref="ChunkPlan"/>, sizes 1-256) says how the stream
/// hands the bytes over; the rest (up to 16 KiB) is what the server sent, then the stream ends.
/// </summary>
/// <remarks>
/// Each input runs twice, in the input's chunks and whole, each time on a frozen clock (no timer ever fires: the run
/// can only end through its bytes) and bounded by 10 s of real time (a hang is a finding). Invariants, against
/// <see cref="WireModel"/> (RFC 6455 read independently): the loop never faults and ends Closed (the server's code and
/// reason), ProtocolError (the rule broken and its documented close code: 1007 bad UTF-8, 1009 too big, else 1002)
/// or TransportClosed; the engine hands over exactly the model's messages, in order, bytes equal; the public error
/// (<see cref="FeedErrors"/>) has the matching type and close status; the sink holds only masked, unfragmented client
/// frames: a pong per ping with its payload and a heartbeat.ack per heartbeat, in arrival order, then exactly one
/// close frame with the right code when the connection was closed or failed, and none after EOF; the inline handler
/// sees exactly the messages the session must deliver (not heartbeats, acks, errors, connection.connected, duplicates
/// or unparsable ones), and counters and protocol-error events agree; memory stays bounded: the assembly buffer within
/// the maximum message size (rounded up to the pool's power of two), the reply buffer within a few times the bytes
/// read, the pipe's unconsumed bytes within the pause threshold plus one frame, and every receive block is returned.
/// </remarks>
internal sealed class ReceivePathTarget : IFuzzTarget
{
    private const int MaxWire = 16 * 1024;

    private static readonly TimeSpan HangBound = TimeSpan.FromSeconds(10);
    private static readonly int[] MaxMessageSizes = [1024, 16, 125, 65536];
    private static readonly int[] BlockSizes = [4096, 256, 1024, 65536];
    private static readonly FieldInfo AssemblyField = EngineField("_assembly");
    private static readonly FieldInfo RepliesField = EngineField("_replies");

    public string Name => "receive-path";

    public string Description => "transport pump → WebSocketEngine → SessionMessageHandler over in-memory streams vs an RFC 6455 model";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        var config = new Config(MaxMessageSizes[input[0] & 3], BlockSizes[(input[0] >> 2) & 3], (input[0] & 0x10) != 0 ? 3 : 64);
        ChunkPlan plan = ChunkPlan.Read(input[1..], zeroAllowed: false);
        byte[] wire = plan.Data[..Math.Min(plan.Data.Length, MaxWire)].ToArray();

        WireModel model = WireModel.Decode(wire, config.MaxMessageSize);
        SessionModel session = SessionModel.From(model, config.MaxJsonDepth);

        Check(model, session, Observe(wire, plan.Sizes, config), wire, $"{config}, chunks [{string.Join(',', plan.Sizes)}]");
        if (plan.Sizes.Length != 0)
        {
            Check(model, session, Observe(wire, [], config), wire, $"{config}, whole");
        }
    }

    private static void Check(WireModel model, SessionModel session, Observed run, byte[] wire, string at)
    {
        EngineOutcome outcome = run.Outcome;
        if (outcome.End == EngineEnd.Faulted)
        {
            throw new InvariantViolationException($"the read loop faulted ({at})", outcome.Exception!);
        }

        Invariant.Equal(model.End, outcome.End, $"how the connection ended ({at}; {outcome})");
        Invariant.Equal(model.CloseCode, outcome.CloseCode, $"close code ({at})");
        Invariant.Equal(model.Error, outcome.Error, $"error ({at})");
        Invariant.Equal(model.CloseReason, outcome.CloseReason, $"close reason ({at})");
        Invariant.Equal(model.End == EngineEnd.Closed, outcome.ServerInitiated, $"server initiated ({at})");

        // The typed error the application would see.
        C2FeedException? error = FeedErrors.From(outcome, closing: false, null, TimeSpan.FromSeconds(40));
        (C2FeedError expectedError, int? status) = model.End switch
        {
            EngineEnd.Closed => (C2FeedError.ConnectionClosed, model.CloseCode),
            EngineEnd.ProtocolError => (model.Error switch
            {
                FrameError.InvalidUtf8 or FrameError.InvalidCloseReasonUtf8 => C2FeedError.InvalidUtf8,
                FrameError.MessageTooBig => C2FeedError.MessageTooBig,
                _ => C2FeedError.ProtocolViolation,
            }, model.CloseCode),
            _ => (C2FeedError.ConnectionLost, (int?)null),
        };
        Invariant.True(error is not null && error.Error == expectedError && error.CloseStatus == status, $"public error {error?.Error} (close status {error?.CloseStatus}), expected {expectedError} ({status}) ({at})");

        // The engine hands over the model's messages, in order.
        List<WireEvent> messages = model.Events.Where(e => !e.IsPing).ToList();
        Invariant.Equal(messages.Count, run.Messages.Count, $"messages handed over ({at})");
        for (int i = 0; i < messages.Count; i++)
        {
            Invariant.Equal(messages[i].IsText, run.Messages[i].IsText, $"message {i} text/binary ({at})");
            Invariant.SequenceEqual(messages[i].Payload, run.Messages[i].Payload, $"message {i} ({at})");
        }

        CheckSink(model, session, run.Written, at);

        // What the session did with them.
        Invariant.Equal(session.Delivered.Count, run.Delivered.Count, $"messages delivered to the inline handler ({at})");
        for (int i = 0; i < session.Delivered.Count; i++)
        {
            (byte[] json, long? seq, long? strategy) = session.Delivered[i];
            Invariant.SequenceEqual(json, run.Delivered[i].Json, $"delivered message {i} ({at})");
            Invariant.Equal(seq, run.Delivered[i].SeqId, $"delivered message {i} seq_id ({at})");
            Invariant.Equal(strategy, run.Delivered[i].StrategyId, $"delivered message {i} strategy_id ({at})");
        }

        FeedCountersSnapshot counters = run.Counters;
        Invariant.Equal((long)messages.Count, counters.MessagesReceived, $"MessagesReceived ({at})");
        Invariant.Equal((long)session.ProtocolErrors.Count, counters.ProtocolErrors, $"ProtocolErrors ({at})");
        Invariant.Equal((long)session.Heartbeats, counters.HeartbeatsAcknowledged, $"HeartbeatsAcknowledged ({at})");
        Invariant.Equal((long)session.Gaps, counters.Gaps, $"Gaps ({at})");
        Invariant.Equal((long)session.Duplicates, counters.DuplicatesDiscarded, $"DuplicatesDiscarded ({at})");
        Invariant.Equal((long)session.Delivered.Count, counters.MessagesDelivered, $"MessagesDelivered ({at})");
        Invariant.Equal(session.ProtocolErrors.Count, run.ProtocolErrorEvents.Count, $"protocol-error events ({at})");
        for (int i = 0; i < session.ProtocolErrors.Count; i++)
        {
            Invariant.SequenceEqual(session.ProtocolErrors[i], run.ProtocolErrorEvents[i], $"protocol-error event {i} raw message ({at})");
        }

        // Memory bounds.
        long assemblyBound = (long)BitOperations.RoundUpToPowerOf2((uint)run.Config.MaxMessageSize);
        Invariant.True(run.AssemblyCapacity <= assemblyBound, $"assembly buffer of {run.AssemblyCapacity} B for messages of at most {run.Config.MaxMessageSize} B ({at})");
        Invariant.True(run.RepliesCapacity <= 256 + (8L * wire.Length), $"reply buffer of {run.RepliesCapacity} B after {wire.Length} B read ({at})");
        Invariant.Equal(0L, run.UnconsumedAfterDispose, $"receive blocks still out after disposal ({at})");
    }

    /// <summary>The client's frames: masked, whole, replies in arrival order, then the close frame if any.</summary>
    private static void CheckSink(WireModel model, SessionModel session, byte[] written, string at)
    {
        var frames = new List<(int Opcode, byte[] Payload)>();
        ReadOnlySpan<byte> rest = written;
        while (!rest.IsEmpty)
        {
            Invariant.True(rest.Length >= 2, $"a truncated client frame ({at})");
            int b0 = rest[0], b1 = rest[1];
            Invariant.True((b0 & 0x80) != 0 && (b0 & 0x70) == 0, $"client frame header {b0:x2}: fragmented or RSV set ({at})");
            Invariant.True((b1 & 0x80) != 0, $"an unmasked client frame (RFC 6455 §5.3) ({at})");
            int length7 = b1 & 0x7F;
            int headerLength = length7 == 126 ? 4 : length7 == 127 ? 10 : 2;
            Invariant.True(rest.Length >= headerLength + 4, $"a truncated client frame header ({at})");
            long length = length7 == 126 ? BinaryPrimitives.ReadUInt16BigEndian(rest[2..]) : length7 == 127 ? (long)BinaryPrimitives.ReadUInt64BigEndian(rest[2..]) : length7;
            Invariant.True(length7 < 126 || (length7 == 126 ? length >= 126 : length > 0xFFFF), $"a client frame length not in its shortest form ({at})");
            Invariant.True(rest.Length - headerLength - 4 >= length, $"a truncated client frame payload ({at})");
            ReadOnlySpan<byte> mask = rest.Slice(headerLength, 4);
            byte[] payload = rest.Slice(headerLength + 4, (int)length).ToArray();
            for (int i = 0; i < payload.Length; i++)
            {
                payload[i] ^= mask[i & 3];
            }

            frames.Add((b0 & 0x0F, payload));
            rest = rest[(headerLength + 4 + (int)length)..];
        }

        int replies = frames.Count - (model.End is EngineEnd.Closed or EngineEnd.ProtocolError ? 1 : 0);
        Invariant.Equal(session.Replies.Count, replies, $"client replies (pongs and heartbeat acks) ({at})");
        for (int i = 0; i < session.Replies.Count; i++)
        {
            byte[]? pong = session.Replies[i];
            if (pong is null)
            {
                Invariant.True(frames[i].Opcode == 1 && frames[i].Payload.AsSpan().StartsWith("{\"msg_type\":\"heartbeat.ack\",\"timestamp\":\""u8), $"reply {i} should be a heartbeat.ack ({at})");
            }
            else
            {
                Invariant.Equal(0xA, frames[i].Opcode, $"reply {i} should be a pong ({at})");
                Invariant.SequenceEqual(pong, frames[i].Payload, $"pong {i} payload ({at})");
            }
        }

        if (replies < frames.Count)
        {
            (int opcode, byte[] payload) = frames[^1];
            Invariant.Equal(0x8, opcode, $"the last client frame should be a close ({at})");
            int code = model.End == EngineEnd.Closed && model.CloseCode == CloseFrame.NoStatus ? CloseFrame.NoStatus : model.CloseCode;
            if (code == CloseFrame.NoStatus)
            {
                Invariant.Equal(0, payload.Length, $"an echo of a close without a code carries none ({at})");
            }
            else
            {
                Invariant.True(payload.Length == 2 && BinaryPrimitives.ReadUInt16BigEndian(payload) == code, $"our close frame {Invariant.Hex(payload)}, expected code {code} ({at})");
            }
        }
    }

    private static Observed Observe(byte[] wire, int[] sizes, Config config)
    {
        var gate = new TaskCompletionSource();
        var stream = new ScriptedInput(wire, sizes, gate.Task);
        var transportSettings = new TransportSettings("fuzz", 80, UseTls: false, ReceiveBufferSize: config.BlockSize, ReceiveThread: false);
        var transport = TransportConnection.FromStream(stream, transportSettings);
        var engine = new WebSocketEngine(transport, new EngineSettings(config.MaxMessageSize, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan, FrozenTime.Instance));

        var delivered = new List<DeliveredMessage>();
        var options = new C2FeedOptions { TimeProvider = FrozenTime.Instance, Tuning = new C2TuningOptions { MaxJsonDepth = config.MaxJsonDepth } };
        var context = new SessionContext(options, message => delivered.Add(new DeliveredMessage(message.Json.ToArray(), message.SeqId, message.StrategyId)), new object(), NullLogger.Instance);
        var events = new List<byte[]>();
        context.Events.ProtocolErrorEvent += (_, e) =>
        {
            lock (events)
            {
                events.Add(e.RawMessage.ToArray());
            }
        };

        long pipeBound = transportSettings.PauseThresholdBytes + config.MaxMessageSize + FrameHeaderParser.MaxHeaderLength + (2L * config.BlockSize);
        var recorder = new Recorder(new SessionMessageHandler(context), transport, pipeBound);
        Task<EngineOutcome> loop = engine.RunAsync(recorder);
        gate.SetResult(); // the pump starts; with inline pipe schedulers the loop runs on this thread, chunk by chunk
        if (!loop.Wait(HangBound))
        {
            engine.Abort();
            throw new InvariantViolationException($"the read loop did not end within {HangBound.TotalSeconds} s after the stream ended (a hang)");
        }

        EngineOutcome outcome = loop.Result;
        int assembly = ((byte[])AssemblyField.GetValue(engine)!).Length;
        int replies = ((byte[])RepliesField.GetValue(engine)!).Length;
        Bounded(engine.DisposeAsync(), "disposing the engine");
        AwaitStopCallback(transport);
        Bounded(transport.DisposeAsync(), "disposing the transport");
        long unconsumed = transport.UnconsumedBytes;
        Bounded(context.Events.DisposeAsync(), "draining the events");

        FeedCounters c = context.Counters;
        var counters = new FeedCountersSnapshot(c.MessagesReceived, c.ProtocolErrors, c.HeartbeatsAcknowledged, c.Gaps, c.DuplicatesDiscarded, c.MessagesDelivered);
        List<byte[]> raised;
        lock (events)
        {
            raised = [.. events];
        }

        return new Observed(config, outcome, recorder.Messages, delivered, stream.Written.ToArray(), counters, raised, assembly, replies, unconsumed);
    }

    // Disposing the engine wakes its (finished) loop with CancelPendingRead from a pool thread. Under AFL that callback,
    // instrumented code on another thread, would land in the next run's coverage; so the run ends only once the
    // cancellation is visible on the pipe (bounded).
    private static void AwaitStopCallback(TransportConnection transport)
    {
        var spin = default(SpinWait);
        long deadline = Environment.TickCount64 + (long)HangBound.TotalMilliseconds;
        while (true)
        {
            if (transport.Input.TryRead(out ReadResult result))
            {
                transport.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                if (result.IsCanceled)
                {
                    return;
                }
            }

            Invariant.True(Environment.TickCount64 < deadline, $"disposing the engine did not cancel its pipe's read within {HangBound.TotalSeconds} s");
            spin.SpinOnce();
        }
    }

    private static void Bounded(ValueTask task, string what)
        => Invariant.True(task.AsTask().Wait(HangBound), $"{what} did not finish within {HangBound.TotalSeconds} s");

    private static FieldInfo EngineField(string name)
        => typeof(WebSocketEngine).GetField(name, BindingFlags.NonPublic | BindingFlags.Instance)
           ?? throw new InvalidOperationException($"WebSocketEngine.{name} is gone: update the receive-path fuzz target's memory bounds.");

    private readonly record struct Config(int MaxMessageSize, int BlockSize, int MaxJsonDepth);

    private sealed record DeliveredMessage(byte[] Json, long? SeqId, long? StrategyId);

    private sealed record FeedCountersSnapshot(long MessagesReceived, long ProtocolErrors, long HeartbeatsAcknowledged, long Gaps, long DuplicatesDiscarded, long MessagesDelivered);

    private sealed record Observed(
        Config Config,
        EngineOutcome Outcome,
        List<(bool IsText, byte[] Payload)> Messages,
        List<DeliveredMessage> Delivered,
        byte[] Written,
        FeedCountersSnapshot Counters,
        List<byte[]> ProtocolErrorEvents,
        int AssemblyCapacity,
        int RepliesCapacity,
        long UnconsumedAfterDispose);

    /// <summary>Records what the engine hands over (a copy), checks the pipe's bound, and passes it on.</summary>
    private sealed class Recorder(IMessageHandler inner, TransportConnection transport, long pipeBound) : IMessageHandler
    {
        public List<(bool IsText, byte[] Payload)> Messages { get; } = [];

        public MessageAction OnMessage(WebSocketEngine engine, bool isText, ReadOnlySpan<byte> payload)
        {
            Messages.Add((isText, payload.ToArray()));
            long unconsumed = transport.UnconsumedBytes;
            Invariant.True(unconsumed <= pipeBound, $"{unconsumed} B held in the receive pipe, bound {pipeBound}");
            return inner.OnMessage(engine, isText, payload);
        }

        public void OnReadCompleted(WebSocketEngine engine) => inner.OnReadCompleted(engine);

        public void OnRepliesWritten(int count) => inner.OnRepliesWritten(count);

        public ValueTask WaitForCapacityAsync(WebSocketEngine engine, CancellationToken cancellationToken) => inner.WaitForCapacityAsync(engine, cancellationToken);
    }

    /// <summary>
    /// What the session must make of the model's messages (Contract.md §2-3): parse failures and binary messages are
    /// protocol errors, heartbeats are acknowledged, connection.connected, subscription.ack and error are handled, not
    /// delivered, a signal whose seq_id is not above the last one of its strategy is a duplicate, the rest is delivered.
    /// </summary>
    private sealed class SessionModel
    {
        public List<(byte[] Json, long? SeqId, long? StrategyId)> Delivered { get; } = [];

        public List<byte[]> ProtocolErrors { get; } = [];

        /// <summary>Client replies in order: a pong's payload, or null for a heartbeat.ack.</summary>
        public List<byte[]?> Replies { get; } = [];

        public int Heartbeats { get; private set; }

        public int Gaps { get; private set; }

        public int Duplicates { get; private set; }

        public static SessionModel From(WireModel wire, int maxDepth)
        {
            var model = new SessionModel();
            var last = new Dictionary<long, long>();
            foreach (WireEvent e in wire.Events)
            {
                if (e.IsPing)
                {
                    model.Replies.Add(e.Payload);
                    continue;
                }

                if (!e.IsText || EnvelopeParser.Parse(e.Payload, out Envelope envelope, out _, maxDepth) != OperationStatus.Done)
                {
                    model.ProtocolErrors.Add(e.Payload);
                    continue;
                }

                long? seq = envelope.HasSeqId ? envelope.SeqId : null;
                long? strategy = envelope.HasStrategyId ? envelope.StrategyId : null;
                switch (envelope.Type)
                {
                    case MessageType.Heartbeat:
                        model.Heartbeats++;
                        model.Replies.Add(null);
                        break;
                    case MessageType.ConnectionConnected or MessageType.SubscriptionAck or MessageType.Error:
                        break;
                    case MessageType.StrategySignal when seq is long s && strategy is long id:
                        if (last.TryGetValue(id, out long previous) && s <= previous)
                        {
                            model.Duplicates++;
                            break;
                        }

                        last[id] = s;
                        model.Delivered.Add((e.Payload, seq, strategy));
                        break;
                    case MessageType.Gap:
                        model.Gaps++;
                        model.Delivered.Add((e.Payload, seq, strategy ?? GapStrategy(e.Payload, envelope)));
                        break;
                    default:
                        model.Delivered.Add((e.Payload, seq, strategy));
                        break;
                }
            }

            return model;
        }

        // A gap's strategy comes from its channel when the payload's strategy_id is null (SessionMessageHandler.AnnounceGap).
        private static long? GapStrategy(byte[] message, Envelope envelope)
            => GapPayload.Parse(envelope.Payload.Slice(message)).Strategy;
    }

    /// <summary>
    /// The server side of the connection, in memory: reads hand out the wire in the planned chunk sizes (the first one
    /// waits for the gate, so the loop is already waiting when bytes arrive), then end of stream; writes go to a sink.
    /// </summary>
    private sealed class ScriptedInput(byte[] wire, int[] sizes, Task gate) : Stream
    {
        private int _position;
        private int _chunk;
        private bool _disposed;

        public MemoryStream Written { get; } = new();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => gate.IsCompleted ? new ValueTask<int>(Read(buffer.Span)) : WaitThenReadAsync(buffer);

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_disposed || buffer.IsEmpty)
            {
                return 0;
            }

            int size = sizes.Length == 0 ? wire.Length : sizes[_chunk++ % sizes.Length];
            int count = Math.Min(Math.Min(buffer.Length, wire.Length - _position), size);
            wire.AsSpan(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Written.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            _disposed = true;
            base.Dispose(disposing);
        }

        private async ValueTask<int> WaitThenReadAsync(Memory<byte> buffer)
        {
            await gate.ConfigureAwait(false);
            return Read(buffer.Span);
        }
    }
}
