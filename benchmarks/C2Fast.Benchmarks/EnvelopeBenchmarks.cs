using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using C2Fast.Protocol;

namespace C2Fast.Benchmarks;

/// <summary>
/// Envelope of one server message: <see cref="EnvelopeParser"/> against System.Text.Json's
/// serializer (source-generated context, the baseline; and reflection) and <see cref="JsonDocument"/>,
/// with a bare <see cref="Utf8JsonReader"/> token loop as the floor every reader-based parser pays.
/// </summary>
/// <remarks>
/// Every contender extracts the same facts: msg_type, id, seq_id, request_id, timestamp, v and the
/// payload's strategy_id. The serializer DTO binds only payload.strategy_id and skips the rest of the
/// payload, the cheapest serializer shape (binding the payload as JsonElement would cost more).
/// Multi-segment input is the same bytes cut into <see cref="Segments"/> separate arrays.
/// </remarks>
[MemoryDiagnoser]
public class EnvelopeBenchmarks
{
    private static readonly JsonSerializerOptions ReflectionOptions = new();

    private byte[] _bytes = [];
    private ReadOnlySequence<byte> _sequence;

    public enum Kind
    {
        Heartbeat,
        Signal,
        Positions,
    }

    [Params(Kind.Heartbeat, Kind.Signal, Kind.Positions)]
    public Kind Message { get; set; }

    [Params(1, 3)]
    public int Segments { get; set; }

    public int MessageBytes => _bytes.Length;

    [GlobalSetup]
    public void Setup()
    {
        _bytes = Encoding.UTF8.GetBytes(Message switch
        {
            Kind.Heartbeat => """{"msg_type":"heartbeat","id":"msg_5f3e2a1b","timestamp":"2024-01-01T12:00:30Z","v":4}""",
            Kind.Signal => """{"msg_type":"strategy.signal","id":"msg_9c8d7e6f0a1b2c3d","seq_id":98765,"timestamp":"2024-01-01T12:00:05Z","v":4,"payload":{"strategy_id":12345678,"signal_id":555001,"action":"BTO","symbol":"AAPL","quantity":100,"order_type":"limit","limit_price":187.25,"stop_price":null,"tif":"day","created_at":"2024-01-01T12:00:04Z","note":"entry"}}""",
            _ => Positions(),
        });
        _sequence = Split(_bytes, Segments);

        // Every contender must agree before anything is timed.
        long expected = Parser();
        if (ParserReaderPath() != expected || SerializerSourceGenerated() != expected || SerializerReflection() != expected || Document() != expected)
        {
            throw new InvalidOperationException("Contenders disagree.");
        }
    }

    [Benchmark(Baseline = true)]
    public long SerializerSourceGenerated()
    {
        EnvelopeDto? dto;
        if (Segments == 1)
        {
            dto = JsonSerializer.Deserialize(_bytes, EnvelopeJsonContext.Default.EnvelopeDto);
        }
        else
        {
            var reader = new Utf8JsonReader(_sequence);
            dto = JsonSerializer.Deserialize(ref reader, EnvelopeJsonContext.Default.EnvelopeDto);
        }

        return Digest(dto!);
    }

    [Benchmark]
    public long SerializerReflection()
    {
        EnvelopeDto? dto;
        if (Segments == 1)
        {
            dto = JsonSerializer.Deserialize<EnvelopeDto>(_bytes, ReflectionOptions);
        }
        else
        {
            var reader = new Utf8JsonReader(_sequence);
            dto = JsonSerializer.Deserialize<EnvelopeDto>(ref reader, ReflectionOptions);
        }

        return Digest(dto!);
    }

