using System.Net.WebSockets;
using System.Text.Json;

namespace C2Fast.Cli.Bench.Clients;

/// <summary>
/// The plain .NET way: <see cref="ClientWebSocket"/>, each message deserialized with <see cref="JsonSerializer"/>
/// (source-generated <see cref="BenchEnvelopeJson"/>) into a <see cref="BenchEnvelope"/>; heartbeats answered with a
/// serialized <see cref="BenchHeartbeatAck"/> carrying the current time.
/// </summary>
internal sealed class ClientWebSocketStjClient : IBenchClient
{
    public async Task<BenchClientResult> RunAsync(BenchClientArgs args, Func<Task> ready, BenchProgress progress, CancellationToken cancellationToken)
    {
        using ClientWebSocket socket = WebSocketMessageReader.Create(args);
        await socket.ConnectAsync(args.Uri, cancellationToken).ConfigureAwait(false);
        var reader = new WebSocketMessageReader(socket);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        BenchEnvelope? connected = JsonSerializer.Deserialize(reader.Message.Span, BenchEnvelopeJson.Default.BenchEnvelope);
        if (connected?.MsgType != "connection.connected")
        {
            throw new InvalidOperationException($"expected connection.connected, got {connected?.MsgType}");
        }

        var meter = new BenchMeter();
        meter.Start();
        await ready().ConfigureAwait(false);
        long count = 0, heartbeats = 0, checksum = 0;
        long windowAt = args.WindowStart;
        while (count < args.Messages)
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            BenchEnvelope envelope = JsonSerializer.Deserialize(reader.Message.Span, BenchEnvelopeJson.Default.BenchEnvelope)
                ?? throw new InvalidOperationException("null message");
            if (envelope.MsgType == "heartbeat")
            {
                byte[] ack = JsonSerializer.SerializeToUtf8Bytes(new BenchHeartbeatAck { Timestamp = DateTime.UtcNow }, BenchEnvelopeJson.Default.BenchHeartbeatAck);
                await socket.SendAsync(ack, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                heartbeats++;
            }

            checksum += envelope.SeqId ?? 0;
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
}
