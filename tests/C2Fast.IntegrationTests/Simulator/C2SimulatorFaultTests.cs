using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using C2Fast.Simulator;

namespace C2Fast.IntegrationTests.Simulator;

public class C2SimulatorFaultTests
{
    private static async Task<(C2Simulator Sim, SimTestClient Client, C2SimulatorConnection Connection)> SubscribedAsync(C2SimulatorOptions? options = null)
    {
        var sim = await SimOptions.StartAsync(options ?? new C2SimulatorOptions { Strategies = [101] });
        var client = await SimTestClient.ConnectAsync(sim);
        await client.SubscribeAsync(101, "s");
        await client.ReceiveSkippingHeartbeatsAsync();
        return (sim, client, sim.Connections.Single());
    }

    [Fact]
    public async Task DropAfter_ThreeMessages_ExactlyThreeThenLostWithoutCloseFrame()
    {
        var (sim, client, connection) = await SubscribedAsync();
        await using var _ = sim;
        await using var __ = client;

        connection.DropAfter(3);
        sim.PublishSignals(101, 10);
        var received = new List<long>();
        var ex = await Assert.ThrowsAsync<WebSocketException>(async () =>
        {
            while (true)
            {
                received.Add((await client.ReceiveAsync()).GetProperty("seq_id").GetInt64());
            }
        });

        Assert.Equal([1L, 2, 3], received);
        Assert.Equal(WebSocketError.ConnectionClosedPrematurely, ex.WebSocketErrorCode);
        Assert.Null(client.CloseStatus);
        await SimOptions.EventuallyAsync(() => sim.GetCounters().Drops == 1, "drop counted");
    }

    [Fact]
    public async Task Drop_Now_ConnectionLostAndSlotReleased()
    {
        var (sim, client, connection) = await SubscribedAsync(new C2SimulatorOptions { Strategies = [101], MaxConnectionsPerKey = 1 });
        await using var _ = sim;
        await using var __ = client;

        connection.Drop();
        var ex = await Assert.ThrowsAsync<WebSocketException>(() => client.ReceiveAsync());
        await connection.Completion.WaitAsync(SimTestClient.DefaultTimeout);
        await using var again = await SimTestClient.ConnectAsync(sim);

        Assert.Equal(WebSocketError.ConnectionClosedPrematurely, ex.WebSocketErrorCode);
        Assert.Equal(WebSocketState.Open, again.Socket.State);
    }

