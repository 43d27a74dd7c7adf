using System.Net.WebSockets;
using System.Text.Json;
using Websocket.Client;

namespace C2Fast.Cli.Bench.Clients;

/// <summary>
/// The <c>Websocket.Client</c> NuGet package as its README shows it: <see cref="WebsocketClient.MessageReceived"/>
/// (an <see cref="IObservable{T}"/> of text messages as strings), each deserialized with System.Text.Json
/// (source-generated) into a <see cref="BenchEnvelope"/>. Heartbeats are answered with
/// <see cref="WebsocketClient.SendInstant(string)"/> and the last send is awaited before stopping: the queued
/// <see cref="WebsocketClient.Send(string)"/> drops what is still queued when the client stops, so an ack for a heartbeat
/// among the last messages was lost. Reconnection is off so a lost connection fails the run.
/// </summary>
internal sealed class WebsocketClientBenchClient : IBenchClient
{
    public async Task<BenchClientResult> RunAsync(BenchClientArgs args, Func<Task> ready, BenchProgress progress, CancellationToken cancellationToken)
    {
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var meter = new BenchMeter();
        bool measuring = false;
        long count = 0, heartbeats = 0, checksum = 0;
        long windowAt = args.WindowStart;
        Task lastAck = Task.CompletedTask;

        using var client = new WebsocketClient(args.Uri, () => WebSocketMessageReader.Create(args))
        {
            IsReconnectionEnabled = false,
            ReconnectTimeout = null,
            ErrorReconnectTimeout = null,
        };
        using IDisposable onMessage = client.MessageReceived.Subscribe(message =>
        {
            try
            {
                if (message.MessageType != WebSocketMessageType.Text || message.Text is null)
                {
                    throw new InvalidOperationException("unexpected binary message");
                }

                BenchEnvelope envelope = JsonSerializer.Deserialize(message.Text, BenchEnvelopeJson.Default.BenchEnvelope)
                    ?? throw new InvalidOperationException("null message");
                if (!Volatile.Read(ref measuring))
                {
                    if (envelope.MsgType == "connection.connected")
                    {
                        connected.TrySetResult();
                    }

                    return;
                }

                if (envelope.MsgType == "heartbeat")
                {
                    // Sends are serialized by the client's own lock, so the last task completing means every ack went out.
                    lastAck = client.SendInstant(JsonSerializer.Serialize(new BenchHeartbeatAck { Timestamp = DateTime.UtcNow }, BenchEnvelopeJson.Default.BenchHeartbeatAck));
                    heartbeats++;
                }

                checksum += envelope.SeqId ?? 0;
                count++;
                if (count == windowAt)
                {
                    meter.OpenWindow(count);
                }

                Volatile.Write(ref progress.Messages, count);
                if (count == args.Messages)
                {
                    meter.Stop();
                    done.TrySetResult();
                }
            }
#pragma warning disable CA1031 // Any failure in the handler fails the run (Rx would otherwise tear down the subscription silently).
            catch (Exception ex)
#pragma warning restore CA1031
            {
                done.TrySetException(ex);
                connected.TrySetException(ex);
            }
        });
        using IDisposable onDisconnect = client.DisconnectionHappened.Subscribe(info =>
        {
            var error = new InvalidOperationException($"disconnected: {info.Type} {info.CloseStatus} {info.CloseStatusDescription} {info.Exception?.Message}");
            connected.TrySetException(error);
            done.TrySetException(error);
        });

        await client.StartOrFail().ConfigureAwait(false);
        await connected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        meter.Start();
        Volatile.Write(ref measuring, true);
        await ready().ConfigureAwait(false);
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await lastAck.WaitAsync(cancellationToken).ConfigureAwait(false);
        GC.KeepAlive(checksum);
        BenchClientResult result = meter.Result(args.Client, count, heartbeats, 0, count);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await client.Stop(WebSocketCloseStatus.NormalClosure, "bench done").WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The run is over either way.
        }

        return result;
    }
}
