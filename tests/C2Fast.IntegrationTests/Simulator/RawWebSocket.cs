using System.Net.Sockets;
using System.Text;

namespace C2Fast.IntegrationTests.Simulator;

/// <summary>A bare TCP client that performs the upgrade by hand and then exposes the raw byte stream.</summary>
internal sealed class RawWebSocket : IDisposable
{
    private RawWebSocket(TcpClient tcp, NetworkStream stream, string responseHead)
    {
        Tcp = tcp;
        Stream = stream;
        ResponseHead = responseHead;
    }

    public TcpClient Tcp { get; }

    public NetworkStream Stream { get; }

    public string ResponseHead { get; }

    public static async Task<RawWebSocket> ConnectAsync(Uri uri, string apiKey)
    {
        var tcp = new TcpClient { NoDelay = true, ReceiveBufferSize = 1 << 20 };
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET {uri.AbsolutePath} HTTP/1.1\r\nHost: {uri.Authority}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
            $"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer {apiKey}\r\n\r\n"));

        // Byte by byte, so nothing after the head is consumed here.
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.Equal(1, await stream.ReadAsync(one));
            head.Append((char)one[0]);
        }

        return new RawWebSocket(tcp, stream, head.ToString());
    }

    public void Dispose() => Tcp.Dispose();
}
