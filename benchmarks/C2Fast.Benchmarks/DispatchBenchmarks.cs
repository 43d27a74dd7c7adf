using System.Buffers;
using System.Text;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using C2Fast.Diagnostics;
using C2Fast.Dispatch;
using C2Fast.Protocol;
using C2Fast.Session;
using Microsoft.Extensions.ObjectPool;

namespace C2Fast.Benchmarks;

/// <summary>
/// The hand-off from the read loop to a consumer thread, per message: copy into a pooled lease, queue,
/// wake the consumer, read, dispose. C2Fast's partition ring and lease pool against the plain way a
/// .NET developer builds it (and C2Fast did before): <c>Channel.CreateBounded</c> + <c>DefaultObjectPool</c>.
/// </summary>
/// <remarks>
/// Two threads, as in the client: this thread produces <see cref="Messages"/> 300-byte signals in
/// socket-read batches of <see cref="Batch"/> (C2Fast wakes a waiting reader once per batch, or after
/// <see cref="FeedPartition.WakeBatch"/> messages), a consumer task reads msg_type and seq_id and disposes.
/// The machine has 2 cores, so these are the costs of two threads that share them.
/// </remarks>
[MemoryDiagnoser]
public class DispatchBenchmarks
{
    private const int Messages = 100_000;
    private const int Batch = 200;

    private byte[] _json = [];
    private Envelope _envelope;
    private FeedQueues _queues = null!;
    private PartitionReader _reader = null!;
    private Channel<PlainLease> _channel = null!;
    private ObjectPool<PlainLease> _pool = null!;

    [GlobalSetup]
    public void Setup()
    {
        _json = Encoding.UTF8.GetBytes(ReadLoopBenchmarks.Message("typical", 1));
        if (EnvelopeParser.Parse(_json, out _envelope, out _) != OperationStatus.Done)
        {
            throw new InvalidOperationException("the sample message does not parse");
        }

        _queues = new FeedQueues(LayerSettings.Queues(new C2FeedOptions()), new FeedCounters());
        _reader = new PartitionReader(_queues.Partition(0));
        _channel = Channel.CreateBounded<PlainLease>(new BoundedChannelOptions(65_536)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
            SingleReader = false,
            AllowSynchronousContinuations = false,
        });
        _pool = new DefaultObjectPool<PlainLease>(new DefaultPooledObjectPolicy<PlainLease>(), 65_536);
    }

    /// <summary>Bounded channel + default object pool: a lock per write and per read, a work item per wake.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public long BoundedChannelAndObjectPool()
    {
        ChannelReader<PlainLease> reader = _channel.Reader;
        Task<long> consumer = Task.Run(async () =>
        {
            long checksum = 0;
            for (int seen = 0; seen < Messages;)
            {
                await reader.WaitToReadAsync();
                while (reader.TryRead(out PlainLease? lease))
                {
                    checksum += lease.Type + lease.SeqId;
                    _pool.Return(lease);
                    seen++;
                }
            }

            return checksum;
        });

        ChannelWriter<PlainLease> writer = _channel.Writer;
        for (int i = 0; i < Messages; i++)
        {
            PlainLease lease = _pool.Get();
            lease.Fill(_json, i);
            if (!writer.TryWrite(lease))
            {
                writer.WriteAsync(lease).AsTask().GetAwaiter().GetResult();
            }
        }

        return consumer.GetAwaiter().GetResult();
    }

    /// <summary>C2Fast: the partition ring, batched wake-ups and the one-taker lease pool.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public long FeedPartitionAndLeasePool()
    {
        ChannelReader<C2FeedMessage> reader = _reader;
        Task<long> consumer = Task.Run(async () =>
        {
            long checksum = 0;
            for (int seen = 0; seen < Messages;)
            {
                await reader.WaitToReadAsync();
                while (reader.TryRead(out C2FeedMessage message))
                {
                    checksum += (long)message.Type + (message.SeqId ?? 0);
                    message.Dispose();
                    seen++;
                }
            }

            return checksum;
        });

        for (int i = 0; i < Messages; i++)
        {
            if (!_queues.Deliver(_json, _envelope, 101))
            {
                _queues.WaitForCapacityAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
            }

            if (i % Batch == Batch - 1)
            {
                _queues.Flush(); // the end of one socket read
            }
        }

        _queues.Flush();
        return consumer.GetAwaiter().GetResult();
    }

    /// <summary>What a plain lease holds: a copy of the message and the two fields a consumer reads.</summary>
    public sealed class PlainLease
    {
        private byte[] _buffer = new byte[512];

        public int Type { get; private set; }

        public long SeqId { get; private set; }

        public void Fill(ReadOnlySpan<byte> json, long seqId)
        {
            if (_buffer.Length < json.Length)
            {
                _buffer = new byte[json.Length];
            }

            json.CopyTo(_buffer);
            Type = 1;
            SeqId = seqId;
        }
    }
}
