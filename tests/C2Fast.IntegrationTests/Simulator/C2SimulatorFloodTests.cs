using System.Diagnostics;
using System.Net.WebSockets;
using C2Fast.Simulator;
using Xunit.Abstractions;

namespace C2Fast.IntegrationTests.Simulator;

public class C2SimulatorFloodTests(ITestOutputHelper output)
{
    [Fact]
    public async Task FloodAsync_RawReader_SustainsHighRateAndReportsExactBytes()
    {
        await using var sim = await SimOptions.StartAsync();
        using var raw = await RawWebSocket.ConnectAsync(sim.Uri!, C2SimulatorOptions.DemoApiKey);
        var connection = sim.Connections.Single();
        var connectedBytes = sim.GetCounters().BytesSent;

        var clock = Stopwatch.StartNew();
        var flood = connection.FloodAsync(new C2FloodOptions { MessageCount = 300_000 });
        var buffer = new byte[1 << 20];
        long read = 0;
        var pending = raw.Stream.ReadAsync(buffer).AsTask();
        while (!flood.IsCompleted || read < connectedBytes + (await flood).Bytes)
        {
            var done = await Task.WhenAny(pending, flood, Task.Delay(SimTestClient.DefaultTimeout));
            Assert.True(done != flood || !flood.IsFaulted, "flood failed");
            if (done == pending)
            {
                var n = await pending;
                Assert.True(n > 0, "connection closed during the flood");
                read += n;
                pending = raw.Stream.ReadAsync(buffer).AsTask();
            }
            else if (done != flood)
            {
                Assert.Fail($"stalled: read {read} bytes");
            }
        }

        var result = await flood;
        var elapsed = clock.Elapsed;
        output.WriteLine($"flood: {result.Messages} messages, {result.Bytes / 1e6:0.0} MB in {result.Elapsed.TotalMilliseconds:0} ms " +
            $"= {result.MessagesPerSecond:0} msg/s, {result.Bytes / result.Elapsed.TotalSeconds / 1e6:0} MB/s (reader done after {elapsed.TotalMilliseconds:0} ms)");
        Assert.True(result.Completed);
        Assert.Equal(connectedBytes + result.Bytes, read);
        Assert.True(result.MessagesPerSecond > 50_000, $"only {result.MessagesPerSecond:0} msg/s"); // a sanity floor: the machine is shared
    }

