using System.Buffers;
using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using C2Fast.Protocol;

namespace C2Fast.Benchmarks;

/// <summary>
/// Client → server messages: a <c>subscription.request</c> written by <see cref="ClientMessageWriter"/>
/// against a reused <see cref="Utf8JsonWriter"/> (the baseline), and the per-send work of a
/// <c>heartbeat.ack</c> (stamp the pre-serialized body) against writing it with Utf8JsonWriter.
/// </summary>
/// <remarks>Every contender takes <see cref="DateTime.UtcNow"/> itself, as a real send must.</remarks>
[MemoryDiagnoser]
public class ClientMessageBenchmarks
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly byte[] _ackBody = new byte[HeartbeatAck.BodyLength];
    private Utf8JsonWriter _json = null!;

    [GlobalSetup]
    public void Setup()
    {
        _json = new Utf8JsonWriter(_buffer);
        HeartbeatAck.WriteTemplate(_ackBody);
    }

    [GlobalCleanup]
    public void Cleanup() => _json.Dispose();

    [Benchmark(Baseline = true)]
    public int SubscriptionRequestUtf8JsonWriter()
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        Span<byte> timestamp = stackalloc byte[20];
        DateTime.UtcNow.TryFormat(timestamp, out int length, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        _json.WriteStartObject();
        _json.WriteString("msg_type"u8, "subscription.request"u8);
        _json.WriteString("request_id"u8, "my-sub-001"u8);
        _json.WriteString("timestamp"u8, timestamp[..length]);
        _json.WriteStartObject("payload"u8);
        _json.WriteString("action"u8, "subscribe"u8);
        _json.WriteString("channel"u8, "strategy.signal"u8);
        _json.WriteNumber("strategy_id"u8, 12345678);
        _json.WriteString("resume_from"u8, "98765"u8);
        _json.WriteEndObject();
        _json.WriteEndObject();
        _json.Flush();
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int SubscriptionRequestClientMessageWriter()
    {
        _buffer.ResetWrittenCount();
        return ClientMessageWriter.Default.WriteSubscriptionRequest(
            _buffer, SubscriptionAction.Subscribe, SubscriptionChannel.StrategySignal, 12345678, "my-sub-001"u8, DateTime.UtcNow, 98765);
    }

    [Benchmark]
    public int HeartbeatAckUtf8JsonWriter()
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        Span<byte> timestamp = stackalloc byte[20];
        DateTime.UtcNow.TryFormat(timestamp, out int length, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        _json.WriteStartObject();
        _json.WriteString("msg_type"u8, "heartbeat.ack"u8);
        _json.WriteString("timestamp"u8, timestamp[..length]);
        _json.WriteEndObject();
        _json.Flush();
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int HeartbeatAckStamp()
    {
        HeartbeatAck.StampTimestamp(_ackBody, DateTime.UtcNow);
        return _ackBody[HeartbeatAck.TimestampOffset + 18];
    }
}
