using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using C2Fast.Tests.Infrastructure;

namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>
/// Proves the independent peers (tests/peers) work, using .NET's ClientWebSocket as the client.
/// These test the tools, not C2Fast.
/// </summary>
public sealed class PeerToolTests(InteropPeersFixture peers) : IClassFixture<InteropPeersFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly int[] Sizes = [0, 125, 126, 127, 65535, 65536, 1048576];

    public static TheoryData<PeerKind, bool> All => InteropPeersFixture.All;

    [Theory]
    [MemberData(nameof(All))]
    public async Task Echo_TextAndBinary_ReturnedWithSameType(PeerKind kind, bool tls)
    {
        var peer = peers.Get(kind, tls);
        using var client = await SmokeClient.ConnectAsync(peer.Url("/echo"), InteropPeersFixture.ApiKey, Timeout);

        await client.SendAsync("héllo €"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var text = await SmokeClient.ReceiveMessageAsync(client, Timeout);
        await client.SendAsync(new byte[] { 0, 1, 2, 255 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        var binary = await SmokeClient.ReceiveMessageAsync(client, Timeout);

        Assert.Equal(WebSocketMessageType.Text, text.Type);
        Assert.Equal("héllo €", Encoding.UTF8.GetString(text.Payload));
        Assert.Equal(WebSocketMessageType.Binary, binary.Type);
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, binary.Payload);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Echo_Sizes0To1MiB_ReturnedIntact(PeerKind kind, bool tls)
    {
        var peer = peers.Get(kind, tls);
        using var client = await SmokeClient.ConnectAsync(peer.Url("/echo"), InteropPeersFixture.ApiKey, Timeout);

        foreach (var size in Sizes)
        {
            var payload = PeerPayloads.Binary(size);
            await client.SendAsync(payload, WebSocketMessageType.Binary, true, CancellationToken.None);
            var echoed = await SmokeClient.ReceiveMessageAsync(client, Timeout);
            Assert.Equal(WebSocketMessageType.Binary, echoed.Type);
            Assert.True(payload.AsSpan().SequenceEqual(echoed.Payload), $"echo of {size} bytes differs");
        }

        var text = PeerPayloads.TextBytes(65536);
        await client.SendAsync(text, WebSocketMessageType.Text, true, CancellationToken.None);
        var echoedText = await SmokeClient.ReceiveMessageAsync(client, Timeout);
        Assert.Equal(WebSocketMessageType.Text, echoedText.Type);
        Assert.True(text.AsSpan().SequenceEqual(echoedText.Payload), "echo of 65536 text bytes differs");
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Send_SizesBinaryThenText_DeliversDeterministicPattern(PeerKind kind, bool tls)
    {
        var peer = peers.Get(kind, tls);
        var sizes = string.Join(',', Sizes);
        foreach (var (type, messageType) in new[] { ("binary", WebSocketMessageType.Binary), ("text", WebSocketMessageType.Text) })
        {
            using var client = await SmokeClient.ConnectAsync(peer.Url($"/send?sizes={sizes}&type={type}"), InteropPeersFixture.ApiKey, Timeout);
            foreach (var size in Sizes)
            {
                var expected = type == "text" ? PeerPayloads.TextBytes(size) : PeerPayloads.Binary(size);
                var message = await SmokeClient.ReceiveMessageAsync(client, Timeout);
                Assert.Equal(messageType, message.Type);
                Assert.Equal(size, message.Payload.Length);
                Assert.True(expected.AsSpan().SequenceEqual(message.Payload), $"{type} message of {size} bytes differs from the pattern");
            }

            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Fragmented_PingsBetweenFragments_ReportsIdenticalPongs(PeerKind kind, bool tls)
    {
        var peer = peers.Get(kind, tls);
        using var client = await SmokeClient.ConnectAsync(peer.Url("/fragmented?parts=3&pings=2&size=100&waitpong=1"), InteropPeersFixture.ApiKey, Timeout);

        var text = await SmokeClient.ReceiveMessageAsync(client, Timeout);
        var binary = await SmokeClient.ReceiveMessageAsync(client, Timeout);
        var report = await SmokeClient.ReceiveMessageAsync(client, Timeout);

        Assert.Equal(WebSocketMessageType.Text, text.Type);
        Assert.Equal(PeerPayloads.TextBytes(100), text.Payload);
        Assert.Equal(WebSocketMessageType.Binary, binary.Type);
        Assert.Equal(PeerPayloads.Binary(100), binary.Payload);
        using var json = JsonDocument.Parse(report.Payload);
        var pings = json.RootElement.GetProperty("pings").EnumerateArray().Select(e => e.GetString()).ToArray();
        var pongs = json.RootElement.GetProperty("pongs").EnumerateArray().Select(e => e.GetString()).ToArray();
        Assert.Equal(8, pings.Length); // 2 messages x 2 gaps x 2 pings
        Assert.Equal(pings.Distinct().Count(), pings.Length);
        Assert.Equal(pings, pongs);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Close_ServerInitiated_ClientSeesCodeAndReasonAndPeerSeesReply(PeerKind kind, bool tls)
    {
        var peer = peers.Get(kind, tls);
        var tag = Guid.NewGuid().ToString("N");
        using var client = await SmokeClient.ConnectAsync(peer.Url($"/close?code=4001&reason=bye%20now&tag={tag}"), InteropPeersFixture.ApiKey, Timeout);

        var close = await SmokeClient.ReceiveCloseAsync(client, Timeout);
        await client.CloseOutputAsync((WebSocketCloseStatus)4001, "ack", CancellationToken.None);
        var reported = await peer.WaitForClientCloseAsync(tag, Timeout);

        Assert.Equal((WebSocketCloseStatus)4001, close.CloseStatus);
        Assert.Equal("bye now", close.CloseStatusDescription);
        Assert.Equal((4001, "ack"), reported);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task WaitClose_ClientInitiated_HandshakeCompletesAndPeerReportsCode(PeerKind kind, bool tls)
    {
        var peer = peers.Get(kind, tls);
        var tag = Guid.NewGuid().ToString("N");
        using var client = await SmokeClient.ConnectAsync(peer.Url($"/wait-close?tag={tag}"), InteropPeersFixture.ApiKey, Timeout);

        using var cts = new CancellationTokenSource(Timeout);
        await client.CloseAsync((WebSocketCloseStatus)3001, "client bye", cts.Token);
        var reported = await peer.WaitForClientCloseAsync(tag, Timeout);

        Assert.Equal(WebSocketState.Closed, client.State);
        Assert.Equal((WebSocketCloseStatus)3001, client.CloseStatus); // the peer echoed our close
        Assert.Equal((3001, "client bye"), reported);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Headers_Connect_ReportsAuthorizationAndNoExtension(PeerKind kind, bool tls)
    {
        var peer = peers.Get(kind, tls);
        using var client = SmokeClient.Create(InteropPeersFixture.ApiKey);
        client.Options.DangerousDeflateOptions = null;
        using var cts = new CancellationTokenSource(Timeout);
        await client.ConnectAsync(peer.Url("/headers?x=1"), cts.Token);

        var report = await SmokeClient.ReceiveMessageAsync(client, Timeout);
        using var json = JsonDocument.Parse(report.Payload);
        var headers = json.RootElement.GetProperty("headers").EnumerateArray()
            .Select(h => (Name: h[0].GetString()!, Value: h[1].GetString()!)).ToArray();

        Assert.Equal("/headers?x=1", json.RootElement.GetProperty("path").GetString());
        Assert.Contains(headers, h => h.Name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) && h.Value == $"Bearer {InteropPeersFixture.ApiKey}");
        Assert.Contains(headers, h => h.Name.Equals("Host", StringComparison.OrdinalIgnoreCase) && h.Value == $"127.0.0.1:{peer.Port}");
        Assert.DoesNotContain(headers, h => h.Name.Equals("Sec-WebSocket-Extensions", StringComparison.OrdinalIgnoreCase));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Connect_WrongApiKey_Fails401WithErrorHeader(PeerKind kind, bool tls)
    {
        var peer = peers.Get(kind, tls);
        using var client = SmokeClient.Create("wrong-key");

        using var cts = new CancellationTokenSource(Timeout);
        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(peer.Url("/echo"), cts.Token));

        Assert.Equal(HttpStatusCode.Unauthorized, client.HttpStatusCode);
        Assert.NotNull(client.HttpResponseHeaders);
        var error = client.HttpResponseHeaders.First(h => h.Key.Equals("X-WS-Error", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("Invalid API key", Assert.Single(error.Value));
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task RawUpgrade_NoApiKey_Returns401WithJsonBody(PeerKind kind, bool tls)
    {
        var peer = peers.Get(kind, tls);

        var response = await SendRawUpgradeAsync(peer.Url("/echo"), authorization: null);

        Assert.StartsWith("HTTP/1.1 401 ", response.StatusLine, StringComparison.Ordinal);
        Assert.Equal("Invalid API key", response.Headers["x-ws-error"]);
        Assert.Equal("""{"code":"UNAUTHORIZED","message":"Invalid API key"}""", response.Body);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task RawUpgrade_RejectScenario_ReturnsChosenStatusWithJsonBody(PeerKind kind, bool tls)
    {
        var peer = peers.Get(kind, tls);

        var response = await SendRawUpgradeAsync(peer.Url("/reject?status=429&code=RATE_LIMITED&message=Too%20many"), $"Bearer {InteropPeersFixture.ApiKey}");

        Assert.StartsWith("HTTP/1.1 429 ", response.StatusLine, StringComparison.Ordinal);
        Assert.Equal("Too many", response.Headers["x-ws-error"]);
        using var json = JsonDocument.Parse(response.Body);
        Assert.Equal("RATE_LIMITED", json.RootElement.GetProperty("code").GetString());
        Assert.Equal("Too many", json.RootElement.GetProperty("message").GetString());
    }

    /// <summary>Sends a hand-written upgrade request and reads the response to EOF (the peers close after a rejection).</summary>
    private static async Task<(string StatusLine, Dictionary<string, string> Headers, string Body)> SendRawUpgradeAsync(Uri uri, string? authorization)
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port, cts.Token);
        Stream stream = tcp.GetStream();
        if (uri.Scheme == "wss")
        {
            var ssl = new SslStream(stream, false, TestCertificates.Shared.ValidateWithTestCa());
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = uri.Host }, cts.Token);
            stream = ssl;
        }

        await using (stream)
        {
            var request = new StringBuilder()
                .Append($"GET {uri.PathAndQuery} HTTP/1.1\r\n")
                .Append($"Host: {uri.Host}:{uri.Port}\r\n")
                .Append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
                .Append("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
            if (authorization is not null)
            {
                request.Append($"Authorization: {authorization}\r\n");
            }

            await stream.WriteAsync(Encoding.ASCII.GetBytes(request.Append("\r\n").ToString()), cts.Token);
            using var response = new MemoryStream();
            try
            {
                await stream.CopyToAsync(response, cts.Token);
            }
            catch (IOException) when (response.Length > 0)
            {
                // A reset after the full response (the peer closed without reading everything) is fine.
            }

            var text = Encoding.UTF8.GetString(response.ToArray());
            var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            Assert.True(split > 0, $"No complete response head in '{text}'");
            var lines = text[..split].Split("\r\n");
            var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
            return (lines[0], headers, text[(split + 4)..]);
        }
    }
}
