using System.Buffers;
using System.Text;
using C2Fast.Handshake;
using C2Fast.Tests.TestData;

namespace C2Fast.Tests.Handshake;

public class HandshakeResponseParserTests
{
    // RFC 6455 §1.3 example key and accept.
    private static readonly byte[] Accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="u8.ToArray();

    private const string Valid =
        "HTTP/1.1 101 Switching Protocols\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
        "\r\n";

    private static OperationStatus Parse(ReadOnlySequence<byte> bytes, out HandshakeResponse response, int max = 16 * 1024)
        => HandshakeResponseParser.TryParse(bytes, max, Accept, out response);

    private static OperationStatus Parse(string text, out HandshakeResponse response, int max = 16 * 1024)
        => Parse(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text)), out response, max);

    [Fact]
    public void TryParse_Valid101_AnyShape_DoneWithHeaderLength()
    {
        byte[] bytes = Encoding.ASCII.GetBytes(Valid + "\x81\x02hi"); // a first frame right behind the head
        foreach ((string name, ReadOnlySequence<byte> sequence) in Sequences.AllShapes(bytes))
        {
            Assert.True(OperationStatus.Done == Parse(sequence, out HandshakeResponse response), name);
            Assert.Equal(101, response.StatusCode);
            Assert.Equal(Valid.Length, response.HeaderLength);
        }
    }

    [Fact]
    public void TryParse_EveryStrictPrefix_NeedsMoreData()
    {
        byte[] bytes = Encoding.ASCII.GetBytes(Valid);
        for (int i = 0; i < bytes.Length; i++)
        {
            Assert.Equal(OperationStatus.NeedMoreData, Parse(new ReadOnlySequence<byte>(bytes, 0, i), out _));
        }
    }

    [Theory]
    [InlineData("upgrade: WebSocket\r\nconnection: keep-alive, UPGRADE\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n")]
    [InlineData("Upgrade:websocket\r\nConnection:\tUpgrade \r\nSec-WebSocket-Accept:   s3pPLMBiTxaQ9kYGzzhZRbK+xOo=  \r\nServer: x\r\n")]
    [InlineData("Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nUpgrade: websocket\r\nSec-WebSocket-Extensions:\r\n")]
    public void TryParse_CaseInsensitiveNamesAndTokenLists_Done(string headers)
    {
        Assert.Equal(OperationStatus.Done, Parse("HTTP/1.1 101 Switching Protocols\r\n" + headers + "\r\n", out HandshakeResponse response));
        Assert.Equal(HandshakeError.None, response.Error);
    }

    // One test per RFC 6455 §4.1 client rule.
    [Theory]
    [InlineData("Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", HandshakeError.MissingUpgrade)]
    [InlineData("Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", HandshakeError.MissingUpgrade)]
    [InlineData("Upgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", HandshakeError.MissingConnection)]
    [InlineData("Upgrade: websocket\r\nConnection: close\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", HandshakeError.MissingConnection)]
    [InlineData("Upgrade: websocket\r\nConnection: Upgrade\r\n", HandshakeError.InvalidAccept)]
    [InlineData("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOX=\r\n", HandshakeError.InvalidAccept)]
    [InlineData("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: S3PPLMBITXAQ9KYGZZHZRBK+XOO=\r\n", HandshakeError.InvalidAccept)]
    [InlineData("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", HandshakeError.InvalidAccept)]
    [InlineData("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n", HandshakeError.UnrequestedExtension)]
    [InlineData("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n", HandshakeError.UnrequestedSubprotocol)]
    [InlineData("Upgrade: websocket\r\n Connection: Upgrade\r\n", HandshakeError.MalformedHeader)]
    [InlineData("Upgrade websocket\r\n", HandshakeError.MalformedHeader)]
    [InlineData("Bad Name: x\r\n", HandshakeError.MalformedHeader)]
    public void TryParse_101BreakingRule_InvalidData(string headers, object expected)
    {
        Assert.Equal(OperationStatus.InvalidData, Parse("HTTP/1.1 101 Switching Protocols\r\n" + headers + "\r\n", out HandshakeResponse response));
        Assert.Equal((HandshakeError)expected, response.Error);
    }

    /// <summary>RFC 9110 §8.6: Content-Length is 1*DIGIT. A sign was taken (found by the handshake fuzz target).</summary>
    [Theory]
    [InlineData("+7")]
    [InlineData("-1")]
    [InlineData("7a")]
    [InlineData("0x7")]
    [InlineData("")]
    [InlineData("99999999999999999999")]
    public void TryParse_ContentLengthNotDigits_MalformedHeader(string value)
    {
        Assert.Equal(OperationStatus.InvalidData, Parse($"HTTP/1.1 401 Unauthorized\r\nContent-Length: {value}\r\n\r\n", out HandshakeResponse response));
        Assert.Equal(HandshakeError.MalformedHeader, response.Error);
    }

    [Fact]
    public void TryParse_ContentLengthDigits_Taken()
    {
        Assert.Equal(OperationStatus.Done, Parse("HTTP/1.1 401 Unauthorized\r\nContent-Length:  007 \r\n\r\n", out HandshakeResponse response));
        Assert.Equal(7, response.ContentLength);
    }

    [Theory]
    [InlineData("HTTP/1.1 10 Switching\r\n")]
    [InlineData("HTTP/2 101 Switching\r\n")]
    [InlineData("HTTP/1.1 1O1 Switching\r\n")]
    [InlineData("HTTP/1.1 101Switching\r\n")]
    [InlineData("ICY 200 OK\r\n")]
    [InlineData("HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n")]
    public void TryParse_BadStatusLine_InvalidData(string head)
    {
        Assert.Equal(OperationStatus.InvalidData, Parse(head + "\r\n", out HandshakeResponse response));
        Assert.Equal(HandshakeError.MalformedStatusLine, response.Error);
    }

    [Fact]
    public void TryParse_HeadOverLimit_FailsBeforeTheEndArrives()
    {
        string endless = "HTTP/1.1 101 Switching Protocols\r\nX-Filler: " + new string('a', 2000);
        Assert.Equal(OperationStatus.InvalidData, Parse(endless, out HandshakeResponse response, max: 1024));
        Assert.Equal(HandshakeError.ResponseTooLarge, response.Error);
        Assert.Equal(OperationStatus.NeedMoreData, Parse(endless, out _, max: 4096));
    }

    [Fact]
    public void TryParse_401WithBody_DoneWithErrorHeadersAndBodyFraming()
    {
        const string head = "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nX-WS-Error: Invalid API key\r\nContent-Length: 52\r\nRetry-After: 3\r\n\r\n";
        byte[] bytes = Encoding.ASCII.GetBytes(head + "{\"code\":\"UNAUTHORIZED\",\"message\":\"Invalid API key\"}");
        foreach ((string name, ReadOnlySequence<byte> sequence) in Sequences.AllShapes(bytes))
        {
            if (sequence.Length < head.Length && name.StartsWith("split", StringComparison.Ordinal))
            {
                continue;
            }

            Assert.True(OperationStatus.Done == Parse(sequence, out HandshakeResponse response), name);
            Assert.Equal(401, response.StatusCode);
            Assert.Equal(52, response.ContentLength);
            Assert.Equal(head.Length, response.HeaderLength);
            Assert.Equal("Invalid API key", head[response.ErrorHeader]);
            Assert.Equal("3", head[response.RetryAfter]);
            Assert.Equal("application/json", head[response.ContentType]);
        }
    }

    [Fact]
    public void TryParse_Chunked429_FlagsChunked()
    {
        Assert.Equal(OperationStatus.Done, Parse("HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\n\r\n", out HandshakeResponse response));
        Assert.True(response.Chunked);
        Assert.Equal(-1, response.ContentLength);
    }

    [Fact]
    public void TryParse_Valid101SingleSegment_ZeroAllocation()
    {
        var bytes = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(Valid));
        Parse(bytes, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Parse(bytes, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