    [Fact]
    public async Task FloodAsync_MessageCount_EveryMessageValidInOrderAndCountsMatch()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101], History = 7 });
        await using var client = await SimTestClient.ConnectAsync(sim);
        await client.SubscribeAsync(101, "s");
        await client.ReceiveAsync();
        var connection = sim.Connections.Single();

        var flood = connection.FloodAsync(new C2FloodOptions { MessageCount = 20_000, HeartbeatShare = 0.01, PositionsShare = 0.1 });
        long signals = 0, positions = 0, heartbeats = 0, expectedSeq = 8;
        var ids = new HashSet<string>();
        for (var i = 0; i < 20_000; i++)
        {
            var message = await client.ReceiveAsync();
            Assert.True(ids.Add(message.GetProperty("id").GetString()!), "message ids are unique");
            Assert.Equal(4, message.GetProperty("v").GetInt32());
            switch (message.GetProperty("msg_type").GetString())
            {
                case "strategy.signal":
                    Assert.Equal(expectedSeq++, message.GetProperty("seq_id").GetInt64());
                    Assert.Equal(101, message.GetProperty("payload").GetProperty("strategy_id").GetInt64());
                    signals++;
                    break;
                case "strategy.positions":
                    Assert.Equal(101, message.GetProperty("payload").GetProperty("strategy_id").GetInt64());
                    positions++;
                    break;
                case "heartbeat":
                    heartbeats++;
                    break;
                default:
                    Assert.Fail("unexpected " + message.GetRawText());
                    break;
            }
        }

        var result = await flood.WaitAsync(SimTestClient.DefaultTimeout);
        Assert.Null(sim.GetCounters().LastInternalError); // over the whole flood, not just its first moments
        var after = sim.PublishSignal(101);
        var next = await client.ReceiveAsync();

        Assert.True(result.Completed);
        Assert.Equal((20_000L, signals, positions, heartbeats), (result.Messages, result.Signals, result.Positions, result.Heartbeats));
        Assert.Equal(200, heartbeats);
        Assert.Equal(2_000, positions);
        Assert.Equal((8L, expectedSeq - 1), (result.FirstSeqId, result.LastSeqId));
        Assert.Equal(expectedSeq, after); // live signals continue after the flooded seq_ids
        Assert.Equal(after, next.GetProperty("seq_id").GetInt64());
        Assert.True(result.Bytes > 20_000 * 50);
        Assert.Equal(20_000, sim.GetCounters().FloodMessages);
    }

    [Fact]
    public async Task FloodAsync_SeqIdCrossingDigitWidths_FramesShapedExactlyLikeLiveOnes()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101], History = 94 });
        await using var client = await SimTestClient.ConnectAsync(sim);
        await client.SubscribeAsync(101, "s");
        await client.ReceiveAsync();
        var shape = new System.Text.RegularExpressions.Regex(
            """^\{"msg_type":"strategy\.signal","id":"msg_[0-9a-f]{28}","seq_id":(\d+),"timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","v":4,"payload":\{"strategy_id":101,"signal_id":\d+,.*\}\}$""");

        var flood = sim.Connections.Single().FloodAsync(new C2FloodOptions { MessageCount = 1_000, HeartbeatShare = 0, PositionsShare = 0 });
        for (var expected = 95L; expected < 1_095; expected++)
        {
            var text = await client.ReceiveTextAsync();
            var match = shape.Match(text!);
            Assert.True(match.Success, text);
            Assert.Equal(expected, long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)); // 95 … 1094
        }

        await flood;
        sim.PublishSignal(101);
        var live = await client.ReceiveTextAsync();
        Assert.Matches(shape, live);
    }

    [Fact]
    public async Task FloodAsync_FixedRate_TakesAboutCountOverRate()
    {
        await using var sim = await SimOptions.StartAsync();
        await using var client = await SimTestClient.ConnectAsync(sim);
        var connection = sim.Connections.Single();

        var clock = Stopwatch.StartNew();
        var flood = connection.FloodAsync(new C2FloodOptions { MessageCount = 600, RatePerSecond = 2_000, StrategyId = 7 });
        for (var i = 0; i < 600; i++)
        {
            await client.ReceiveAsync();
        }

        var result = await flood;

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.25), $"600 at 2000/s took {clock.Elapsed}");
        Assert.InRange(result.MessagesPerSecond, 500, 2_600);
    }

    [Fact]
    public async Task FloodAsync_Duration_StopsAfterDuration()
    {
        await using var sim = await SimOptions.StartAsync();
        await using var client = await SimTestClient.ConnectAsync(sim);
        var connection = sim.Connections.Single();
        var reader = Task.Run(async () =>
        {
            var count = 0;
            try
            {
                while (true)
                {
                    await client.ReceiveTextAsync(TimeSpan.FromSeconds(1));
                    count++;
                }
            }
            catch (OperationCanceledException)
            {
                return count; // quiet for a second: the flood is over
            }
        });

        var result = await connection.FloodAsync(new C2FloodOptions { Duration = TimeSpan.FromSeconds(0.3), RatePerSecond = 1_000 });
        var received = await reader;

        Assert.True(result.Completed);
        Assert.InRange(result.Elapsed.TotalSeconds, 0.29, 1.0);
        Assert.Equal(result.Messages, received);
    }

    [Fact]
    public async Task FloodOption_OnFirstSubscription_StartsAfterAckAndReports()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions
        {
            Strategies = [101], Flood = new C2FloodOptions { MessageCount = 1_000, HeartbeatShare = 0, PositionsShare = 0 },
        });
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SubscribeAsync(101, "bench");
        var ack = await client.ReceiveAsync();
        for (var i = 1; i <= 1_000; i++)
        {
            Assert.Equal(i, (await client.ReceiveAsync()).GetProperty("seq_id").GetInt64());
        }

        await SimOptions.EventuallyAsync(() => sim.GetCounters().LastFlood is not null, "flood reported");
        Assert.Equal("subscription.ack", ack.GetProperty("msg_type").GetString());
        Assert.Equal(1_000, sim.GetCounters().LastFlood!.Signals);
    }

    [Fact]
    public async Task FloodAsync_WithDropArmed_DropsAfterExactlyThatManyFloodMessages()
    {
        await using var sim = await SimOptions.StartAsync();
        await using var client = await SimTestClient.ConnectAsync(sim);
        var connection = sim.Connections.Single();

        connection.DropAfter(1_234);
        var flood = connection.FloodAsync(new C2FloodOptions { MessageCount = 100_000 });
        var received = 0;
        await Assert.ThrowsAsync<WebSocketException>(async () =>
        {
            while (true)
            {
                await client.ReceiveAsync();
                received++;
            }
        });
        var result = await flood.WaitAsync(SimTestClient.DefaultTimeout);

        Assert.Equal(1_234, received);
        Assert.Equal(1_234, result.Messages);
        Assert.False(result.Completed);
    }

    [Fact]
    public async Task FloodAsync_HeartbeatsInMix_AckedRoundTripsRecorded()
    {
        await using var sim = await SimOptions.StartAsync();
        await using var client = await SimTestClient.ConnectAsync(sim);

        var flood = sim.Connections.Single().FloodAsync(new C2FloodOptions { MessageCount = 2_000, HeartbeatShare = 0.05 });
        for (var i = 0; i < 2_000; i++)
        {
            var message = await client.ReceiveAsync();
            if (message.GetProperty("msg_type").GetString() == "heartbeat")
            {
                await client.AckHeartbeatAsync();
            }
        }

        await flood;
        await SimOptions.EventuallyAsync(() => sim.GetHeartbeatRoundTrip().Count == 100, "100 round trips");
        Assert.Equal(100, sim.GetCounters().AcksReceived);
    }
}
