using System.Net.Sockets;
using System.Net.WebSockets;
using C2Fast.Simulator;

namespace C2Fast.IntegrationTests.Simulator;

/// <summary>A server restart that keeps its feeds: same port, same seq_ids and history, same CA.</summary>
public class C2SimulatorRestartTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task StopThenStart_SamePortAndUri_FeedsHistoryAndSeqIdsKept()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101], History = 5 });
        int port = sim.Port;
        Uri uri = sim.Uri!;
        await using var before = await SimTestClient.ConnectAsync(sim);
        await before.SubscribeAsync(101, "s1");
        Assert.Equal("subscription.ack", (await before.ReceiveSkippingHeartbeatsAsync()).GetProperty("msg_type").GetString());
        sim.PublishSignals(101, 3); // 6, 7, 8
        Task<List<System.Text.Json.JsonElement>> reading = before.ReceiveUntilCloseAsync(); // answers the close

        await sim.StopAsync();

        // The open connection was told the server is going away; then nothing listens.
        List<System.Text.Json.JsonElement> seen = await reading;
        Assert.Equal([6L, 7, 8], seen.Where(m => m.GetProperty("msg_type").GetString() == "strategy.signal").Select(m => m.GetProperty("seq_id").GetInt64()));
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, before.CloseStatus); // 1001
        Assert.False(sim.IsRunning);
        var refused = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(System.Net.IPAddress.Loopback, port);
        });
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        // The feed keeps running while the server is down.
        Assert.Equal(10, sim.PublishSignals(101, 2));

        await sim.StartAsync();

        Assert.True(sim.IsRunning);
        Assert.Equal(2, sim.Starts);
        Assert.Equal(port, sim.Port);
        Assert.Equal(uri, sim.Uri);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), sim.GetHistorySeqIds(101)); // not pre-filled again
        await using var after = await SimTestClient.ConnectAsync(sim);
        await after.SubscribeAsync(101, "s2", resumeFrom: "8");
        Assert.Equal("subscription.ack", (await after.ReceiveSkippingHeartbeatsAsync()).GetProperty("msg_type").GetString());
        Assert.Equal(9, (await after.ReceiveSkippingHeartbeatsAsync()).GetProperty("seq_id").GetInt64());
        Assert.Equal(10, (await after.ReceiveSkippingHeartbeatsAsync()).GetProperty("seq_id").GetInt64());
        Assert.Equal(11, sim.PublishSignal(101));
        Assert.Equal(11, (await after.ReceiveSkippingHeartbeatsAsync()).GetProperty("seq_id").GetInt64());
    }

    [Fact]
    public async Task RestartAsync_ConnectedClient_ReconnectsAndResumesExactlyOnce()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101] });
        await using var client = new C2FeedClient(new C2FeedOptions
        {
            Endpoint = sim.Uri!,
            ApiKey = C2SimulatorOptions.DemoApiKey,
            Connection = new C2ConnectionOptions { CloseTimeout = TimeSpan.FromSeconds(1) },
            Reconnect = new C2ReconnectOptions { BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(100) },
        });
        var disconnects = new List<int?>();
        client.Disconnected += (_, e) => { lock (disconnects) { disconnects.Add(e.CloseStatus); } };
        await client.ConnectAsync();
        await client.SubscribeAsync(C2Channel.Signal, 101);
        sim.PublishSignals(101, 3);
        using var cts = new CancellationTokenSource(Timeout);
        var seqs = new List<long>();
        await foreach (C2FeedMessage message in client.ReadAllAsync(cts.Token))
        {
            using (message)
            {
                seqs.Add(message.SeqId!.Value);
            }

            if (seqs.Count == 3)
            {
                break;
            }
        }

        Task restart = sim.RestartAsync(TimeSpan.FromMilliseconds(300));
        await SimOptions.EventuallyAsync(() => !sim.IsRunning, "the server stopped");
        sim.PublishSignals(101, 4); // published while the server is down: replayed after the restart
        await restart.WaitAsync(Timeout);
        sim.PublishSignals(101, 3);

        await foreach (C2FeedMessage message in client.ReadAllAsync(cts.Token))
        {
            using (message)
            {
                seqs.Add(message.SeqId!.Value);
            }

            if (seqs.Count == 10)
            {
                break;
            }
        }

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), seqs);
        Assert.Equal(2, sim.Starts);
        Assert.Equal(1, client.GetStatistics().Reconnects);
        await SimOptions.EventuallyAsync(() => { lock (disconnects) { return disconnects.Count > 0; } }, "the Disconnected event"); // raised off the read path
        lock (disconnects)
        {
            Assert.Equal([1001], disconnects);
        }
    }

    [Fact]
    public async Task RestartAsync_Tls_SameCaCertificateAndNewHandshakesSucceed()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101], UseTls = true, History = 2 });
        string thumbprint = sim.CaCertificate!.Thumbprint;

        await sim.RestartAsync(TimeSpan.Zero);

        Assert.Equal(thumbprint, sim.CaCertificate!.Thumbprint);
        await using var client = new C2FeedClient(new C2FeedOptions
        {
            Endpoint = sim.Uri!,
            ApiKey = C2SimulatorOptions.DemoApiKey,
            Connection = new C2ConnectionOptions { TrustedCaCertificate = sim.CaCertificate },
        });
        await client.ConnectAsync();
        await client.SubscribeAsync(C2Channel.Signal, 101, resumeFrom: 0);
        Assert.Equal(3, sim.PublishSignal(101));
        using var cts = new CancellationTokenSource(Timeout);
        using C2FeedMessage signal = await client.Partitions[0].ReadAsync(cts.Token);
        Assert.Equal(3, signal.SeqId);
    }

    [Fact]
    public async Task StopAsync_WhileConnectionsDrain_NewUpgradesGet503()
    {
        await using var sim = await C2Simulator.StartNewAsync(new C2SimulatorOptions { ShutdownTimeout = TimeSpan.FromSeconds(1) });
        await using var silent = await SimTestClient.ConnectAsync(sim); // never reads: its close handshake holds the stop open

        Task stopping = sim.StopAsync();
        await SimOptions.EventuallyAsync(() => !sim.IsRunning, "the stop to begin");
        var response = await RawHttp.UpgradeAsync(sim.Uri!, "Bearer " + C2SimulatorOptions.DemoApiKey);

        Assert.Equal(503, response.Status); // not upgraded only to be closed with 1001 at once
        Assert.Equal("SERVICE_UNAVAILABLE", response.Json.GetProperty("code").GetString());
        Assert.False(stopping.IsCompleted);
        await stopping.WaitAsync(Timeout);
    }

    [Fact]
    public async Task StartAsync_WhileRunning_ThrowsInvalidOperation()
    {
        await using var sim = await SimOptions.StartAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => sim.StartAsync());
        Assert.Equal(1, sim.Starts);
    }

    [Fact]
    public async Task RestartAsync_Stopped_ThrowsInvalidOperation()
    {
        await using var sim = await SimOptions.StartAsync();
        await sim.StopAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => sim.RestartAsync(TimeSpan.Zero));
        Assert.False(sim.IsRunning);
    }

    [Fact]
    public async Task StartAsync_AfterDispose_ThrowsObjectDisposed()
    {
        var sim = await SimOptions.StartAsync();
        await sim.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => sim.StartAsync());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => sim.RestartAsync(TimeSpan.Zero));
        await sim.DisposeAsync(); // twice is fine
    }
}
