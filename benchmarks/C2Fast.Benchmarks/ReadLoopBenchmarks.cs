using System.Buffers.Binary;
using System.Text;
using BenchmarkDotNet.Attributes;
using C2Fast.Framing;
using C2Fast.Session;
using C2Fast.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace C2Fast.Benchmarks;

/// <summary>
/// The whole receive path per message, over an in-memory stream: frame parse, UTF-8 check,
/// envelope parse, heartbeat ack (masked into the reply buffer), lease copy, queue, and a
/// consumer that reads msg_type and seq_id and disposes. No socket: this is the client's own cost.
/// </summary>
[MemoryDiagnoser]
public class ReadLoopBenchmarks
{
    private const int Messages = 10_000;

    private static readonly C2FeedOptions Options = new()
    {
        Tuning = new C2TuningOptions { MessagePoolSize = Messages + 16 },
        Queues = new C2QueueOptions { Capacity = Messages + 16 },
        Connection = new C2ConnectionOptions { CloseTimeout = TimeSpan.FromSeconds(1) },
    };

    private static readonly TransportSettings Transport = new("localhost", 80, UseTls: false, ReceiveBufferSize: 64 * 1024);

    private byte[] _wire = [];
    private SessionContext _queued = null!;
    private SessionContext _inline = null!;
    private PartitionReader _reader = null!;
    private long _inlineChecksum;

    /// <summary>typical: 300-byte signals with a heartbeat every 1000; small: 150-byte messages and 10 % heartbeats; large: 4 KiB positions snapshots.</summary>
    [Params("typical", "small", "large")]
    public string Mix { get; set; } = "typical";

    [GlobalSetup]
    public void Setup()
    {
        _queued = new SessionContext(Options, null, new object(), NullLogger.Instance);
        _inline = new SessionContext(Options, message => _inlineChecksum += (long)message.Type + (message.SeqId ?? 0), new object(), NullLogger.Instance);
        _reader = new PartitionReader(_queued.Queues!.Partition(0));
        var frames = new List<byte[]>(Messages + 1);
        for (int i = 0; i < Messages; i++)
        {
            frames.Add(Frame(Message(Mix, i)));
        }

        frames.Add([0x88, 0x02, 0x03, 0xE8]); // close 1000
        _wire = frames.SelectMany(f => f).ToArray();

        // Fill the pool, and check that every message went all the way through, queued and inline: a figure for less work would be a lie.
        long expected = Expected(Mix);
        if (RunOnce() != expected || ReceiveParseInline() != expected)
        {
            throw new InvalidOperationException($"The read loop did not deliver all {Messages} messages of the {Mix} mix.");
        }
    }

    // The checksum of a run that delivered everything: type + seq_id of every message that is not a heartbeat.
    private static long Expected(string mix)
    {
        long sum = 0;
        for (int i = 0; i < Messages; i++)
        {
            string text = Message(mix, i);
            if (text.Contains("\"heartbeat\"", StringComparison.Ordinal))
            {
                continue;
            }

            sum += mix == "large" ? (long)C2MessageType.Positions : (long)C2MessageType.Signal + i + 1;
        }

        return sum;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _queued.Events.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _inline.Events.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Framing alone (frame parse + UTF-8), with a handler that does nothing: the floor of the read path.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public long FramesOnly()
    {
        var handler = new NoopHandler();
        Run(handler);
        return handler.Count;
    }

    /// <summary>The full client path per message.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public long ReceiveParseQueueConsume() => RunOnce();

    /// <summary>The same path delivering inline, with the consumer's work on the loop: no lease, no queue.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public long ReceiveParseInline()
    {
        _inlineChecksum = 0;
        Run(new SessionMessageHandler(_inline));
        return _inlineChecksum;
    }

    private void Run(IMessageHandler handler)
    {
        TransportConnection transport = TransportConnection.FromStream(new ReplayStream(_wire), Transport);
        var engine = new WebSocketEngine(transport, EngineSettings.Default);
        engine.RunAsync(handler).GetAwaiter().GetResult();
        engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
        transport.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private long RunOnce()
    {
        Run(new SessionMessageHandler(_queued));
        long checksum = 0;
        while (_reader.TryRead(out C2FeedMessage message))
        {
            checksum += (long)message.Type + (message.SeqId ?? 0);
            message.Dispose();
        }

        return checksum;
    }

    internal static string Message(string mix, int i)
    {
        const string Heartbeat = """{"msg_type":"heartbeat","id":"msg_a1b2c3d4e5f6a1b2c3d4e5f6a7b8","timestamp":"2026-11-25T12:00:00Z","v":4}""";
        return mix switch
        {
            "small" when i % 10 == 0 => Heartbeat,
            "small" => $$$"""{"msg_type":"strategy.signal","id":"msg_{{{i:x28}}}","seq_id":{{{i + 1}}},"timestamp":"2026-11-25T12:00:00Z","v":4,"payload":{"strategy_id":101}}""",
            "large" => Positions(i),
            _ when i % 1000 == 999 => Heartbeat,
            _ => $$$"""{"msg_type":"strategy.signal","id":"msg_{{{i:x28}}}","seq_id":{{{i + 1}}},"timestamp":"2026-11-25T12:00:00Z","v":4,"payload":{"strategy_id":101,"signal_id":{{{900000 + i}}},"action":"BTO","symbol":"ESZ6","quantity":2,"order_type":"limit","limit_price":5012.25,"stop_price":null,"tif":"day"}}""",
        };
    }

    private static string Positions(int i)
    {
        var builder = new StringBuilder($$$"""{"msg_type":"strategy.positions","id":"msg_{{{i:x28}}}","timestamp":"2026-11-25T12:00:00Z","v":4,"payload":{"strategy_id":101,"positions":[""");
        for (int p = 0; builder.Length < 4000; p++)
        {
            builder.Append(p == 0 ? "" : ",").Append($$$"""{"symbol":"SYM{{{p:D4}}}","quantity":{{{p * 10}}},"avg_price":{{{100 + p}}}.25}""");
        }

        return builder.Append("]}}").ToString();
    }

    internal static byte[] Frame(string text)
    {
        byte[] payload = Encoding.UTF8.GetBytes(text);
        int header = payload.Length < 126 ? 2 : payload.Length <= ushort.MaxValue ? 4 : 10;
        byte[] frame = new byte[header + payload.Length];
        frame[0] = 0x81;
        if (header == 2)
        {
            frame[1] = (byte)payload.Length;
        }
        else if (header == 4)
        {
            frame[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
        }
        else
        {
            frame[1] = 127;
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
        }

        payload.CopyTo(frame, header);
        return frame;
    }

    private sealed class NoopHandler : IMessageHandler
    {
        public long Count;

        public MessageAction OnMessage(WebSocketEngine engine, bool isText, ReadOnlySpan<byte> payload)
        {
            Count += payload.Length;
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

    /// <summary>Serves a fixed byte array in 64 KiB reads, completing synchronously; discards writes.</summary>
    private sealed class ReplayStream(byte[] data) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => data.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(Span<byte> buffer)
        {
            int count = Math.Min(buffer.Length, data.Length - _position);
            data.AsSpan(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public override void Write(byte[] buffer, int offset, int count)
        {
        }

        public override void Flush()
        {
        }


        // As a socket's: nothing to flush, done at once (the default would queue a work item per flush).

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
