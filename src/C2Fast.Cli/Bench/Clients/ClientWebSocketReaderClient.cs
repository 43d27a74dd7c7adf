using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;

namespace C2Fast.Cli.Bench.Clients;

/// <summary>
/// The best a user can do by hand on the stock client: <see cref="ClientWebSocket"/> into a reused buffer, a
/// <see cref="Utf8JsonReader"/> scan that stops as soon as it has msg_type and seq_id (skipping other values), and a
/// pre-built ack whose timestamp digits are stamped in place.
/// </summary>
internal sealed class ClientWebSocketReaderClient : IBenchClient
{
    private const string AckTemplate = """{"msg_type":"heartbeat.ack","timestamp":"2000-01-01T00:00:00Z"}""";

    public async Task<BenchClientResult> RunAsync(BenchClientArgs args, Func<Task> ready, BenchProgress progress, CancellationToken cancellationToken)
    {
        using ClientWebSocket socket = WebSocketMessageReader.Create(args);
        await socket.ConnectAsync(args.Uri, cancellationToken).ConfigureAwait(false);
        var reader = new WebSocketMessageReader(socket);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (Scan(reader.Message.Span, out _) != Kind.Connected)
        {
            throw new InvalidOperationException("expected connection.connected first");
        }

        byte[] ack = System.Text.Encoding.UTF8.GetBytes(AckTemplate);
        int timeOffset = AckTemplate.IndexOf("2000", StringComparison.Ordinal);
        var meter = new BenchMeter();
        meter.Start();
        await ready().ConfigureAwait(false);
        long count = 0, heartbeats = 0, checksum = 0;
        long windowAt = args.WindowStart;
        while (count < args.Messages)
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            Kind kind = Scan(reader.Message.Span, out long seqId);
            if (kind == Kind.Heartbeat)
            {
                DateTime.UtcNow.TryFormat(ack.AsSpan(timeOffset), out _, "yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", CultureInfo.InvariantCulture);
                await socket.SendAsync(ack, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                heartbeats++;
            }

            checksum += seqId + (int)kind;
            count++;
            if (count == windowAt)
            {
                meter.OpenWindow(count);
            }

            Volatile.Write(ref progress.Messages, count);
        }

        meter.Stop();
        GC.KeepAlive(checksum);
        BenchClientResult result = meter.Result(args.Client, count, heartbeats, 0, count);
        await WebSocketMessageReader.CloseQuietlyAsync(socket).ConfigureAwait(false);
        return result;
    }

    internal enum Kind
    {
        Other,
        Heartbeat,
        Connected,
    }

    /// <summary>Finds msg_type and seq_id in any order; stops once it has both, skips every other value.</summary>
    internal static Kind Scan(ReadOnlySpan<byte> json, out long seqId)
    {
        seqId = 0;
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("not a JSON object");
        }

        Kind kind = Kind.Other;
        bool haveType = false, haveSeq = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("msg_type"u8))
            {
                reader.Read();
                kind = reader.ValueTextEquals("heartbeat"u8) ? Kind.Heartbeat
                    : reader.ValueTextEquals("connection.connected"u8) ? Kind.Connected
                    : Kind.Other;
                haveType = true;
            }
            else if (reader.ValueTextEquals("seq_id"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number)
                {
                    seqId = reader.GetInt64();
                }

                haveSeq = true;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }

            if (haveType && haveSeq)
            {
                break;
            }
        }

        return kind;
    }
}
