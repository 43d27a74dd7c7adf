using System.Net;
using System.Text;
using C2Fast.Framing;
using C2Fast.IntegrationTests.Infrastructure;
using C2Fast.Tests.Infrastructure;

namespace C2Fast.IntegrationTests.Conformance;

/// <summary>RFC 6455 §4 and the C2 rejection contract, over real sockets against a raw Kestrel peer.</summary>
public class HandshakeConformanceTests
{
    private static async Task<C2FeedException> ConnectExpectingFailure(Func<RawPeer, HandshakeResponse> respond, bool tls = false, C2FeedOptions? options = null)
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.SendHandshakeAsync(respond(peer));
            await peer.WaitForEofAsync(ClientHarness.Timeout);
        }, tls);
        C2FeedOptions effective = (options ?? ClientHarness.Options(server.Url("/ws"))) with { Endpoint = server.Url("/ws") };
        var ex = await Assert.ThrowsAsync<C2FeedException>(() => TestConnection.ConnectAsync(effective));
        await server.WaitForHandlersAsync(ClientHarness.Timeout);
        return ex;
    }

    [Fact]
    public async Task WrongAccept_InvalidHandshake()
    {
        var ex = await ConnectExpectingFailure(peer => HandshakeResponse.WrongAccept(peer.Request.SecWebSocketKey!));
        Assert.Equal(C2FeedError.InvalidHandshake, ex.Error);
    }

    [Theory]
    [InlineData("Sec-WebSocket-Extensions", "permessage-deflate")]
    [InlineData("Sec-WebSocket-Protocol", "chat")]
    public async Task UnrequestedExtensionOrSubprotocol_InvalidHandshake(string header, string value)
    {
        var ex = await ConnectExpectingFailure(peer => HandshakeResponse.Accept(peer.Request.SecWebSocketKey!).WithHeader(header, value));
        Assert.Equal(C2FeedError.InvalidHandshake, ex.Error);
    }

    [Theory]
    [InlineData("Upgrade")]
    [InlineData("Connection")]
    [InlineData("Sec-WebSocket-Accept")]
    public async Task MissingRequiredHeader_InvalidHandshake(string header)
    {
        var ex = await ConnectExpectingFailure(peer => HandshakeResponse.Accept(peer.Request.SecWebSocketKey!).WithoutHeader(header));
        Assert.Equal(C2FeedError.InvalidHandshake, ex.Error);
    }

    [Fact]
    public async Task OversizedHead_InvalidHandshake()
    {
        var ex = await ConnectExpectingFailure(
            peer => HandshakeResponse.Accept(peer.Request.SecWebSocketKey!).WithHeadPaddedTo(64 * 1024),
            options: ClientHarness.Options(new Uri("ws://unused/")) with { Connection = ClientHarness.Options(new Uri("ws://unused/")).Connection with { MaxHandshakeResponseSize = 4096 } });
        Assert.Equal(C2FeedError.InvalidHandshake, ex.Error);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Unauthorized401_TypedWithHeaderAndJsonBody(bool tls)
    {
        var ex = await ConnectExpectingFailure(_ => HandshakeResponse.Unauthorized(), tls);
        Assert.Equal(C2FeedError.AuthenticationFailed, ex.Error);
        Assert.Equal(401, ex.HttpStatus);
        Assert.Equal("Invalid API key", ex.ServerErrorHeader);
        Assert.Equal("UNAUTHORIZED", ex.ServerCode);
        Assert.Equal("Invalid API key", ex.ServerMessage);
        Assert.False(ex.IsRetryable);
        Assert.DoesNotContain("conformance-key", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(429, "RATE_LIMITED", C2FeedError.ConnectionRejected)]
    [InlineData(503, "SERVICE_UNAVAILABLE", C2FeedError.ConnectionRejected)]
    [InlineData(500, "INTERNAL", C2FeedError.HandshakeFailed)]
    [InlineData(404, "NOT_FOUND", C2FeedError.HandshakeFailed)]
    public async Task OtherStatus_TypedWithStatusBodyAndRetryAfter(int status, string code, C2FeedError expected)
    {
        var ex = await ConnectExpectingFailure(_ => HandshakeResponse.Reject(status, "Nope", null, $"{{\"code\":\"{code}\",\"message\":\"try later\"}}").WithHeader("Retry-After", "2"));
        Assert.Equal(expected, ex.Error);
        Assert.Equal(status, ex.HttpStatus);
        Assert.Equal(code, ex.ServerCode);
        Assert.Equal("try later", ex.ServerMessage);
        Assert.Equal(TimeSpan.FromSeconds(2), ex.RetryAfter);
        Assert.True(ex.IsRetryable);
    }

    [Fact]
    public async Task ChunkedRejectionBody_Decoded()
    {
        const string json = "{\"code\":\"RATE_LIMITED\",\"message\":\"slow down\"}";
        var ex = await ConnectExpectingFailure(_ => HandshakeResponse.Reject(429, "Too Many Requests", null, "")
            .WithoutHeader("Content-Length")
            .WithHeader("Transfer-Encoding", "chunked")
            .WithTrailingBytes(Encoding.ASCII.GetBytes($"{json.Length:x}\r\n{json}\r\n0\r\n\r\n")));
        Assert.Equal(C2FeedError.ConnectionRejected, ex.Error);
        Assert.Equal("RATE_LIMITED", ex.ServerCode);
        Assert.Equal("slow down", ex.ServerMessage);
    }

    [Fact]
    public async Task ServerClosesDuringHandshake_ConnectionLost()
    {
        await using var server = await RawKestrelServer.StartAsync(peer =>
        {
            peer.Abort();
            return Task.CompletedTask;
        });
        var ex = await Assert.ThrowsAsync<C2FeedException>(() => TestConnection.ConnectAsync(ClientHarness.Options(server.Url("/ws"))));
        Assert.Equal(C2FeedError.ConnectionLost, ex.Error);
    }

    [Fact]
    public async Task ServerNeverAnswers_ConnectFailedAfterTimeout()
    {
        await using var server = await RawKestrelServer.StartAsync(peer => peer.WaitForEofAsync(ClientHarness.Timeout));
        var ex = await Assert.ThrowsAsync<C2FeedException>(() => TestConnection.ConnectAsync(ClientHarness.Options(server.Url("/ws")) with { Connection = ClientHarness.Options(server.Url("/ws")).Connection with { ConnectTimeout = TimeSpan.FromMilliseconds(300) } }));
        Assert.Equal(C2FeedError.ConnectFailed, ex.Error);
    }

    [Fact]
    public async Task NothingListening_ConnectFailed()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var ex = await Assert.ThrowsAsync<C2FeedException>(() => TestConnection.ConnectAsync(ClientHarness.Options(new Uri($"ws://127.0.0.1:{port}/ws"))));
        Assert.Equal(C2FeedError.ConnectFailed, ex.Error);
    }

    [Fact]
    public async Task Tls_UntrustedCertificate_TlsFailed()
    {
        await using var server = await RawKestrelServer.StartAsync(peer => peer.AcceptAsync(), tls: true);
        var ex = await Assert.ThrowsAsync<C2FeedException>(() => TestConnection.ConnectAsync(ClientHarness.Options(server.Url("/ws")) with { Connection = ClientHarness.Options(server.Url("/ws")).Connection with { TrustedCaCertificate = null } }));
        Assert.Equal(C2FeedError.TlsFailed, ex.Error);
    }

    [Fact]
    public async Task Tls_HostNameMismatch_TlsFailedEvenWithTrustedCa()
    {
        // Signed by the trusted test CA, but for another name than the 127.0.0.1 we connect to.
        using var otherName = TestCertificates.Shared.IssueServerCertificate(
            "other.test", ["other.test"], [], DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await using var server = await RawKestrelServer.StartAsync(peer => peer.AcceptAsync(), tls: true, certificate: otherName);
        var ex = await Assert.ThrowsAsync<C2FeedException>(() => TestConnection.ConnectAsync(ClientHarness.Options(server.Url("/ws"))));
        Assert.Equal(C2FeedError.TlsFailed, ex.Error);
    }

    [Fact]
    public async Task Request_CarriesBearerKeyVersionAndNoExtensions()
    {
        RawRequestHead? head = null;
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            head = peer.Request;
            await peer.AcceptAsync();
            await peer.WriteAsync(TestFrames.Close(1000));
            await peer.ReadCloseAsync(ClientHarness.Timeout);
        }, tls: true);
        C2FeedOptions options = ClientHarness.Options(server.Url("/ws?v=4"));
        await using var connection = await TestConnection.ConnectAsync(options with
        {
            Connection = options.Connection with { AdditionalHeaders = new Dictionary<string, string> { ["X-Trace"] = "abc" } },
        });
        await connection.RunAsync(new RecordingHandler()).WaitAsync(ClientHarness.Timeout);
        await server.WaitForHandlersAsync(ClientHarness.Timeout);

        Assert.True(connection.IsTls);
        Assert.Equal("GET /ws?v=4 HTTP/1.1", head!.RequestLine);
        Assert.Equal("Bearer conformance-key", head.Authorization);
        Assert.Equal("13", head.SecWebSocketVersion);
        Assert.Equal("abc", head.GetHeader("X-Trace"));
        Assert.False(head.HasHeader("Sec-WebSocket-Extensions"));
        Assert.False(head.HasHeader("Sec-WebSocket-Protocol"));
    }
}
