using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using C2Fast.Simulator;

namespace C2Fast.IntegrationTests.Simulator;

/// <summary>Every [CHOICE] of the spec is an option; these tests flip the defaults and check the wire changes.</summary>
public class C2SimulatorChoiceOptionsTests
{
    [Fact]
    public async Task AckEchoesRequestOff_AckWithoutPayloadButWithRequestId()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101], AckEchoesRequest = false });
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SubscribeAsync(101, "r1");
        var ack = await client.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal("r1", ack.GetProperty("request_id").GetString());
        Assert.False(ack.TryGetProperty("payload", out _));
    }

    [Fact]
    public async Task ErrorEchoesRequestIdOffAndCustomCodes_ErrorUsesThem()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions
        {
            Strategies = [101], ErrorEchoesRequestId = false, ErrorCodes = new C2ErrorCodes { Forbidden = "NOT_ALLOWED" },
        });
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SubscribeAsync(5, "r1");
        var error = await client.ReceiveSkippingHeartbeatsAsync();

        Assert.False(error.TryGetProperty("request_id", out _));
        Assert.Equal("NOT_ALLOWED", error.GetProperty("payload").GetProperty("code").GetString());
    }

    [Fact]
    public async Task CustomRejectionCodes_UsedInHttpBodies()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { ErrorCodes = new C2ErrorCodes { Unauthorized = "BAD_KEY" } });

        var response = await RawHttp.UpgradeAsync(sim.Uri!, "Bearer nope");

        Assert.Equal("BAD_KEY", response.Json.GetProperty("code").GetString());
    }

    [Fact]
    public async Task PositionsCarrySeqId_SnapshotsNumberedPerStrategy()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101], PositionsCarrySeqId = true });
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SubscribeAsync(101, "p", channel: "strategy.positions");
        await client.ReceiveSkippingHeartbeatsAsync();
        var first = await client.ReceiveSkippingHeartbeatsAsync();
        sim.PublishPositions(101);
        var second = await client.ReceiveSkippingHeartbeatsAsync();

        Assert.Equal((1L, 2L), (first.GetProperty("seq_id").GetInt64(), second.GetProperty("seq_id").GetInt64()));
    }

    [Theory]
    [InlineData(C2ResumeFromForms.StringOnly, 5L, false)]
    [InlineData(C2ResumeFromForms.StringOnly, "5", true)]
    [InlineData(C2ResumeFromForms.NumberOnly, "5", false)]
    [InlineData(C2ResumeFromForms.NumberOnly, 5L, true)]
    public async Task ResumeFromForms_Narrowed_OtherFormRejected(C2ResumeFromForms forms, object resumeFrom, bool accepted)
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101], History = 6, ResumeFromForms = forms });
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.SubscribeAsync(101, "r", resumeFrom: resumeFrom);
        var reply = await client.ReceiveSkippingHeartbeatsAsync();

        if (accepted)
        {
            Assert.Equal("subscription.ack", reply.GetProperty("msg_type").GetString());
            Assert.Equal(6, (await client.ReceiveSkippingHeartbeatsAsync()).GetProperty("seq_id").GetInt64());
        }
        else
        {
            Assert.Equal("MANDATORY_PARAM_EMPTY_OR_MALFORMED", reply.GetProperty("payload").GetProperty("code").GetString());
            Assert.Equal("ResumeFrom", reply.GetProperty("payload").GetProperty("field").GetString());
        }
    }

    [Fact]
    public async Task FirstAckWindowStartsAtOpenOff_FirstDeadlineOneIntervalLater()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions
        {
            HeartbeatInterval = TimeSpan.FromSeconds(0.2), HeartbeatGrace = TimeSpan.FromSeconds(0.3), FirstAckWindowStartsAtOpen = false,
        });
        var clock = Stopwatch.StartNew();
        await using var client = await SimTestClient.ConnectAsync(sim);

        var messages = await client.ReceiveUntilCloseAsync();

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, client.CloseStatus);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.68), $"closed after {clock.Elapsed}"); // 2 x 0.2 + 0.3 (0.5 with the default)
        Assert.NotEmpty(messages);
    }

    [Fact]
    public async Task AnyMessageCountsAsAck_OtherMessagesKeepTheConnection()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions
        {
            Strategies = [101], HeartbeatInterval = TimeSpan.FromSeconds(0.2), HeartbeatGrace = TimeSpan.FromSeconds(0.8), AnyMessageCountsAsAck = true,
        });
        await using var client = await SimTestClient.ConnectAsync(sim);
        await client.SubscribeAsync(101, "warm-up"); // first use of the request path (JIT) before the timing matters
        await client.ReceiveSkippingHeartbeatsAsync();

        for (var i = 0; i < 10; i++)
        {
            await client.SubscribeAsync(101, $"keepalive-{i}"); // never a heartbeat.ack
            await Task.Delay(250);
        }

        Assert.Empty(sim.GetCounters().ServerClosesByCode); // 2.5 s without an ack, window 1 s
        Assert.Equal(0, sim.GetCounters().AcksReceived);
        Assert.Equal(11, sim.GetCounters().SubscriptionAcks);
    }

    [Fact]
    public async Task Options_Validate_RejectsOutOfRangeValues()
    {
        Assert.Throws<ArgumentException>(() => new C2Simulator(new C2SimulatorOptions { HeartbeatInterval = TimeSpan.Zero }));
        Assert.Throws<ArgumentException>(() => new C2Simulator(new C2SimulatorOptions { ApiKeys = [] }));
        Assert.Throws<ArgumentException>(() => new C2Simulator(new C2SimulatorOptions { History = 20, HistoryCapacity = 10 }));
        Assert.Throws<ArgumentException>(() => new C2Simulator(new C2SimulatorOptions { Faults = new C2FaultPlan { RejectStatusCode = 500 } }));
        Assert.Throws<ArgumentException>(() => new C2Simulator(new C2SimulatorOptions { Flood = new C2FloodOptions() }));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task StartAsync_PortInUse_ThrowsAndCleansUp()
    {
        await using var first = await SimOptions.StartAsync();

        var ex = await Record.ExceptionAsync(() => SimOptions.StartAsync(new C2SimulatorOptions { Port = first.Port }));

        Assert.IsType<IOException>(ex, exactMatch: false);
        await using var client = await SimTestClient.ConnectAsync(first);
        Assert.Equal(WebSocketState.Open, client.Socket.State);
    }
}