    [Benchmark]
    public long Document()
    {
        using JsonDocument doc = Segments == 1 ? JsonDocument.Parse(_bytes.AsMemory()) : JsonDocument.Parse(_sequence);
        JsonElement root = doc.RootElement;
        long digest = root.GetProperty("msg_type").GetString()!.Length;
        if (root.TryGetProperty("seq_id", out JsonElement seq) && seq.ValueKind == JsonValueKind.Number)
        {
            digest += seq.GetInt64();
        }

        if (root.TryGetProperty("payload", out JsonElement payload)
            && payload.TryGetProperty("strategy_id", out JsonElement strategy)
            && strategy.ValueKind == JsonValueKind.Number)
        {
            digest += strategy.GetInt64();
        }

        return digest;
    }

    [Benchmark]
    public long Parser()
    {
        OperationStatus status = Segments == 1
            ? EnvelopeParser.Parse(_bytes, out Envelope e, out _)
            : EnvelopeParser.Parse(_sequence, out e, out _);
        return status == OperationStatus.Done ? e.MsgType.Length + e.SeqId + e.StrategyId : -1;
    }

    /// <summary>The parser's Utf8JsonReader path alone (what <see cref="Parser"/> was before its fast path, and what it falls back to).</summary>
    [Benchmark]
    public long ParserReaderPath()
    {
        OperationStatus status = Segments == 1
            ? EnvelopeParser.ParseWithReader(_bytes, out Envelope e, out _)
            : EnvelopeParser.ParseWithReader(_sequence, out e, out _);
        return status == OperationStatus.Done ? e.MsgType.Length + e.SeqId + e.StrategyId : -1;
    }

    /// <summary>The floor for any Utf8JsonReader-based parser: tokenize the message, nothing else.</summary>
    [Benchmark]
    public long ReaderTokensOnly()
    {
        var reader = Segments == 1 ? new Utf8JsonReader(_bytes) : new Utf8JsonReader(_sequence);
        long tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }

        return tokens;
    }

    private static long Digest(EnvelopeDto dto) => dto.MsgType!.Length + (dto.SeqId ?? 0) + (dto.Payload?.StrategyId ?? 0);

    private static string Positions()
    {
        var sb = new StringBuilder("""{"msg_type":"strategy.positions","id":"msg_a0b1c2d3","timestamp":"2024-01-01T12:00:06Z","v":4,"payload":{"strategy_id":12345678,"positions":[""");
        for (int i = 0; i < 70; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $$"""{{(i > 0 ? "," : "")}}{"symbol":"SYM{{i:D3}}","quantity":{{(i * 37) - 1000}},"avg_price":{{100 + (i * 1.25)}}}""");
        }

        return sb.Append("]}}").ToString();
    }

    private static ReadOnlySequence<byte> Split(byte[] bytes, int segments)
    {
        if (segments == 1)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        Segment? first = null, last = null;
        int size = (bytes.Length + segments - 1) / segments;
        for (int start = 0; start < bytes.Length; start += size)
        {
            var segment = new Segment(bytes[start..Math.Min(bytes.Length, start + size)], start);
            if (last is null)
            {
                first = segment;
            }
            else
            {
                last.SetNext(segment);
            }

            last = segment;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, long runningIndex)
        {
            Memory = data;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}

/// <summary>What the serializer contenders bind: every envelope field, and only strategy_id of the payload.</summary>
public sealed class EnvelopeDto
{
    [JsonPropertyName("msg_type")]
    public string? MsgType { get; set; }

    [JsonPropertyName("id")]
    public string? Id { get; set; }

    [JsonPropertyName("seq_id")]
    public long? SeqId { get; set; }

    [JsonPropertyName("request_id")]
    public string? RequestId { get; set; }

    [JsonPropertyName("timestamp")]
    public string? Timestamp { get; set; }

    [JsonPropertyName("v")]
    public int? V { get; set; }

    [JsonPropertyName("payload")]
    public PayloadDto? Payload { get; set; }
}

/// <summary>The payload's strategy_id; everything else is skipped.</summary>
public sealed class PayloadDto
{
    [JsonPropertyName("strategy_id")]
    public long? StrategyId { get; set; }
}

[JsonSerializable(typeof(EnvelopeDto))]
internal sealed partial class EnvelopeJsonContext : JsonSerializerContext;
