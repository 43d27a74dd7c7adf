using System.Text;
using C2Fast.IntegrationTests.Conformance;
using C2Fast.IntegrationTests.Infrastructure;
using C2Fast.Tests.Infrastructure;

namespace C2Fast.IntegrationTests.Client;

/// <summary>The client against a raw peer that writes exactly the bytes a test wants.</summary>
public class C2FeedClientRawServerTests
{
    private const string Connected = """{"msg_type":"connection.connected","id":"msg_00ff","timestamp":"2024-01-01T12:00:00Z","v":4}""";

    private static C2FeedOptions Options(Uri uri) => ClientHarness.Options(uri) with { Heartbeat = ClientHarness.Options(uri).Heartbeat with { Interval = TimeSpan.FromSeconds(30) } };

    [Fact]
    public async Task Connect_ReturnsOnlyAfterConnectionConnected()
    {
        var release = new TaskCompletionSource();
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.AcceptAsync();
            await release.Task;
            await peer.WriteAsync(TestFrames.Text(Connected));
            await peer.ReadCloseAsync(ClientHarness.Timeout, skipOtherFrames: true);
            await peer.WriteAsync(TestFrames.Close(1000));
        });
        await using var client = new C2FeedClient(Options(server.Url("/ws")));

        Task connect = client.ConnectAsync();
        await Task.Delay(300);
        Assert.False(connect.IsCompleted);
        Assert.False(client.IsConnected);

        release.SetResult();
        await connect.WaitAsync(ClientHarness.Timeout);
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task Connect_NoConnectedMessage_TimeoutError()
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.AcceptAsync();
            await peer.WaitForEofAsync(ClientHarness.Timeout);
        });
        await using var client = new C2FeedClient(Options(server.Url("/ws")) with { Connection = Options(server.Url("/ws")).Connection with { ConnectTimeout = TimeSpan.FromMilliseconds(500) } });

        var ex = await Assert.ThrowsAsync<C2FeedException>(() => client.ConnectAsync());
        Assert.Equal(C2FeedError.Timeout, ex.Error);
    }

    [Fact]
    public async Task Connect_RaceClose1008BeforeConnected_ConnectionClosedWith1008()
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.AcceptAsync();
            await peer.WriteAsync(TestFrames.Close(1008));
            await peer.ReadCloseAsync(ClientHarness.Timeout);
        });
        await using var client = new C2FeedClient(Options(server.Url("/ws")));

        var ex = await Assert.ThrowsAsync<C2FeedException>(() => client.ConnectAsync());
        Assert.Equal(C2FeedError.ConnectionClosed, ex.Error);
        Assert.Equal(1008, ex.CloseStatus);
    }

    [Theory]
    [InlineData("{not json", "InvalidJson")]
    [InlineData("""{"id":"msg_1","v":4}""", "MissingMsgType")]
    [InlineData("[1,2,3]", "NotAnObject")]
    [InlineData("""{"msg_type":"strategy.signal","payload":{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}""", "DepthExceeded")]
    public async Task BadMessage_ProtocolErrorEventWithRawBytes_NextMessageStillDelivered(string bad, string reason)
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.AcceptAsync();
            await peer.WriteAsync(TestFrames.Concat(
                TestFrames.Text(Connected),
                TestFrames.Text(bad),
                TestFrames.Text("""{"msg_type":"strategy.signal","seq_id":7,"payload":{"strategy_id":5}}""")));
            await peer.ReadCloseAsync(ClientHarness.Timeout, skipOtherFrames: true);
            await peer.WriteAsync(TestFrames.Close(1000));
        });
        await using var client = new C2FeedClient(Options(server.Url("/ws")));
        var error = new TaskCompletionSource<C2ProtocolErrorEventArgs>();
        client.ProtocolError += (_, e) => error.TrySetResult(e);
        await client.ConnectAsync();

        using var cts = new CancellationTokenSource(ClientHarness.Timeout);
        using C2FeedMessage message = await client.Partitions[0].ReadAsync(cts.Token);

        Assert.Equal(7, message.SeqId);
        C2ProtocolErrorEventArgs e = await error.Task.WaitAsync(ClientHarness.Timeout);
        Assert.Equal(reason, e.Reason);
        Assert.Equal(bad, Encoding.UTF8.GetString(e.RawMessage.Span));
        Assert.Equal(1, client.GetStatistics().ProtocolErrors);
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task ReplayOverlappingLive_DuplicatesDiscardedAndCounted_UnknownTypesDelivered()
    {
        static string Signal(long seq) => $$$"""{"msg_type":"strategy.signal","seq_id":{{{seq}}},"payload":{"strategy_id":9}}""";
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.AcceptAsync();
            await peer.WriteAsync(TestFrames.Concat(
                TestFrames.Text(Connected),
                TestFrames.Text(Signal(10)), TestFrames.Text(Signal(12)), TestFrames.Text(Signal(11)), TestFrames.Text(Signal(12)),
                TestFrames.Text("""{"msg_type":"strategy.fancy","payload":{"strategy_id":9}}"""),
                TestFrames.Text(Signal(30)),
                TestFrames.Text("""{"msg_type":"heartbeat","id":"msg_1","timestamp":"2024-01-01T12:00:00Z","v":4}""")));
            TestFrame ack = (await peer.ReadFrameAsync(ClientHarness.Timeout))!;
            Assert.Contains("\"msg_type\":\"heartbeat.ack\"", ack.PayloadText, StringComparison.Ordinal);
            await peer.ReadCloseAsync(ClientHarness.Timeout, skipOtherFrames: true);
            await peer.WriteAsync(TestFrames.Close(1000));
        });
        await using var client = new C2FeedClient(Options(server.Url("/ws")));
        await client.ConnectAsync();

        var seen = new List<string>();
        using var cts = new CancellationTokenSource(ClientHarness.Timeout);
        await foreach (C2FeedMessage message in client.ReadAllAsync(cts.Token))
        {
            using (message)
            {
                seen.Add(message.Type == C2MessageType.Unknown ? message.GetMsgType() : $"{message.SeqId}");
            }

            if (seen.Count == 4)
            {
                break;
            }
        }

        Assert.Equal(["10", "12", "strategy.fancy", "30"], seen);
        Assert.Equal(2, client.GetStatistics().DuplicatesDiscarded);
        await client.CloseAsync();
        await server.WaitForHandlersAsync(ClientHarness.Timeout);
    }
}
