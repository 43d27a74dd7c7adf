using System.Net.WebSockets;

namespace C2Fast.Cli.Bench.Clients;

/// <summary>Reads whole text messages from a <see cref="ClientWebSocket"/> into one reused, growing buffer (what a careful user writes).</summary>
internal sealed class WebSocketMessageReader(WebSocket socket)
{
    private byte[] _buffer = new byte[64 * 1024];

    public ReadOnlyMemory<byte> Message { get; private set; }

    /// <summary>Reads the next message; throws if the server closes or sends binary.</summary>
    public async ValueTask ReadAsync(CancellationToken cancellationToken)
    {
        int length = 0;
        while (true)
        {
            if (length == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(_buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (result.MessageType != WebSocketMessageType.Text)
            {
                throw new InvalidOperationException(result.MessageType == WebSocketMessageType.Close
                    ? $"the server closed the connection ({socket.CloseStatus} {socket.CloseStatusDescription})"
                    : "unexpected binary message");
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                Message = _buffer.AsMemory(0, length);
                return;
            }
        }
    }

    /// <summary>A <see cref="ClientWebSocket"/> with the API key and, for wss, the simulator CA.</summary>
    public static ClientWebSocket Create(BenchClientArgs args)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + args.ApiKey);
        if (args.Ca is { } ca)
        {
            socket.Options.RemoteCertificateValidationCallback = BenchTls.Trusting(ca);
        }

        return socket;
    }

    /// <summary>Closes politely, bounded: the bench is over either way.</summary>
    public static async Task CloseQuietlyAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bench done", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The server may already be gone.
        }
    }
}
