using System.Text;

namespace C2Fast.Tests.Infrastructure;

public sealed class HandshakeResponseTests
{
    [Fact]
    public void ComputeAccept_Rfc6455SampleKey_MatchesRfc()
    {
        // RFC 6455 §1.3.
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", HandshakeResponse.ComputeAccept("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    [Fact]
    public void Accept_SampleKey_WritesExactHead()
    {
        var text = Encoding.Latin1.GetString(HandshakeResponse.Accept("dGhlIHNhbXBsZSBub25jZQ==").ToBytes());

        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
            text);
    }

    [Fact]
    public void WrongAccept_SampleKey_DiffersButIsWellFormed()
    {
        var accept = HandshakeResponse.WrongAccept("dGhlIHNhbXBsZSBub25jZQ==").Headers.Single(h => h.Key == "Sec-WebSocket-Accept").Value;

        Assert.NotEqual("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", accept);
        Assert.Equal(20, Convert.FromBase64String(accept).Length);
    }

    [Fact]
    public void WithMethods_ScriptedBadResponses_ChangeOnlyWhatTheySay()
    {
        var accept = HandshakeResponse.Accept("dGhlIHNhbXBsZSBub25jZQ==");

        var noUpgrade = accept.WithoutHeader("upgrade");
        var extension = accept.WithHeader("Sec-WebSocket-Extensions", "permessage-deflate");
        var duplicate = accept.WithAddedHeader("Upgrade", "websocket");
        var firstFrame = accept.WithTrailingBytes(TestFrames.Text("x"));
        var padded = accept.WithHeadPaddedTo(20_000);

        Assert.DoesNotContain(noUpgrade.Headers, h => h.Key == "Upgrade");
        Assert.Equal(3, accept.Headers.Count);
        Assert.Equal("permessage-deflate", extension.Headers[3].Value);
        Assert.Equal(2, duplicate.Headers.Count(h => h.Key == "Upgrade"));
        Assert.Equal([.. accept.ToBytes(), .. TestFrames.Text("x")], firstFrame.ToBytes());
        Assert.InRange(padded.ToBytes().Length, 20_000, 20_200);
        Assert.EndsWith("\r\n\r\n", Encoding.Latin1.GetString(padded.ToBytes()), StringComparison.Ordinal);
    }

    [Fact]
    public void Unauthorized_Default_MatchesC2Rejection()
    {
        var text = Encoding.UTF8.GetString(HandshakeResponse.Unauthorized().ToBytes());

        Assert.StartsWith("HTTP/1.1 401 Unauthorized\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nX-WS-Error: Invalid API key\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nContent-Length: 51\r\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n{\"code\":\"UNAUTHORIZED\",\"message\":\"Invalid API key\"}", text, StringComparison.Ordinal);
    }
}
