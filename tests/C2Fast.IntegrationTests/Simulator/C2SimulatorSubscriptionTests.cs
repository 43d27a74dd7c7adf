using System.Net.WebSockets;
using System.Text.Json;
using C2Fast.Simulator;

namespace C2Fast.IntegrationTests.Simulator;

public class C2SimulatorSubscriptionTests
{
    private static Task<C2Simulator> StartAsync(C2SimulatorOptions? options = null) =>
        SimOptions.StartAsync(options ?? new C2SimulatorOptions { Strategies = [101, 102] });

    private static string Type(JsonElement message) => message.GetProperty("msg_type").GetString()!;

    [Fact]
    public async Task Subscribe_SignalChannel_AckEchoesRequestThenLiveSignalsArrive()
    {
        await using var sim = await StartAsync();
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SubscribeAsync(101, "my-sub-001");
        var ack = await client.ReceiveSkippingHeartbeatsAsync();
        var seq1 = sim.PublishSignal(101);
        var seq2 = sim.PublishSignal(101);
        var first = await client.ReceiveSkippingHeartbeatsAsync();
        var second = await client.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal("subscription.ack", Type(ack));
        Assert.Equal("my-sub-001", ack.GetProperty("request_id").GetString());
        Assert.False(ack.TryGetProperty("seq_id", out _));
        Assert.Equal("subscribe", ack.GetProperty("payload").GetProperty("action").GetString());
        Assert.Equal("strategy.signal", ack.GetProperty("payload").GetProperty("channel").GetString());
        Assert.Equal(101, ack.GetProperty("payload").GetProperty("strategy_id").GetInt64());
        Assert.Equal("strategy.signal", Type(first));
        Assert.Equal(seq1, first.GetProperty("seq_id").GetInt64());
        Assert.Equal(seq2, second.GetProperty("seq_id").GetInt64());
        var payload = first.GetProperty("payload");
        Assert.Equal(101, payload.GetProperty("strategy_id").GetInt64());
        Assert.Contains(payload.GetProperty("action").GetString(), new[] { "BTO", "STO", "BTC", "STC" });
        Assert.Contains(payload.GetProperty("order_type").GetString(), new[] { "market", "limit", "stop" });
        Assert.True(payload.GetProperty("quantity").GetInt32() > 0);
        Assert.Equal(4, first.GetProperty("v").GetInt32());
        Assert.Matches("^msg_[0-9a-f]{28}$", first.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Subscribe_OtherStrategy_OnlySubscribedStrategyDelivered()
    {
        await using var sim = await StartAsync();
        await using var client = await SimTestClient.ConnectAsync(sim);
        await client.SubscribeAsync(102, "r");
        await client.ReceiveSkippingHeartbeatsAsync();

        sim.PublishSignal(101);
        var seq = sim.PublishSignal(102);
        var message = await client.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal(102, message.GetProperty("payload").GetProperty("strategy_id").GetInt64());
        Assert.Equal(seq, message.GetProperty("seq_id").GetInt64());
    }

    [Fact]
    public async Task Subscribe_PositionsChannel_AckThenSnapshotWithoutSeqId()
    {
        await using var sim = await StartAsync();
        sim.PublishSignals(101, 20);
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SubscribeAsync(101, "pos", channel: "strategy.positions");
        var ack = await client.ReceiveSkippingHeartbeatsAsync();
        var snapshot = await client.ReceiveSkippingHeartbeatsAsync();
        sim.PublishPositions(101);
        var published = await client.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal("subscription.ack", Type(ack));
        Assert.Equal("strategy.positions", Type(snapshot));
        Assert.False(snapshot.TryGetProperty("seq_id", out _));
        Assert.Equal(101, snapshot.GetProperty("payload").GetProperty("strategy_id").GetInt64());
        var positions = snapshot.GetProperty("payload").GetProperty("positions");
        Assert.True(positions.GetArrayLength() > 0);
        Assert.All(positions.EnumerateArray(), p =>
        {
            Assert.False(string.IsNullOrEmpty(p.GetProperty("symbol").GetString()));
            Assert.NotEqual(0, p.GetProperty("quantity").GetInt64());
            Assert.True(p.GetProperty("avg_price").GetDecimal() > 0);
        });
        Assert.Equal(snapshot.GetProperty("payload").GetRawText(), published.GetProperty("payload").GetRawText());
    }

    [Fact]
    public async Task Unsubscribe_AfterAck_NoMoreSignals()
    {
        await using var sim = await StartAsync();
        await using var client = await SimTestClient.ConnectAsync(sim);
        await client.SubscribeAsync(101, "s");
        await client.ReceiveSkippingHeartbeatsAsync();

        await client.SubscribeAsync(101, "u", action: "unsubscribe");
        var ack = await client.ReceiveSkippingHeartbeatsAsync();
        sim.PublishSignals(101, 5);
        sim.PublishSignals(102, 1); // not subscribed either

        Assert.Equal("subscription.ack", Type(ack));
        Assert.Equal("u", ack.GetProperty("request_id").GetString());
        Assert.Equal("unsubscribe", ack.GetProperty("payload").GetProperty("action").GetString());
        await client.AssertNothingButHeartbeatsAsync(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Subscribe_StrategyNotAllowed_ForbiddenStrategyIdEchoingRequestId()
    {
        await using var sim = await StartAsync();
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SubscribeAsync(999, "nope");
        var error = await client.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal("error", Type(error));
        Assert.Equal("nope", error.GetProperty("request_id").GetString());
        var payload = error.GetProperty("payload");
        Assert.Equal("FORBIDDEN", payload.GetProperty("code").GetString());
        Assert.Equal("StrategyId", payload.GetProperty("field").GetString());
        Assert.Equal("Not authorized to subscribe to Strategy", payload.GetProperty("message").GetString());
        Assert.False(payload.TryGetProperty("errors", out _));
    }

    [Fact]
    public async Task Subscribe_AllowedStrategiesOption_OverridesPublishedSet()
    {
        await using var sim = await StartAsync(new C2SimulatorOptions { Strategies = [101], AllowedStrategies = [555] });
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SubscribeAsync(555, "ok");
        var ack = await client.ReceiveSkippingHeartbeatsAsync();
        await client.SubscribeAsync(101, "no");
        var error = await client.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal("subscription.ack", Type(ack));
        Assert.Equal("FORBIDDEN", error.GetProperty("payload").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("""{"msg_type":"subscription.request","request_id":"e1","timestamp":"{now}","payload":{"action":"subscribe","channel":"strategy.signal","strategy_id":0}}""", "INVALID_PARAMETER", "StrategyId")]
    [InlineData("""{"msg_type":"subscription.request","request_id":"e1","timestamp":"{now}","payload":{"action":"watch","channel":"strategy.signal","strategy_id":101}}""", "INVALID_PARAMETER", "Action")]
    [InlineData("""{"msg_type":"subscription.request","request_id":"e1","timestamp":"{now}","payload":{"action":"subscribe","channel":"strategy.fills","strategy_id":101}}""", "INVALID_PARAMETER", "Channel")]
    [InlineData("""{"msg_type":"subscription.request","request_id":"e1","timestamp":"{skewed}","payload":{"action":"subscribe","channel":"strategy.signal","strategy_id":101}}""", "INVALID_PARAMETER", "Timestamp")]
    [InlineData("""{"msg_type":"subscription.request","request_id":"e1","timestamp":"{now}","payload":{"action":"subscribe","channel":"strategy.signal"}}""", "MANDATORY_PARAM_EMPTY_OR_MALFORMED", "StrategyId")]
    [InlineData("""{"msg_type":"subscription.request","request_id":"e1","payload":{"action":"subscribe","channel":"strategy.signal","strategy_id":101}}""", "MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Timestamp")]
    [InlineData("""{"msg_type":"subscription.request","request_id":"e1","timestamp":"{now}"}""", "MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Payload")]
    [InlineData("""{"msg_type":"strategy.follow","request_id":"e1"}""", "INVALID_PARAMETER", "MsgType")]
    public async Task Request_Invalid_SingleErrorEchoingRequestIdAndConnectionStaysOpen(string template, string code, string field)
    {
        await using var sim = await StartAsync();
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SendTextAsync(template.Replace("{now}", SimTestClient.Now()).Replace("{skewed}", SimTestClient.Now(TimeSpan.FromMinutes(-2))));
        var error = await client.ReceiveSkippingHeartbeatsAsync();
        await client.SubscribeAsync(101, "after");
        var ack = await client.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal("error", Type(error));
        Assert.Equal("e1", error.GetProperty("request_id").GetString());
        Assert.Equal(code, error.GetProperty("payload").GetProperty("code").GetString());
        Assert.Equal(field, error.GetProperty("payload").GetProperty("field").GetString());
        Assert.Equal("subscription.ack", Type(ack));
    }

    [Fact]
    public async Task Request_RequestIdOver50Characters_InvalidParameter()
    {
        await using var sim = await StartAsync();
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SubscribeAsync(101, new string('r', 51));
        var error = await client.ReceiveSkippingHeartbeatsAsync();
        await client.SubscribeAsync(101, new string('r', 50));
        var ack = await client.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal("INVALID_PARAMETER", error.GetProperty("payload").GetProperty("code").GetString());
        Assert.Equal("RequestId", error.GetProperty("payload").GetProperty("field").GetString());
        Assert.Equal("subscription.ack", Type(ack));
    }

    [Fact]
    public async Task Request_SeveralInvalidFields_ErrorsArrayOfCodeFieldMessage()
    {
        await using var sim = await StartAsync();
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SendTextAsync($$$"""{"msg_type":"subscription.request","request_id":"multi","timestamp":"{{{SimTestClient.Now()}}}","payload":{"action":"nope","strategy_id":-1}}""");
        var error = await client.ReceiveSkippingHeartbeatsAsync();

        var payload = error.GetProperty("payload");
        Assert.False(payload.TryGetProperty("code", out _));
        var errors = payload.GetProperty("errors").EnumerateArray()
            .Select(e => (e.GetProperty("code").GetString(), e.GetProperty("field").GetString(), e.GetProperty("message").GetString()!.Length > 0)).ToList();
        Assert.Equal(
            [("INVALID_PARAMETER", "Action", true), ("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Channel", true), ("INVALID_PARAMETER", "StrategyId", true)],
            errors);
        Assert.Equal("multi", error.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task Subscribe_101stChannel_InvalidParameterButFirst100Acked()
    {
        await using var sim = await StartAsync(new C2SimulatorOptions { AllowedStrategies = [.. Enumerable.Range(1, 60).Select(i => (long)i)] });
        await using var client = await SimTestClient.ConnectAsync(sim);

        // 50 strategies x 2 channels = 100 subscriptions, pipelined.
        for (var i = 1; i <= 50; i++)
        {
            await client.SubscribeAsync(i, $"s{i}");
            await client.SubscribeAsync(i, $"p{i}", channel: "strategy.positions");
        }

        await client.SubscribeAsync(51, "s51");
        await client.SubscribeAsync(1, "again"); // re-subscribing an existing pair is not a new subscription
        var acks = 0;
        JsonElement error = default;
        var requestIds = new List<string>();
        while (requestIds.Count < 102)
        {
            var message = await client.ReceiveSkippingHeartbeatsAsync();
            switch (Type(message))
            {
                case "subscription.ack":
                    acks++;
                    requestIds.Add(message.GetProperty("request_id").GetString()!);
                    break;
                case "error":
                    error = message;
                    requestIds.Add(message.GetProperty("request_id").GetString()!);
                    break;
                default:
                    break; // positions snapshots
            }
        }

        Assert.Equal(101, acks);
        Assert.Equal("s51", error.GetProperty("request_id").GetString());
        Assert.Equal("INVALID_PARAMETER", error.GetProperty("payload").GetProperty("code").GetString());
        Assert.Equal("again", requestIds[^1]);
        Assert.Equal(100, sim.Connections.Single().SubscriptionCount);
    }

    [Fact]
    public async Task Message_InvalidJson_ErrorAndConnectionStaysOpen()
    {
        await using var sim = await StartAsync();
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SendTextAsync("{this is not json");
        var error = await client.ReceiveSkippingHeartbeatsAsync();
        await client.SubscribeAsync(101, "ok");
        var ack = await client.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal("MANDATORY_PARAM_EMPTY_OR_MALFORMED", error.GetProperty("payload").GetProperty("code").GetString());
        Assert.Equal("subscription.ack", Type(ack));
    }

    [Fact]
    public async Task Message_Binary_Closed1003AndOtherConnectionsUnaffected()
    {
        await using var sim = await StartAsync();
        await using var bystander = await SimTestClient.ConnectAsync(sim);
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        await client.ReceiveUntilCloseAsync();
        await bystander.SubscribeAsync(101, "still-here");
        var ack = await bystander.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, client.CloseStatus);
        Assert.Equal("subscription.ack", Type(ack));
    }

    [Fact]
    public async Task Message_Binary_WithCloseOnBinaryOff_ErrorMessage()
    {
        await using var sim = await StartAsync(new C2SimulatorOptions { Strategies = [101], CloseOnBinaryMessage = false });
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        var error = await client.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal("error", Type(error));
        Assert.Equal(WebSocketState.Open, client.Socket.State);
    }

    [Fact]
    public async Task Message_OverMaxSize_Closed1009()
    {
        await using var sim = await StartAsync(new C2SimulatorOptions { Strategies = [101], MaxClientMessageBytes = 1024 });
        await using var client = await SimTestClient.ConnectAsync(sim);

        // Fragmented, so the limit applies to the reassembled message, not only to one frame.
        await client.Socket.SendAsync(new byte[800], WebSocketMessageType.Text, false, CancellationToken.None);
        await client.Socket.SendAsync(new byte[800], WebSocketMessageType.Text, true, CancellationToken.None);
        await client.ReceiveUntilCloseAsync();

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, client.CloseStatus);
    }

    [Fact]
    public async Task Message_FragmentedText_Reassembled()
    {
        await using var sim = await StartAsync();
        await using var client = await SimTestClient.ConnectAsync(sim);
        var text = $$$"""{"msg_type":"subscription.request","request_id":"frag","timestamp":"{{{SimTestClient.Now()}}}","payload":{"action":"subscribe","channel":"strategy.signal","strategy_id":101}}""";
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);

        for (var i = 0; i < bytes.Length; i += 7)
        {
            await client.Socket.SendAsync(bytes.AsMemory(i, Math.Min(7, bytes.Length - i)), WebSocketMessageType.Text, i + 7 >= bytes.Length, CancellationToken.None);
        }

        var ack = await client.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal("frag", ack.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task Close_ClientInitiated_EchoedAndCounted()
    {
        await using var sim = await StartAsync();
        var client = await SimTestClient.ConnectAsync(sim);

        await client.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        client.Socket.Dispose();
        await SimOptions.EventuallyAsync(() => sim.GetCounters().ActiveConnections == 0, "connection ended");

        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.Socket.CloseStatus);
        Assert.Equal(1, sim.GetCounters().ClientClosesByCode[1000]);
        Assert.Empty(sim.GetCounters().ServerClosesByCode);
    }

    [Fact]
    public async Task Dispose_OpenConnection_ClosedWith1001()
    {
        var sim = await StartAsync();
        await using var client = await SimTestClient.ConnectAsync(sim);

        var receive = client.ReceiveUntilCloseAsync();
        await sim.DisposeAsync();
        await receive;

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, client.CloseStatus);
    }
}
