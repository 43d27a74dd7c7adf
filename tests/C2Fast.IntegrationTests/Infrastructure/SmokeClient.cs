using System.Net.WebSockets;
using C2Fast.Tests.Infrastructure;

namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>
/// Helpers around .NET's own <see cref="ClientWebSocket"/>, used only to prove the test peers
/// work (it is not the product under test).
/// </summary>
internal static class SmokeClient
{
    /// <summary>
    /// A ClientWebSocket that trusts the test CA, collects HTTP response details (status, headers
    /// of a failed upgrade), sends no keep-alive frames and, when given, sends <c>Authorization: Bearer apiKey</c>.
    /// </summary>
    public static ClientWebSocket Create(string? apiKey)
    {
        var client = new ClientWebSocket();
        client.Options.CollectHttpResponseDetails = true;
        client.Options.KeepAliveInterval = TimeSpan.Zero;
        client.Options.RemoteCertificateValidationCallback = TestCertificates.Shared.ValidateWithTestCa();
        if (apiKey is not null)
        {
            client.Options.SetRequestHeader("Authorization", $"Bearer {apiKey}");
        }

        return client;
    }

    /// <summary>Creates a client (see <see cref="Create"/>) and connects it within <paramref name="timeout"/>.</summary>
    public static async Task<ClientWebSocket> ConnectAsync(Uri uri, string? apiKey, TimeSpan timeout)
    {
        var client = Create(apiKey);
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await client.ConnectAsync(uri, cts.Token);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Receives one whole message (all fragments). Throws if a close frame arrives instead.</summary>
    public static async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveMessageAsync(WebSocket socket, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var message = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"Expected a message, got close {result.CloseStatus} '{result.CloseStatusDescription}'.");
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, message.ToArray());
            }
        }
    }

    /// <summary>Receives until the close frame and returns its result (data messages before it are discarded).</summary>
    public static async Task<WebSocketReceiveResult> ReceiveCloseAsync(WebSocket socket, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return result;
            }
        }
    }
}
