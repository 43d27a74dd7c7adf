using System.Net.WebSockets;
using System.Text.RegularExpressions;
using C2Fast.Simulator;

namespace C2Fast.IntegrationTests.Simulator;

public class C2SimulatorHandshakeTests
{
    [Fact]
    public async Task Upgrade_ValidKey_Returns101WithAcceptKey()
    {
        await using var sim = await SimOptions.StartAsync();

        var response = await RawHttp.UpgradeAsync(sim.Uri!, "Bearer " + C2SimulatorOptions.DemoApiKey);

        Assert.Equal(101, response.Status);
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", response.Headers["Sec-WebSocket-Accept"]); // RFC 6455 §1.3 example
        Assert.Equal("websocket", response.Headers["Upgrade"], ignoreCase: true);
        Assert.False(response.Headers.ContainsKey("Sec-WebSocket-Protocol"));
        Assert.False(response.Headers.ContainsKey("Sec-WebSocket-Extensions"));
    }

    [Theory]
    [InlineData("Bearer wrong-key")]
    [InlineData("Basic abc")]
    [InlineData(null)]
    public async Task Upgrade_MissingOrInvalidKey_Returns401WithJsonBody(string? authorization)
    {
        await using var sim = await SimOptions.StartAsync();

        var response = await RawHttp.UpgradeAsync(sim.Uri!, authorization);

        Assert.Equal(401, response.Status);
        Assert.Equal("Invalid API key", response.Headers["X-WS-Error"]);
        Assert.Equal("""{"code":"UNAUTHORIZED","message":"Invalid API key"}""", response.Body);
        Assert.Equal(1, sim.GetCounters().Rejected401);
    }

    [Fact]
    public async Task Upgrade_OneOfSeveralKeys_Accepted()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { ApiKeys = ["k1", "k2"] });

        await using var client = await SimTestClient.ConnectAsync(sim, "k2");

        Assert.Equal(WebSocketState.Open, client.Socket.State);
    }

    [Fact]
    public async Task Upgrade_AbovePerKeyLimit_Returns429ButOtherKeysStillConnect()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { ApiKeys = ["a", "b"], MaxConnectionsPerKey = 2, RetryAfter = TimeSpan.FromSeconds(3) });
        await using var first = await SimTestClient.ConnectAsync(sim, "a");
        await using var second = await SimTestClient.ConnectAsync(sim, "a");

        var response = await RawHttp.UpgradeAsync(sim.Uri!, "Bearer a");
        await using var otherKey = await SimTestClient.ConnectAsync(sim, "b");

        Assert.Equal(429, response.Status);
        Assert.Equal("RATE_LIMITED", response.Json.GetProperty("code").GetString());
        Assert.Equal("3", response.Headers["Retry-After"]);
        Assert.Equal(WebSocketState.Open, otherKey.Socket.State);
    }

    [Fact]
    public async Task Upgrade_SlotFreedAfterClose_AcceptsAgain()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { MaxConnectionsPerKey = 1 });
        var first = await SimTestClient.ConnectAsync(sim);
        await first.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        first.Socket.Dispose();
        await SimOptions.EventuallyAsync(() => sim.GetCounters().ActiveConnections == 0, "first connection released");

        await using var second = await SimTestClient.ConnectAsync(sim);

        Assert.Equal(WebSocketState.Open, second.Socket.State);
        Assert.Equal(1, sim.GetCounters().ClientClosesByCode[1000]);
    }

    [Fact]
    public async Task Upgrade_AbovePerKeyLimitInRaceMode_AcceptedThenClosed1008WithoutMessage()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions
        {
            MaxConnectionsPerKey = 1,
            ConnectionLimitBehavior = C2ConnectionLimitBehavior.RaceClose1008,
        });
        await using var first = await SimTestClient.ConnectAsync(sim);

        await using var second = await SimTestClient.ConnectAsync(sim, readConnected: false);
        var messages = await second.ReceiveUntilCloseAsync();

        Assert.Empty(messages);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, second.CloseStatus);
        Assert.Equal(1, sim.GetCounters().RaceClosed);
        Assert.Equal(WebSocketState.Open, first.Socket.State);
    }

    [Fact]
    public async Task Upgrade_AboveGlobalLimit_Returns503()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { ApiKeys = ["a", "b"], GlobalConnectionLimit = 1 });
        await using var first = await SimTestClient.ConnectAsync(sim, "a");

        var response = await RawHttp.UpgradeAsync(sim.Uri!, "Bearer b");

        Assert.Equal(503, response.Status);
        Assert.Equal("SERVICE_UNAVAILABLE", response.Json.GetProperty("code").GetString());
        Assert.Equal(1, sim.GetCounters().Rejected503);
    }

    [Theory]
    [InlineData(429, "RATE_LIMITED")]
    [InlineData(503, "SERVICE_UNAVAILABLE")]
    public async Task RejectNextHandshakes_Count_RejectsExactlyThatManyThenAccepts(int status, string code)
    {
        await using var sim = await SimOptions.StartAsync();
        sim.RejectNextHandshakes(2, status);

        var first = await RawHttp.UpgradeAsync(sim.Uri!, "Bearer " + C2SimulatorOptions.DemoApiKey);
        var second = await RawHttp.UpgradeAsync(sim.Uri!, "Bearer " + C2SimulatorOptions.DemoApiKey);
        await using var third = await SimTestClient.ConnectAsync(sim);

        Assert.Equal((status, code), (first.Status, first.Json.GetProperty("code").GetString()));
        Assert.Equal(status, second.Status);
        Assert.Equal(WebSocketState.Open, third.Socket.State);
    }

    [Fact]
    public async Task RejectHandshakes_FromFaultPlanOption_AppliedAtStart()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Faults = new C2FaultPlan { RejectHandshakes = 1, RejectStatusCode = 503 } });

        var ex = await Assert.ThrowsAsync<WebSocketException>(() => SimTestClient.ConnectAsync(sim));
        await using var next = await SimTestClient.ConnectAsync(sim);

        Assert.Contains("503", ex.Message, StringComparison.Ordinal);
        Assert.Equal(WebSocketState.Open, next.Socket.State);
    }

    [Fact]
    public async Task Upgrade_WrongPathOrNoUpgradeOrBadVersion_PlainHttpErrors()
    {
        await using var sim = await SimOptions.StartAsync();
        var auth = "Bearer " + C2SimulatorOptions.DemoApiKey;

        Assert.Equal(404, (await RawHttp.UpgradeAsync(sim.Uri!, auth, path: "/other")).Status);
        Assert.Equal(426, (await RawHttp.UpgradeAsync(sim.Uri!, auth, upgrade: false)).Status);
        var badVersion = await RawHttp.UpgradeAsync(sim.Uri!, auth, version: "8");
        Assert.Equal(426, badVersion.Status);
        Assert.Equal("13", badVersion.Headers["Sec-WebSocket-Version"]);
    }

    [Fact]
    public async Task Connected_FirstMessage_HasDocumentedShape()
    {
        await using var sim = await SimOptions.StartAsync();

        await using var client = await SimTestClient.ConnectAsync(sim, readConnected: false);
        var text = await client.ReceiveTextAsync();

        Assert.Matches("""^\{"msg_type":"connection\.connected","id":"msg_[0-9a-f]{28}","timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","v":4\}$""", text);
        var timestamp = DateTimeOffset.Parse(Regex.Match(text!, "\"timestamp\":\"([^\"]+)\"").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange((DateTimeOffset.UtcNow - timestamp).TotalSeconds, -2, 5);
    }
}
