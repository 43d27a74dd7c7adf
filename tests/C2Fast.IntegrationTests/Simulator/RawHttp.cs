using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace C2Fast.IntegrationTests.Simulator;

/// <summary>Sends a hand-written upgrade request over a plain socket and reads the raw HTTP response (status, headers, body).</summary>
internal static class RawHttp
{
    internal sealed record Response(int Status, Dictionary<string, string> Headers, string Body)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
    }

    public static async Task<Response> UpgradeAsync(Uri uri, string? authorization, string path = "/ws", string version = "13", bool upgrade = true)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        var request = new StringBuilder()
            .Append($"GET {path} HTTP/1.1\r\nHost: {uri.Host}:{uri.Port}\r\n");
        if (upgrade)
        {
            request.Append("Connection: Upgrade\r\nUpgrade: websocket\r\n")
                .Append($"Sec-WebSocket-Version: {version}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
        }

        if (authorization is not null)
        {
            request.Append($"Authorization: {authorization}\r\n");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.Append("\r\n").ToString()));

        // Read the head, then Content-Length bytes of body (101 has none).
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        using var cts = new CancellationTokenSource(SimTestClient.DefaultTimeout);
        int headEnd;
        while ((headEnd = IndexOf(buffer, "\r\n\r\n"u8)) < 0)
        {
            var n = await stream.ReadAsync(chunk, cts.Token);
            Assert.True(n > 0, "connection closed before the response head");
            buffer.AddRange(chunk.AsSpan(0, n));
        }

        var head = Encoding.ASCII.GetString([.. buffer[..headEnd]]).Split("\r\n");
        var status = int.Parse(head[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = head.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var length = headers.TryGetValue("Content-Length", out var cl) ? int.Parse(cl, System.Globalization.CultureInfo.InvariantCulture) : 0;
        while (buffer.Count < headEnd + 4 + length)
        {
            var n = await stream.ReadAsync(chunk, cts.Token);
            Assert.True(n > 0, "connection closed before the body");
            buffer.AddRange(chunk.AsSpan(0, n));
        }

        return new Response(status, headers, Encoding.UTF8.GetString([.. buffer.Skip(headEnd + 4).Take(length)]));
    }

    private static int IndexOf(List<byte> buffer, ReadOnlySpan<byte> value) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(buffer).IndexOf(value);
}
