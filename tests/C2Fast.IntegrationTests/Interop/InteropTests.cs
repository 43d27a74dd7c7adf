using System.Text;
using System.Text.Json;
using C2Fast.Framing;
using C2Fast.IntegrationTests.Conformance;
using C2Fast.IntegrationTests.Infrastructure;
using C2Fast.Tests.Infrastructure;

namespace C2Fast.IntegrationTests.Interop;

/// <summary>
/// The C2Fast engine against two WebSocket implementations that share no code with it:
/// Debian's python3-websockets 10.4 and npm ws 8, each over ws and wss (test CA).
/// </summary>
public sealed class InteropTests : IClassFixture<InteropPeersFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly InteropPeersFixture _peers;

    public InteropTests(InteropPeersFixture peers) => _peers = peers;

    public static TheoryData<PeerKind, bool> All => InteropPeersFixture.All;

    private static C2FeedOptions Options(Uri uri, string apiKey = InteropPeersFixture.ApiKey) => new()
    {
        Endpoint = uri,
        ApiKey = apiKey,
        Connection = new C2ConnectionOptions { TrustedCaCertificate = TestCertificates.Shared.Ca, CloseTimeout = TimeSpan.FromSeconds(5) },
    };

    [Theory]
    [MemberData(nameof(All))]
    public async Task Send_MessagesOfEverySize_DeliveredByteExact(PeerKind kind, bool tls)
    {
        PeerProcess peer = _peers.Get(kind, tls);
        int[] sizes = [0, 125, 126, 127, 65535, 65536, 1024 * 1024];
        string list = string.Join(',', sizes);
        foreach (string type in new[] { "text", "binary" })
        {
            string tag = $"send-{type}-{Guid.NewGuid():N}";
            await using var connection = await TestConnection.ConnectAsync(Options(peer.Url($"/send?type={type}&sizes={list}&tag={tag}")));
            var handler = new RecordingHandler();
            Task<CloseResult> loop = connection.RunAsync(handler);

            IReadOnlyList<ReceivedMessage> messages = await handler.WaitForAsync(sizes.Length, Timeout);
            CloseResult closed = await connection.CloseAsync(1000, "enough").WaitAsync(Timeout);

            for (int i = 0; i < sizes.Length; i++)
            {
                Assert.Equal(type == "text", messages[i].IsText);
                Assert.Equal(type == "text" ? PeerPayloads.TextBytes(sizes[i]) : PeerPayloads.Binary(sizes[i]), messages[i].Payload);
            }

            Assert.Equal(1000, closed.Code);
            Assert.Equal(closed.Code, (await loop.WaitAsync(Timeout)).Code); // the loop's own task ends on a continuation after the close
            Assert.Equal((1000, "enough"), await peer.WaitForClientCloseAsync(tag, Timeout));
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Fragmented_WithInterleavedPings_OneMessageEachAndPongsEcho(PeerKind kind, bool tls)
    {
        PeerProcess peer = _peers.Get(kind, tls);
        await using var connection = await TestConnection.ConnectAsync(Options(peer.Url("/fragmented?parts=4&pings=2&size=4000&waitpong=1")));
        var handler = new RecordingHandler();
        _ = connection.RunAsync(handler);

        IReadOnlyList<ReceivedMessage> messages = await handler.WaitForAsync(3, Timeout);
        await connection.CloseAsync().WaitAsync(Timeout);

        Assert.Equal(PeerPayloads.TextBytes(4000), messages[0].Payload);
        Assert.True(messages[0].IsText);
        Assert.Equal(PeerPayloads.Binary(4000), messages[1].Payload);
        Assert.False(messages[1].IsText);
        using JsonDocument report = JsonDocument.Parse(messages[2].Payload);
        string[] pings = report.RootElement.GetProperty("pings").EnumerateArray().Select(e => e.GetString()!).ToArray();
        string[] pongs = report.RootElement.GetProperty("pongs").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(12, pings.Length);
        Assert.Equal(pings, pongs);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Echo_ClientMessagesWholeAndFragmented_EchoedIntact(PeerKind kind, bool tls)
    {
        PeerProcess peer = _peers.Get(kind, tls);
        await using var connection = await TestConnection.ConnectAsync(Options(peer.Url("/echo")));
        var handler = new RecordingHandler();
        _ = connection.RunAsync(handler);

        byte[][] payloads = [[], PeerPayloads.TextBytes(125), PeerPayloads.TextBytes(126), PeerPayloads.TextBytes(65536), PeerPayloads.TextBytes(1024 * 1024)];
        foreach (byte[] payload in payloads)
        {
            await connection.SendAsync(payload, isText: true);
        }

        byte[] fragmented = Encoding.UTF8.GetBytes("fragmented κόσμε 😀 from the client");
        await connection.SendAsync(fragmented.AsMemory(0, 13), isText: true, endOfMessage: false);
        await connection.PingAsync("between"u8.ToArray());
        await connection.SendAsync(fragmented.AsMemory(13), isText: true, endOfMessage: true);
        await connection.SendAsync(PeerPayloads.Binary(70000), isText: false);

        IReadOnlyList<ReceivedMessage> echoes = await handler.WaitForAsync(payloads.Length + 2, Timeout);
        await connection.CloseAsync().WaitAsync(Timeout);

        for (int i = 0; i < payloads.Length; i++)
        {
            Assert.Equal(payloads[i], echoes[i].Payload);
        }

        Assert.Equal(fragmented, echoes[payloads.Length].Payload);
        Assert.Equal(PeerPayloads.Binary(70000), echoes[payloads.Length + 1].Payload);
        Assert.False(echoes[payloads.Length + 1].IsText);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Close_ServerInitiated_EchoedAndResultCarriesCodeAndReason(PeerKind kind, bool tls)
    {
        PeerProcess peer = _peers.Get(kind, tls);
        string tag = Guid.NewGuid().ToString("N");
        await using var connection = await TestConnection.ConnectAsync(Options(peer.Url($"/close?code=4001&reason=server%20bye&tag={tag}")));

        CloseResult closed = await connection.RunAsync(new RecordingHandler()).WaitAsync(Timeout);

        Assert.Equal(4001, closed.Code);
        Assert.Equal("server bye", closed.Reason);
        Assert.True(closed.ServerInitiated);
        Assert.Equal(4001, (await peer.WaitForClientCloseAsync(tag, Timeout)).Code);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Close_ClientInitiated_PeerReportsCodeAndEchoes(PeerKind kind, bool tls)
    {
        PeerProcess peer = _peers.Get(kind, tls);
        string tag = Guid.NewGuid().ToString("N");
        await using var connection = await TestConnection.ConnectAsync(Options(peer.Url($"/wait-close?tag={tag}")));
        Task<CloseResult> loop = connection.RunAsync(new RecordingHandler());

        CloseResult closed = await connection.CloseAsync(3001, "client bye").WaitAsync(Timeout);

        Assert.Equal(3001, closed.Code);
        Assert.False(closed.ServerInitiated);
        Assert.Equal((3001, "client bye"), await peer.WaitForClientCloseAsync(tag, Timeout));
        Assert.Equal(closed.Code, (await loop.WaitAsync(Timeout)).Code); // the loop's own task ends on a continuation after the close
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task WrongKey_401WithJsonBody(PeerKind kind, bool tls)
    {
        PeerProcess peer = _peers.Get(kind, tls);
        var ex = await Assert.ThrowsAsync<C2FeedException>(() => TestConnection.ConnectAsync(Options(peer.Url("/echo"), apiKey: "wrong-key")));

        Assert.Equal(C2FeedError.AuthenticationFailed, ex.Error);
        Assert.Equal(401, ex.HttpStatus);
        Assert.Equal("UNAUTHORIZED", ex.ServerCode);
        Assert.Equal("Invalid API key", ex.ServerMessage);
        Assert.Equal("Invalid API key", ex.ServerErrorHeader);
        Assert.DoesNotContain("wrong-key", ex.Message, StringComparison.Ordinal);
    }
}
