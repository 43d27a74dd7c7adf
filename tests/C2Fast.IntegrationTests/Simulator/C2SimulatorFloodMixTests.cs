using C2Fast.Simulator;

namespace C2Fast.IntegrationTests.Simulator;

/// <summary>The flood's size options (<see cref="C2FloodOptions.SignalShape"/>, <see cref="C2FloodOptions.PositionsPerSnapshot"/>) and <see cref="C2FloodOptions.Preview"/>.</summary>
public class C2SimulatorFloodMixTests
{
    public static TheoryData<string> Mixes => ["minimal", "full", "large"];

    private static C2FloodOptions Mix(string mix, long count) => mix switch
    {
        "minimal" => new C2FloodOptions { MessageCount = count, StrategyId = 101, HeartbeatShare = 0.1, PositionsShare = 0, SignalShape = C2FloodSignalShape.Minimal },
        "full" => new C2FloodOptions { MessageCount = count, StrategyId = 101, HeartbeatShare = 0.001, PositionsShare = 0 },
        _ => new C2FloodOptions { MessageCount = count, StrategyId = 101, HeartbeatShare = 0.001, PositionsShare = 0.999, PositionsPerSnapshot = 80 },
    };

    [Theory]
    [MemberData(nameof(Mixes))]
    public async Task Preview_MatchesWhatTheFloodSends_CountsBytesAndSeqIds(string mix)
    {
        // Start after 94 history signals so the flood's seq_ids cross a digit width (95 … 10,094).
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101], History = 94 });
        using var raw = await RawWebSocket.ConnectAsync(sim.Uri!, C2SimulatorOptions.DemoApiKey);
        var connection = sim.Connections.Single();
        var options = Mix(mix, 10_000);
        var preview = options.Preview(firstSeqId: sim.GetLastSeqId(101) + 1, randomSeed: sim.Options.RandomSeed);
        var before = sim.GetCounters().BytesSent;

        // Drain while the flood runs (it blocks on a full socket otherwise), until exactly the preview's bytes arrived.
        var flood = connection.FloodAsync(options);
        var buffer = new byte[1 << 20];
        long read = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (read < before + preview.Bytes)
        {
            var n = await raw.Stream.ReadAsync(buffer, timeout.Token);
            Assert.True(n > 0, "closed early");
            read += n;
        }

        var sent = await flood.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(sent.Completed);
        Assert.Equal(
            (preview.Messages, preview.Signals, preview.Positions, preview.Heartbeats, preview.Bytes, preview.FirstSeqId, preview.LastSeqId),
            (sent.Messages, sent.Signals, sent.Positions, sent.Heartbeats, sent.Bytes, sent.FirstSeqId, sent.LastSeqId));
        Assert.Equal(before + preview.Bytes, read); // exactly the flood's bytes: what a byte-counting drain waits for
        Assert.Equal(TimeSpan.Zero, preview.Elapsed);
    }

    [Fact]
    public async Task SignalShapeMinimal_SmallFramesWithOnlyTheStrategyId()
    {
        await using var sim = await SimOptions.StartAsync();
        await using var client = await SimTestClient.ConnectAsync(sim);
        var options = Mix("minimal", 100);

        var flood = sim.Connections.Single().FloodAsync(options);
        var lengths = new List<int>();
        for (var i = 0; i < 100; i++)
        {
            var text = (await client.ReceiveTextAsync())!;
            var message = System.Text.Json.JsonDocument.Parse(text).RootElement;
            if (message.GetProperty("msg_type").GetString() == "strategy.signal")
            {
                var payload = message.GetProperty("payload");
                Assert.Equal(101, payload.GetProperty("strategy_id").GetInt64());
                Assert.Single(payload.EnumerateObject());
                lengths.Add(text.Length);
            }
        }

        var result = await flood;
        Assert.Equal(10, result.Heartbeats);
        Assert.Equal(90, lengths.Count);
        Assert.InRange(lengths.Average(), 130, 170); // ~150-byte messages
    }

    [Fact]
    public async Task PositionsPerSnapshot_EightyPositions_AboutFourKilobytes()
    {
        await using var sim = await SimOptions.StartAsync();
        await using var client = await SimTestClient.ConnectAsync(sim);
        var options = Mix("large", 50) with { HeartbeatShare = 0, PositionsShare = 1 };

        var flood = sim.Connections.Single().FloodAsync(options);
        for (var i = 0; i < 50; i++)
        {
            var text = (await client.ReceiveTextAsync())!;
            var message = System.Text.Json.JsonDocument.Parse(text).RootElement;
            Assert.Equal("strategy.positions", message.GetProperty("msg_type").GetString());
            var positions = message.GetProperty("payload").GetProperty("positions");
            Assert.Equal(80, positions.GetArrayLength());
            Assert.All(positions.EnumerateArray(), p => Assert.True(p.GetProperty("quantity").GetInt64() != 0 && p.GetProperty("avg_price").GetDecimal() > 0));
            Assert.Equal(80, positions.EnumerateArray().Select(p => p.GetProperty("symbol").GetString()).Distinct().Count());
            Assert.InRange(text.Length, 3_500, 4_600);
        }

        Assert.Equal(50, (await flood).Positions);
    }

    [Fact]
    public void Preview_NeedsACountAndAStrategy_AndRejectsBadSizes()
    {
        Assert.Throws<ArgumentException>(() => new C2FloodOptions { Duration = TimeSpan.FromSeconds(1), StrategyId = 1 }.Preview());
        Assert.Throws<ArgumentException>(() => new C2FloodOptions { MessageCount = 10 }.Preview());
        Assert.Throws<ArgumentException>(() => new C2FloodOptions { MessageCount = 10, StrategyId = 1, PositionsPerSnapshot = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => new C2FloodOptions { MessageCount = 10, StrategyId = 1, SignalShape = (C2FloodSignalShape)7 }.Validate());
        Assert.Equal(10, new C2FloodOptions { MessageCount = 10, StrategyId = 1 }.Preview().Messages);
    }
}
