using System.Diagnostics;
using C2Fast.Simulator;
using C2Fast.IntegrationTests.Conformance;
using C2Fast.IntegrationTests.Infrastructure;
using C2Fast.Tests.Infrastructure;

namespace C2Fast.IntegrationTests.Client;

/// <summary>Automatic reconnect: resume without loss or repeats, backoff bounds, rejections and 401.</summary>
public class ReconnectTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private const string Connected = """{"msg_type":"connection.connected","id":"msg_00ff","timestamp":"2024-01-01T12:00:00Z","v":4}""";

    private static C2FeedOptions Fast(Uri uri, C2Simulator? simulator = null) => new()
    {
        Endpoint = uri,
        ApiKey = C2SimulatorOptions.DemoApiKey,
        Connection = new C2ConnectionOptions { TrustedCaCertificate = simulator?.CaCertificate ?? TestCertificates.Shared.Ca, CloseTimeout = TimeSpan.FromSeconds(1) },
        Reconnect = new C2ReconnectOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(100), RejectionDelay = TimeSpan.FromMilliseconds(50) },
    };

    [Fact]
    public async Task DropsEveryFiftyMessages_EverySignalOnceAndInOrder()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(new C2SimulatorOptions
        {
            Strategies = [101],
            Faults = new C2FaultPlan { DropAfterMessages = 50 },
        });
        await using var client = new C2FeedClient(Fast(simulator.Uri!, simulator));
        await client.ConnectAsync();
        await client.SubscribeAsync(C2Channel.Signal, 101);

        using var publishing = new CancellationTokenSource();
        Task publisher = Task.Run(async () =>
        {
            for (int i = 0; i < 600 && !publishing.IsCancellationRequested; i++)
            {
                simulator.PublishSignal(101);
                if (i % 20 == 0)
                {
                    await Task.Delay(5);
                }
            }
        });

        var seen = new List<long>();
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (C2FeedMessage message in client.ReadAllAsync(cts.Token))
        {
            using (message)
            {
                seen.Add(message.SeqId!.Value);
            }

            if (seen.Count == 600)
            {
                break;
            }
        }

        await publisher;
        Assert.Equal(Enumerable.Range(1, 600).Select(i => (long)i), seen);
        C2FeedStatistics stats = client.GetStatistics();
        Assert.True(stats.Reconnects >= 5, $"{stats.Reconnects} reconnects");
        Assert.True(client.IsConnected || stats.Reconnects > 0);
    }

    [Fact]
    public async Task AfterLoss_401_IsNotRetried()
    {
        int connections = 0;
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            if (Interlocked.Increment(ref connections) == 1)
            {
                await peer.AcceptAsync();
                await peer.WriteAsync(TestFrames.Text(Connected));
                await Task.Delay(100);
                peer.Abort();
                return;
            }

            await peer.SendHandshakeAsync(HandshakeResponse.Unauthorized());
        });
        await using var client = new C2FeedClient(Fast(server.Url("/ws")));
        await client.ConnectAsync();

        var ex = await Assert.ThrowsAsync<C2FeedException>(() => client.Completion.WaitAsync(Timeout));

        Assert.Equal(C2FeedError.AuthenticationFailed, ex.Error);
        await Task.Delay(300);
        Assert.Equal(2, Volatile.Read(ref connections));
    }

    [Fact]
    public async Task After429WithRetryAfter2_WaitsAtLeastTwoSeconds()
    {
        var arrivals = new List<long>();
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            int n;
            lock (arrivals)
            {
                arrivals.Add(Stopwatch.GetTimestamp());
                n = arrivals.Count;
            }

            if (n == 2)
            {
                await peer.SendHandshakeAsync(HandshakeResponse.Reject(429, "Too Many Requests", null, """{"code":"RATE_LIMITED","message":"slow down"}""").WithHeader("Retry-After", "2"));
                return;
            }

            await peer.AcceptAsync();
            await peer.WriteAsync(TestFrames.Text(Connected));
            if (n == 1)
            {
                await Task.Delay(100);
                peer.Abort();
                return;
            }

            await peer.ReadCloseAsync(Timeout, skipOtherFrames: true);
            await peer.WriteAsync(TestFrames.Close(1000));
        });
        await using var client = new C2FeedClient(Fast(server.Url("/ws")));
        var reconnecting = new List<C2ReconnectingEventArgs>();
        client.Reconnecting += (_, e) => { lock (reconnecting) { reconnecting.Add(e); } };
        await client.ConnectAsync();

        DateTime deadline = DateTime.UtcNow + Timeout;
        while (client.GetStatistics().Reconnects == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(1, client.GetStatistics().Reconnects);
        lock (arrivals)
        {
            Assert.Equal(3, arrivals.Count);
            Assert.True(Stopwatch.GetElapsedTime(arrivals[1], arrivals[2]) >= TimeSpan.FromSeconds(2), $"{Stopwatch.GetElapsedTime(arrivals[1], arrivals[2])}");
        }

        lock (reconnecting)
        {
            Assert.Equal(2, reconnecting.Count);
            Assert.Equal(C2FeedError.ConnectionRejected, reconnecting[1].LastError!.Error);
            Assert.Equal(TimeSpan.FromSeconds(2), reconnecting[1].Delay);
        }

        await client.CloseAsync();
        await client.Completion.WaitAsync(Timeout);
    }

    [Fact]
    public async Task HalfOpenConnection_DetectedBySilenceAndReplaced()
    {
        int connections = 0;
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            int n = Interlocked.Increment(ref connections);
            await peer.AcceptAsync();
            await peer.WriteAsync(TestFrames.Text(Connected));
            if (n == 1)
            {
                await Task.Delay(Timeout); // stalls both ways, TCP stays open: half-open from the client's view
                return;
            }

            await peer.ReadCloseAsync(Timeout, skipOtherFrames: true);
            await peer.WriteAsync(TestFrames.Close(1000));
        });
        await using var client = new C2FeedClient(Fast(server.Url("/ws")) with
        {
            Heartbeat = Fast(server.Url("/ws")).Heartbeat with { Interval = TimeSpan.FromMilliseconds(300), Grace = TimeSpan.FromMilliseconds(200) },
        });
        var disconnected = new TaskCompletionSource<C2DisconnectedEventArgs>();
        client.Disconnected += (_, e) => disconnected.TrySetResult(e);
        var stopwatch = Stopwatch.StartNew();
        await client.ConnectAsync();

        C2DisconnectedEventArgs e = await disconnected.Task.WaitAsync(Timeout);
        Assert.Equal(C2FeedError.Timeout, e.Error!.Error);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(5));

        DateTime deadline = DateTime.UtcNow + Timeout;
        while (client.GetStatistics().Reconnects == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(2, Volatile.Read(ref connections));
        await client.CloseAsync();
    }

    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 20)]
    [InlineData(4, 80)]
    [InlineData(10, 100)]
    public void ReconnectDelay_FullJitterWithinExponentialCap(int attempt, int capMs)
    {
        var policy = new C2Fast.Session.ReconnectPolicy(new C2ReconnectOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(100) });
        Assert.Equal(TimeSpan.Zero, policy.Delay(attempt, null, 0.0));
        Assert.Equal(TimeSpan.FromMilliseconds(capMs), policy.Delay(attempt, null, 1.0));
        Assert.Equal(TimeSpan.FromMilliseconds(capMs / 2.0), policy.Delay(attempt, null, 0.5));
    }

    [Fact]
    public void ReconnectDelay_AfterRejectionOr1008_AtLeastRejectionDelayOrRetryAfter()
    {
        var policy = new C2Fast.Session.ReconnectPolicy(new C2ReconnectOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(100), RejectionDelay = TimeSpan.FromSeconds(5) });
        Assert.Equal(TimeSpan.FromSeconds(5), policy.Delay(1, new C2FeedException(C2FeedError.ConnectionRejected, "x"), 0.3));
        Assert.Equal(TimeSpan.FromSeconds(5), policy.Delay(1, new C2FeedException(C2FeedError.ConnectionClosed, "x") { CloseStatus = 1008 }, 0.3));
        Assert.Equal(TimeSpan.FromSeconds(9), policy.Delay(1, new C2FeedException(C2FeedError.ConnectionRejected, "x") { RetryAfter = TimeSpan.FromSeconds(9) }, 0.3));
        Assert.Equal(TimeSpan.FromMilliseconds(3), policy.Delay(1, new C2FeedException(C2FeedError.ConnectionLost, "x"), 0.3));
    }
}