    [Fact]
    public async Task FaultPlan_DropAfterMessages_AppliesToConnectionsOpenedAfterwards()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101] });
        await using var before = await SimTestClient.ConnectAsync(sim);
        sim.SetFaultPlan(new C2FaultPlan { DropAfterMessages = 1 });

        await using var after = await SimTestClient.ConnectAsync(sim); // connection.connected is message 1
        await Assert.ThrowsAsync<WebSocketException>(() => after.ReceiveAsync());
        await before.SubscribeAsync(101, "fine");
        var ack = await before.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal("subscription.ack", ack.GetProperty("msg_type").GetString());
    }

    [Fact]
    public async Task Stall_HalfSecond_NothingSentThenEverythingInOrder()
    {
        var (sim, client, connection) = await SubscribedAsync(new C2SimulatorOptions
        {
            Strategies = [101], HeartbeatInterval = TimeSpan.FromSeconds(0.1), HeartbeatGrace = TimeSpan.FromSeconds(0.3),
        });
        await using var _ = sim;
        await using var __ = client;

        var clock = Stopwatch.StartNew();
        connection.Stall(TimeSpan.FromSeconds(0.6)); // longer than interval + grace: no heartbeat close during a stall
        sim.PublishSignals(101, 3);
        var seqs = new List<long>();
        while (seqs.Count < 3)
        {
            var message = await client.ReceiveAsync();
            if (message.GetProperty("msg_type").GetString() == "heartbeat")
            {
                await client.AckHeartbeatAsync();
                continue;
            }

            seqs.Add(message.GetProperty("seq_id").GetInt64());
            if (seqs.Count == 1)
            {
                Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.55), $"first signal after {clock.Elapsed}");
            }
        }

        Assert.Equal([1L, 2, 3], seqs);
        Assert.Equal(WebSocketState.Open, client.Socket.State);
        Assert.Empty(sim.GetCounters().ServerClosesByCode);
    }

    [Fact]
    public async Task FaultPlan_StallAfterMessages_DelaysTheNextMessage()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions
        {
            Strategies = [101], Faults = new C2FaultPlan { StallAfterMessages = 2, StallDuration = TimeSpan.FromSeconds(0.4) },
        });
        await using var client = await SimTestClient.ConnectAsync(sim);
        await client.SubscribeAsync(101, "s");
        await client.ReceiveAsync(); // message 2: the ack; the stall starts after it

        var clock = Stopwatch.StartNew();
        sim.PublishSignal(101);
        await client.ReceiveAsync();

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.35), $"signal after {clock.Elapsed}");
    }

    [Fact]
    public async Task SplitNextFrame_AckStillArrivesIntact()
    {
        var (sim, client, connection) = await SubscribedAsync();
        await using var _ = sim;
        await using var __ = client;

        connection.SplitNextFrame();
        var seq = sim.PublishSignal(101);
        var signal = await client.ReceiveAsync();

        Assert.Equal(seq, signal.GetProperty("seq_id").GetInt64());
    }

    [Fact]
    public async Task FaultPlan_SplitFirstFrame_ArrivesOneByteAtATimeOnTheWire()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Faults = new C2FaultPlan { SplitFrameAfterMessages = 0 } });
        using var raw = await RawWebSocket.ConnectAsync(sim.Uri!, C2SimulatorOptions.DemoApiKey);
        var stream = raw.Stream;

        var frame = new List<byte>();
        var reads = 0;
        var buffer = new byte[4096];
        while (frame.Count < 2 || frame.Count < 2 + frame[1])
        {
            var n = await stream.ReadAsync(buffer);
            Assert.True(n > 0);
            frame.AddRange(buffer.AsSpan(0, n));
            reads++;
        }

        Assert.StartsWith("HTTP/1.1 101", raw.ResponseHead, StringComparison.Ordinal);
        Assert.Equal(0x81, frame[0]);
        Assert.Contains("connection.connected", Encoding.UTF8.GetString([.. frame.Skip(2)]), StringComparison.Ordinal);
        Assert.True(reads > frame.Count / 4, $"{frame.Count} bytes arrived in only {reads} reads");
    }

    [Fact]
    public async Task Close_CodeAndReason_ClientSeesThemAfterQueuedMessages()
    {
        var (sim, client, connection) = await SubscribedAsync();
        await using var _ = sim;
        await using var __ = client;

        sim.PublishSignal(101);
        connection.Close(4000, "maintenance");
        var messages = await client.ReceiveUntilCloseAsync();
        await connection.Completion.WaitAsync(SimTestClient.DefaultTimeout);

        Assert.Single(messages);
        Assert.Equal((WebSocketCloseStatus)4000, client.CloseStatus);
        Assert.Equal("maintenance", client.Socket.CloseStatusDescription);
        Assert.Equal(4000, connection.CloseCode);
        Assert.Equal(1, sim.GetCounters().ServerClosesByCode[4000]);
        Assert.Equal(0, sim.GetCounters().Drops); // the client answered the close: a clean handshake
    }

    [Fact]
    public async Task FaultPlan_CloseAfterMessages_ClosedWithConfiguredCode()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions
        {
            Strategies = [101], Faults = new C2FaultPlan { CloseAfterMessages = 2, CloseCode = 1012 },
        });
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SubscribeAsync(101, "s");
        var messages = await client.ReceiveUntilCloseAsync();

        Assert.Equal("subscription.ack", Assert.Single(messages).GetProperty("msg_type").GetString());
        Assert.Equal((WebSocketCloseStatus)1012, client.CloseStatus);
    }

    [Fact]
    public async Task StopHeartbeats_NoHeartbeatsNoMissCloseUntilResumed()
    {
        var (sim, client, connection) = await SubscribedAsync(new C2SimulatorOptions
        {
            Strategies = [101], HeartbeatInterval = TimeSpan.FromSeconds(0.1), HeartbeatGrace = TimeSpan.FromSeconds(0.3),
        });
        await using var _ = sim;
        await using var __ = client;

        connection.StopHeartbeats();
        var heartbeatsBefore = sim.GetCounters().HeartbeatsSent;
        await Task.Delay(600); // 6 intervals, 1.5 windows: the connection would have been closed
        var heartbeatsDuring = sim.GetCounters().HeartbeatsSent - heartbeatsBefore;
        var seq = sim.PublishSignal(101);
        var signal = await client.ReceiveSkippingHeartbeatsAsync();
        connection.ResumeHeartbeats();
        var heartbeat = await client.ReceiveAsync();

        Assert.InRange(heartbeatsDuring, 0, 1); // at most one already queued when stopped
        Assert.Equal(seq, signal.GetProperty("seq_id").GetInt64());
        Assert.Equal("heartbeat", heartbeat.GetProperty("msg_type").GetString());
        Assert.Empty(sim.GetCounters().ServerClosesByCode);
    }

    [Fact]
    public async Task FaultPlan_SendHeartbeatsOff_ConnectionKeptWithoutHeartbeats()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions
        {
            HeartbeatInterval = TimeSpan.FromSeconds(0.05), HeartbeatGrace = TimeSpan.FromSeconds(0.05), Faults = new C2FaultPlan { SendHeartbeats = false },
        });
        await using var client = await SimTestClient.ConnectAsync(sim);

        await Task.Delay(400);

        Assert.Equal(0, sim.GetCounters().HeartbeatsSent);
        Assert.Equal(WebSocketState.Open, client.Socket.State);
        Assert.Single(sim.Connections);
    }

    [Fact]
    public async Task SlowConsumer_QueueOverLimit_Dropped()
    {
        var (sim, client, connection) = await SubscribedAsync(new C2SimulatorOptions { Strategies = [101], MaxQueuedMessages = 100 });
        await using var _ = sim;
        await using var __ = client;

        connection.Stall(TimeSpan.FromSeconds(5));
        sim.PublishSignals(101, 200);

        await connection.Completion.WaitAsync(SimTestClient.DefaultTimeout);
        Assert.Equal(1, sim.GetCounters().Drops);
    }
}
