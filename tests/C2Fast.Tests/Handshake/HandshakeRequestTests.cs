using System.Buffers;
using System.Text;
using C2Fast.Handshake;

namespace C2Fast.Tests.Handshake;

public class HandshakeRequestTests
{
    [Fact]
    public void AcceptKey_Rfc6455Example()
    {
        byte[] accept = new byte[AcceptKey.AcceptLength];
        AcceptKey.ComputeAccept("dGhlIHNhbXBsZSBub25jZQ=="u8, accept);
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", Encoding.ASCII.GetString(accept));
    }

    [Fact]
    public void AcceptKey_NewKey_Fresh16ByteBase64()
    {
        byte[] a = new byte[AcceptKey.KeyLength];
        byte[] b = new byte[AcceptKey.KeyLength];
        AcceptKey.NewKey(a);
        AcceptKey.NewKey(b);
        Assert.Equal(16, Convert.FromBase64String(Encoding.ASCII.GetString(a)).Length);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Write_AllRequiredHeaders_InRequestOrderWithBearer()
    {
        var output = new ArrayBufferWriter<byte>();
        HandshakeRequest.Write(output, new Uri("wss://api4-general.collective2.com/ws?x=1"), "KEY123", "dGhlIHNhbXBsZSBub25jZQ=="u8,
            new Dictionary<string, string> { ["X-Client"] = "c2fast" });
        string text = Encoding.ASCII.GetString(output.WrittenSpan);

        Assert.StartsWith("GET /ws?x=1 HTTP/1.1\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nHost: api4-general.collective2.com\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nUpgrade: websocket\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: Upgrade\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nSec-WebSocket-Version: 13\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nAuthorization: Bearer KEY123\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nX-Client: c2fast\r\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Sec-WebSocket-Extensions", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Sec-WebSocket-Protocol", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ws://127.0.0.1:5000/ws", "127.0.0.1:5000")]
    [InlineData("ws://[::1]:5000/ws", "[::1]:5000")]
    [InlineData("wss://example.com:443/", "example.com")]
    public void Write_HostHeader_IncludesNonDefaultPortAndBrackets(string uri, string host)
    {
        var output = new ArrayBufferWriter<byte>();
        HandshakeRequest.Write(output, new Uri(uri), null, "dGhlIHNhbXBsZSBub25jZQ=="u8, null);
        Assert.Contains($"\r\nHost: {host}\r\n", Encoding.ASCII.GetString(output.WrittenSpan), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc\r\nX-Injected: 1")]
    [InlineData("abc\n")]
    [InlineData("abc\0")]
    [InlineData("abc\u007F")]
    [InlineData("abcé")]
    public void IsValidHeaderValue_ControlOrNonAscii_False(string value)
    {
        Assert.False(HandshakeRequest.IsValidHeaderValue(value));
    }
}
