using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using C2Fast.Tests.Infrastructure;

namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>
/// Proves <see cref="RawKestrelServer"/>/<see cref="RawPeer"/> work, using .NET's ClientWebSocket
/// as the client (not the product).
/// </summary>
public sealed class RawKestrelServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Accept_BytewiseTextFrameThenMaskedReply_RoundTripsAndCloses(bool tls)
    {
        RawRequestHead? head = null;
        TestFrame? reply = null;
        TestFrame? closeReply = null;
        await using var server = await RawKestrelServer.StartAsync(
            async peer =>
            {
                head = peer.Request;
                await peer.AcceptAsync();
                await peer.WriteBytewiseAsync(TestFrames.Text("hello"), TimeSpan.FromMilliseconds(1));
                reply = await peer.ReadFrameAsync(Timeout);
                await peer.WriteAsync(TestFrames.Close(1000, "done"));
                closeReply = await peer.ReadCloseAsync(Timeout);
            },
            tls);
        using var client = await SmokeClient.ConnectAsync(server.Url("/ws?x=1"), "k1", Timeout);

        var message = await SmokeClient.ReceiveMessageAsync(client, Timeout);
        await client.SendAsync("world"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var close = await SmokeClient.ReceiveCloseAsync(client, Timeout);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        await server.WaitForHandlersAsync(Timeout);

        Assert.Equal("hello", Encoding.UTF8.GetString(message.Payload));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, close.CloseStatus);
        Assert.Equal("done", close.CloseStatusDescription);

        Assert.NotNull(head);
        Assert.Equal("GET /ws?x=1 HTTP/1.1", head.RequestLine);
        Assert.Equal($"127.0.0.1:{server.Port}", head.Host);
        Assert.Equal("Bearer k1", head.Authorization);
        Assert.Equal("13", head.SecWebSocketVersion);
        Assert.Equal(16, Convert.FromBase64String(head.SecWebSocketKey!).Length);
        Assert.Equal("websocket", head.GetHeader("Upgrade"), ignoreCase: true);
        Assert.Contains("upgrade", head.GetHeader("Connection")!, StringComparison.OrdinalIgnoreCase);
        Assert.False(head.HasHeader("Sec-WebSocket-Extensions"));

        Assert.NotNull(reply);
        Assert.True(reply.Fin);
        Assert.Equal(0, reply.Rsv);
        Assert.Equal(TestFrames.OpText, reply.Opcode);
        Assert.True(reply.Masked);
        Assert.Equal(4, reply.MaskKey!.Length);
        Assert.Equal("world", reply.PayloadText);

        Assert.NotNull(closeReply);
        Assert.True(closeReply.Masked);
        Assert.Equal(1000, closeReply.CloseCode);
        Assert.Equal("done", closeReply.CloseReason);
    }

    [Fact]
    public async Task SendHandshake_WrongAccept_ClientFailsAndClosesTcp()
    {
        var discarded = -1;
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.SendHandshakeAsync(HandshakeResponse.WrongAccept(peer.Request.SecWebSocketKey!));
            discarded = await peer.WaitForEofAsync(Timeout);
        });
        using var client = SmokeClient.Create(null);

        var error = await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(server.Url("/ws"), CancellationToken.None));
        await server.WaitForHandlersAsync(Timeout);

        Assert.Contains("Sec-WebSocket-Accept", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, discarded);
    }

    [Theory]
    [InlineData("no-upgrade")]
    [InlineData("no-connection")]
    [InlineData("unrequested-subprotocol")]
    [InlineData("status-200")]
    [InlineData("oversized-head")]
    public async Task SendHandshake_ScriptedBadResponse_ClientWebSocketFails(string variant)
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            var accept = HandshakeResponse.Accept(peer.Request.SecWebSocketKey!);
            var response = variant switch
            {
                "no-upgrade" => accept.WithoutHeader("Upgrade"),
                "no-connection" => accept.WithoutHeader("Connection"),
                "unrequested-subprotocol" => accept.WithHeader("Sec-WebSocket-Protocol", "chat"),
                "status-200" => accept.WithStatus(200, "OK"),
                _ => accept.WithHeadPaddedTo(256 * 1024),
            };
            await peer.SendHandshakeAsync(response);
            await peer.WaitForEofAsync(Timeout);
        });
        using var client = SmokeClient.Create(null);
        client.Options.DangerousDeflateOptions = null;

        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(server.Url("/ws"), CancellationToken.None));

        await server.WaitForHandlersAsync(Timeout);
    }

    [Fact]
    public async Task SendHandshake_UnrequestedExtension_HeaderReachesClient()
    {
        // .NET's ClientWebSocket tolerates an extension it did not offer (C2Fast must not), so this
        // only proves the scripted header is on the wire.
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.SendHandshakeAsync(HandshakeResponse.Accept(peer.Request.SecWebSocketKey!).WithHeader("Sec-WebSocket-Extensions", "x-test-ext"));
            await peer.WaitForEofAsync(Timeout);
        });
        using var client = await SmokeClient.ConnectAsync(server.Url("/ws"), null, Timeout);

        var extensions = client.HttpResponseHeaders!.First(h => h.Key.Equals("Sec-WebSocket-Extensions", StringComparison.OrdinalIgnoreCase));
        client.Abort();
        await server.WaitForHandlersAsync(Timeout);

        Assert.Equal("x-test-ext", Assert.Single(extensions.Value));
    }

    [Fact]
    public async Task SendHandshake_Unauthorized_ClientSeesStatusAndErrorHeader()
    {
        await using var server = await RawKestrelServer.StartAsync(peer => peer.SendHandshakeAsync(HandshakeResponse.Unauthorized()));
        using var client = SmokeClient.Create(null);

        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(server.Url("/ws"), CancellationToken.None));
        await server.WaitForHandlersAsync(Timeout);

        Assert.Equal(HttpStatusCode.Unauthorized, client.HttpStatusCode);
        var error = client.HttpResponseHeaders!.First(h => h.Key.Equals("X-WS-Error", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("Invalid API key", Assert.Single(error.Value));
    }

    [Fact]
    public async Task SendHandshake_FrameRightAfter101_ClientReceivesIt()
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            var response = HandshakeResponse.Accept(peer.Request.SecWebSocketKey!).WithTrailingBytes(TestFrames.Binary(new byte[] { 1, 2, 3 }));
            await peer.SendHandshakeAsync(response);
            await peer.ReadCloseAsync(Timeout);
        });
        using var client = await SmokeClient.ConnectAsync(server.Url("/ws"), null, Timeout);

        var message = await SmokeClient.ReceiveMessageAsync(client, Timeout);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        await server.WaitForHandlersAsync(Timeout);

        Assert.Equal(WebSocketMessageType.Binary, message.Type);
        Assert.Equal(new byte[] { 1, 2, 3 }, message.Payload);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Abort_AfterAccept_ClientSeesConnectionReset(bool tls)
    {
        // Abort only once the client has read the 101: an RST discards data the client has not read yet.
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await RawKestrelServer.StartAsync(
            async peer =>
            {
                await peer.AcceptAsync();
                await connected.Task.WaitAsync(Timeout);
                peer.Abort();
            },
            tls);
        using var client = await SmokeClient.ConnectAsync(server.Url("/ws"), null, Timeout);

        var receive = SmokeClient.ReceiveMessageAsync(client, Timeout);
        connected.SetResult();
        var error = await Assert.ThrowsAsync<WebSocketException>(() => receive);
        await server.WaitForHandlersAsync(Timeout);

        Assert.True(HasConnectionReset(error), $"Expected a connection reset, got: {error}");
    }

    [Fact]
    public async Task WriteChunked_64KiBIn997ByteChunks_ClientReceivesIntact()
    {
        var payload = PeerPayloads.Binary(65536);
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.AcceptAsync();
            await peer.WriteChunkedAsync(TestFrames.Binary(payload), 997);
            await peer.ReadCloseAsync(Timeout);
        });
        using var client = await SmokeClient.ConnectAsync(server.Url("/ws"), null, Timeout);

        var message = await SmokeClient.ReceiveMessageAsync(client, Timeout);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        await server.WaitForHandlersAsync(Timeout);

        Assert.Equal(payload, message.Payload);
    }

    [Fact]
    public async Task CompleteOutput_AfterAccept_ClientSeesPrematureEofNotReset()
    {
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        TestFrame? afterEof = null;
        var eofRead = false;
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.AcceptAsync();
            await connected.Task.WaitAsync(Timeout);
            await peer.CompleteOutputAsync();
            afterEof = await peer.ReadFrameAsync(Timeout);
            eofRead = true;
        });
        using var client = await SmokeClient.ConnectAsync(server.Url("/ws"), null, Timeout);

        var receive = SmokeClient.ReceiveMessageAsync(client, Timeout);
        connected.SetResult();
        var error = await Assert.ThrowsAsync<WebSocketException>(() => receive);
        client.Dispose();
        await server.WaitForHandlersAsync(Timeout);

        Assert.Equal(WebSocketError.ConnectionClosedPrematurely, error.WebSocketErrorCode);
        Assert.False(HasConnectionReset(error));
        Assert.True(eofRead);
        Assert.Null(afterEof); // ReadFrameAsync returns null at EOF between frames.
    }

    [Fact]
    public async Task WaitForEof_ClientAborts_ReturnsWithoutTimeout()
    {
        var accepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.AcceptAsync();
            accepted.SetResult();
            await peer.WaitForEofAsync(Timeout);
        });
        using var client = await SmokeClient.ConnectAsync(server.Url("/ws"), null, Timeout);

        await accepted.Task.WaitAsync(Timeout);
        client.Abort();

        await server.WaitForHandlersAsync(Timeout);
    }

    [Fact]
    public async Task WaitForHandlers_HandlerThrows_RethrowsTheFailure()
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.AcceptAsync();
            throw new InvalidOperationException("server-side assertion");
        });
        using var client = await SmokeClient.ConnectAsync(server.Url("/ws"), null, Timeout);

        var error = await Assert.ThrowsAsync<AggregateException>(() => server.WaitForHandlersAsync(Timeout));

        Assert.Equal("server-side assertion", Assert.IsType<InvalidOperationException>(Assert.Single(error.InnerExceptions)).Message);
    }

    private static bool HasConnectionReset(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            if (error is SocketException { SocketErrorCode: SocketError.ConnectionReset })
            {
                return true;
            }
        }

        return false;
    }
}
