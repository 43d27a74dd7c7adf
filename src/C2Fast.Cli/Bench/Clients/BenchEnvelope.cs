using System.Text.Json;
using System.Text.Json.Serialization;

namespace C2Fast.Cli.Bench.Clients;

/// <summary>The C2 envelope as a plain .NET user models it: one class, the payload as a <see cref="JsonElement"/>.</summary>
internal sealed class BenchEnvelope
{
    public string? MsgType { get; set; }

    public string? Id { get; set; }

    public long? SeqId { get; set; }

    public string? RequestId { get; set; }

    public DateTimeOffset? Timestamp { get; set; }

    public int? V { get; set; }

    public JsonElement? Payload { get; set; }
}

/// <summary>The client's answer to a heartbeat (Contract.md §4 in src/C2Fast/Protocol).</summary>
internal sealed class BenchHeartbeatAck
{
    public string MsgType { get; set; } = "heartbeat.ack";

    public DateTime Timestamp { get; set; }
}

/// <summary>Source-generated System.Text.Json for the ClientWebSocket and Websocket.Client comparison clients (snake_case names).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(BenchEnvelope))]
[JsonSerializable(typeof(BenchHeartbeatAck))]
internal sealed partial class BenchEnvelopeJson : JsonSerializerContext;
