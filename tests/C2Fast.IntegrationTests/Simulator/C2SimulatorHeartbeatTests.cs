using System.Diagnostics;
using System.Net.WebSockets;
using C2Fast.Simulator;

namespace C2Fast.IntegrationTests.Simulator;

public class C2SimulatorHeartbeatTests
{
    private static C2SimulatorOptions Fast(double interval, double grace) => new()
    {
        HeartbeatInterval = TimeSpan.FromSeconds(interval),
        HeartbeatGrace = TimeSpan.FromSeconds(grace),
    };

    [Fact]
    public async Task Heartbeat_EveryInterval_DocumentedShape()
    {
        await using var sim = await SimOptions.StartAsync(Fast(0.2, 2));
        await using var client = await SimTestClient.ConnectAsync(sim);
        var times = new List<TimeSpan>();
        var clock = Stopwatch.StartNew();

        for (var i = 0; i < 3; i++)
        {
            var text = await client.ReceiveTextAsync();
            times.Add(clock.Elapsed);
            Assert.Matches("""^\{"msg_type":"heartbeat","id":"msg_[0-9a-f]{28}","timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","v":4\}$""", text);
            await client.AckHeartbeatAsync();
        }

        Assert.InRange((times[2] - times[0]).TotalSeconds, 0.3, 2.0); // two intervals of 0.2 s (loose upper bound: shared CPU)
    }

    [Fact]
    public async Task Heartbeat_NoAck_Closed1008AfterIntervalPlusGrace()
    {
        await using var sim = await SimOptions.StartAsync(Fast(0.2, 0.2));
        var clock = Stopwatch.StartNew();
        await using var client = await SimTestClient.ConnectAsync(sim);

        var messages = await client.ReceiveUntilCloseAsync();
        var elapsed = clock.Elapsed;

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, client.CloseStatus);
        Assert.InRange(elapsed.TotalSeconds, 0.38, 2.0);
        Assert.All(messages, m => Assert.Equal("heartbeat", m.GetProperty("msg_type").GetString()));
        Assert.Equal(1, sim.GetCounters().ServerClosesByCode[1008]);
    }

    [Fact]
    public async Task Heartbeat_MissCloseCodeOption_UsedForTheClose()
    {
        await using var sim = await SimOptions.StartAsync(Fast(0.1, 0.1) with { HeartbeatMissCloseCode = 4008 });
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.ReceiveUntilCloseAsync();

        Assert.Equal((WebSocketCloseStatus)4008, client.CloseStatus);
    }

    [Fact]
    public async Task Heartbeat_Acked_StaysOpenAndRoundTripMeasured()
    {
        await using var sim = await SimOptions.StartAsync(Fast(0.1, 2));
        await using var client = await SimTestClient.ConnectAsync(sim);

        await ReceiveAndAckHeartbeatsAsync(client, 8);

        await SimOptions.EventuallyAsync(() => sim.GetHeartbeatRoundTrip().Count >= 8, "8 round trips");
        var rtt = sim.GetHeartbeatRoundTrip();
        Assert.Equal(WebSocketState.Open, client.Socket.State);
        Assert.True(rtt.P50 > TimeSpan.Zero);
        Assert.True(rtt.P50 <= rtt.P99 && rtt.P99 <= rtt.P999 && rtt.P999 <= rtt.Max);
        Assert.True(rtt.Max < TimeSpan.FromSeconds(1));
        Assert.True(sim.GetCounters().AcksReceived >= 8);
        Assert.Equal(8, sim.Connections.Single().AcksReceived);
    }

    [Fact]
    public async Task ClearHeartbeatRoundTrips_ForgetsEarlierSamples_LaterAcksMeasured()
    {
        await using var sim = await SimOptions.StartAsync(Fast(0.1, 2));
        await using var client = await SimTestClient.ConnectAsync(sim);

        await ReceiveAndAckHeartbeatsAsync(client, 3);

        await SimOptions.EventuallyAsync(() => sim.GetHeartbeatRoundTrip().Count >= 3, "3 round trips");
        sim.ClearHeartbeatRoundTrips();
        Assert.Equal(0, sim.GetHeartbeatRoundTrip().Count);

        await ReceiveAndAckHeartbeatsAsync(client, 2);

        await SimOptions.EventuallyAsync(() => sim.GetHeartbeatRoundTrip().Count == 2, "2 round trips after the clear");
        Assert.True(sim.GetHeartbeatRoundTrip().Max < TimeSpan.FromSeconds(1));
        Assert.True(sim.GetCounters().AcksReceived >= 5); // the counters are not cleared
    }

    // Reads `count` messages, each of which must be a heartbeat, and acknowledges each one.
    private static async Task ReceiveAndAckHeartbeatsAsync(SimTestClient client, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.Equal("heartbeat", (await client.ReceiveAsync()).GetProperty("msg_type").GetString());
            await client.AckHeartbeatAsync();
        }
    }

    [Fact]
    public async Task Heartbeat_AckWithoutTimestampOrWithPayload_StillCounts()
    {
        await using var sim = await SimOptions.StartAsync(Fast(0.15, 2));
        await using var client = await SimTestClient.ConnectAsync(sim);

        for (var i = 0; i < 4; i++)
        {
            await client.ReceiveAsync();
            await client.SendTextAsync(i % 2 == 0 ? """{"msg_type":"heartbeat.ack"}""" : """{"msg_type":"heartbeat.ack","payload":{"x":1}}""");
        }

        Assert.Equal(WebSocketState.Open, client.Socket.State);
        Assert.Equal(0, sim.GetCounters().ErrorsSent);
    }

    [Fact]
    public async Task WriteNullSeqIdOption_HeartbeatCarriesNullSeqId()
    {
        await using var sim = await SimOptions.StartAsync(Fast(0.1, 1) with { WriteNullSeqId = true });
        await using var client = await SimTestClient.ConnectAsync(sim);

        var heartbeat = await client.ReceiveAsync();

        Assert.Equal(System.Text.Json.JsonValueKind.Null, heartbeat.GetProperty("seq_id").ValueKind);
    }
}
