using System.Text.Json;
using C2Fast.Simulator;

namespace C2Fast.IntegrationTests.Simulator;

public class C2SimulatorReplayTests
{
    private static string Type(JsonElement message) => message.GetProperty("msg_type").GetString()!;

    private static async Task<List<JsonElement>> ReceiveAsync(SimTestClient client, int count)
    {
        var messages = new List<JsonElement>(count);
        while (messages.Count < count)
        {
            messages.Add(await client.ReceiveSkippingHeartbeatsAsync());
        }

        return messages;
    }

    [Theory]
    [InlineData("5")]
    [InlineData(5L)]
    public async Task Subscribe_ResumeFromStringOrNumber_AckThenMissedSignalsInOrderThenLive(object resumeFrom)
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101], History = 10 });
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SubscribeAsync(101, "resume", resumeFrom: resumeFrom);
        var replay = await ReceiveAsync(client, 6);
        var live = sim.PublishSignal(101);
        var next = await client.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal("subscription.ack", Type(replay[0]));
        Assert.Equal([6L, 7, 8, 9, 10], replay.Skip(1).Select(m => m.GetProperty("seq_id").GetInt64()));
        Assert.All(replay.Skip(1), m => Assert.Equal("strategy.signal", Type(m)));
        Assert.Equal(11, live);
        Assert.Equal(11, next.GetProperty("seq_id").GetInt64());
        Assert.Equal(5, sim.GetCounters().SignalsReplayed);
    }

    [Theory]
    [InlineData("0")]
    [InlineData(0L)]
    public async Task Subscribe_ResumeFromZero_NoReplayOnlyLive(object resumeFrom)
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101], History = 5 });
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SubscribeAsync(101, "zero", resumeFrom: resumeFrom);
        var ack = await client.ReceiveSkippingHeartbeatsAsync();
        sim.PublishSignal(101);
        var next = await client.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal("subscription.ack", Type(ack));
        Assert.Equal(6, next.GetProperty("seq_id").GetInt64());
        Assert.Equal(0, sim.GetCounters().SignalsReplayed);
    }

    [Fact]
    public async Task Replay_ReplayedBytes_ExactlyTheLiveFrame()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101], History = 1 });
        await using var live = await SimTestClient.ConnectAsync(sim);
        await live.SubscribeAsync(101, "live");
        await live.ReceiveSkippingHeartbeatsAsync();
        sim.PublishSignal(101);
        var liveText = await live.ReceiveTextAsync();

        await using var replayer = await SimTestClient.ConnectAsync(sim);
        await replayer.SubscribeAsync(101, "replay", resumeFrom: "1");
        await replayer.ReceiveSkippingHeartbeatsAsync();
        var replayedText = await replayer.ReceiveTextAsync();

        Assert.Equal(liveText, replayedText);
    }

    [Fact]
    public async Task Replay_MoreThanLimitMissed_OldestThousandThenGapThenLive()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101], History = 1500 });
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SubscribeAsync(101, "big", resumeFrom: "10");
        var messages = await ReceiveAsync(client, 1002);
        sim.PublishSignal(101);
        var live = await client.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal("subscription.ack", Type(messages[0]));
        var seqs = messages.Skip(1).Take(1000).Select(m => m.GetProperty("seq_id").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(11, 1000).Select(i => (long)i), seqs);
        var gap = messages[1001];
        Assert.Equal("gap", Type(gap));
        Assert.False(gap.TryGetProperty("seq_id", out _));
        var payload = gap.GetProperty("payload");
        Assert.Equal(JsonValueKind.Null, payload.GetProperty("strategy_id").ValueKind);
        Assert.Equal("strategy.signal:101", payload.GetProperty("channel").GetString());
        Assert.Equal("1011", payload.GetProperty("from").GetString());
        Assert.Equal("Replay limit of 1000 messages exceeded", payload.GetProperty("message").GetString());
        Assert.Equal(1501, live.GetProperty("seq_id").GetInt64());
        Assert.Equal(1, sim.GetCounters().GapsSent);
    }

    [Fact]
    public async Task Replay_ExactlyLimitMissed_NoGap()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101], History = 30, ReplayLimit = 20 });
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SubscribeAsync(101, "exact", resumeFrom: "10");
        var messages = await ReceiveAsync(client, 21);
        sim.PublishSignal(101);
        var next = await client.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal(Enumerable.Range(11, 20).Select(i => (long)i), messages.Skip(1).Select(m => m.GetProperty("seq_id").GetInt64()));
        Assert.Equal("strategy.signal", Type(next));
        Assert.Equal(31, next.GetProperty("seq_id").GetInt64());
    }

    [Fact]
    public async Task Replay_MostRecentSelectionWithStrategyIdInGap_NewestThenGapNamingFirstSkipped()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions
        {
            Strategies = [101], History = 50, ReplayLimit = 10, ReplaySelection = C2ReplaySelection.MostRecent, GapStrategyIdNull = false,
        });
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SubscribeAsync(101, "recent", resumeFrom: 5L);
        var messages = await ReceiveAsync(client, 12);

        Assert.Equal(Enumerable.Range(41, 10).Select(i => (long)i), messages.Skip(1).Take(10).Select(m => m.GetProperty("seq_id").GetInt64()));
        var gap = messages[11].GetProperty("payload");
        Assert.Equal("6", gap.GetProperty("from").GetString());
        Assert.Equal(101, gap.GetProperty("strategy_id").GetInt64());
    }

    [Fact]
    public async Task Replay_ResumeBeforeRetainedHistory_GapAfterReplayFromResumePoint()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101], History = 30, HistoryCapacity = 30 });
        sim.PublishSignals(101, 10); // evicts seq 1..10

        await using var client = await SimTestClient.ConnectAsync(sim);
        await client.SubscribeAsync(101, "old", resumeFrom: "3");
        var messages = await ReceiveAsync(client, 32);

        Assert.Equal(Enumerable.Range(11, 30).Select(i => (long)i), messages.Skip(1).Take(30).Select(m => m.GetProperty("seq_id").GetInt64()));
        Assert.Equal("gap", Type(messages[31]));
        Assert.Equal("4", messages[31].GetProperty("payload").GetProperty("from").GetString());
        Assert.Equal(Enumerable.Range(11, 30).Select(i => (long)i), sim.GetHistorySeqIds(101));
    }

    [Fact]
    public async Task Replay_WhilePublishingConcurrently_NoDuplicateNoLossAtBoundary()
    {
        // Limits high enough that no gap is due: every missed signal must come back.
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions
        {
            Strategies = [101], History = 200, HistoryCapacity = 1_000_000, ReplayLimit = 1_000_000,
        });
        using var stop = new CancellationTokenSource();
        var publisher = Task.Run(() =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                sim.PublishSignal(101);
                if (i % 10 == 0)
                {
                    Thread.Sleep(1);
                }
            }
        });

        var clients = new List<(SimTestClient Client, long ResumeFrom)>();
        for (var i = 0; i < 5; i++)
        {
            var client = await SimTestClient.ConnectAsync(sim);
            var resumeFrom = sim.GetLastSeqId(101) - 50;
            await client.SubscribeAsync(101, $"c{i}", resumeFrom: resumeFrom.ToString(System.Globalization.CultureInfo.InvariantCulture));
            clients.Add((client, resumeFrom));
        }

        await Task.Delay(200);
        await stop.CancelAsync();
        await publisher;
        var last = sim.GetLastSeqId(101);

        foreach (var (client, resumeFrom) in clients)
        {
            Assert.Equal("subscription.ack", Type(await client.ReceiveSkippingHeartbeatsAsync()));
            var expected = resumeFrom + 1;
            while (expected <= last)
            {
                var message = await client.ReceiveSkippingHeartbeatsAsync();
                Assert.True(message.TryGetProperty("seq_id", out var seq), message.GetRawText());
                Assert.Equal(expected, seq.GetInt64()); // consecutive: nothing lost, nothing twice
                expected++;
            }

            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Publish_SeqJumpsOption_IncreasingButNotConsecutive()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101], SeqJumpEvery = 3, SeqJumpSize = 10, FirstSeqId = 1000 });

        var seqs = Enumerable.Range(0, 7).Select(_ => sim.PublishSignal(101)).ToList();

        Assert.Equal([1000L, 1001, 1012, 1013, 1014, 1025, 1026], seqs);
        Assert.Equal(seqs, sim.GetHistorySeqIds(101));
    }

    [Fact]
    public async Task AutoPublish_SignalRateAndPositionsInterval_DeliveredLive()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions
        {
            Strategies = [101], SignalRate = 50, PositionsInterval = TimeSpan.FromMilliseconds(100),
        });
        await using var client = await SimTestClient.ConnectAsync(sim);
        await client.SubscribeAsync(101, "s");
        await client.SubscribeAsync(101, "p", channel: "strategy.positions");

        var types = new HashSet<string>();
        long lastSeq = 0;
        for (var i = 0; i < 30; i++)
        {
            var message = await client.ReceiveSkippingHeartbeatsAsync();
            types.Add(Type(message));
            if (Type(message) == "strategy.signal")
            {
                var seq = message.GetProperty("seq_id").GetInt64();
                Assert.True(seq > lastSeq);
                lastSeq = seq;
            }
        }

        Assert.Superset(new HashSet<string> { "strategy.signal", "strategy.positions" }, types);
    }
}
