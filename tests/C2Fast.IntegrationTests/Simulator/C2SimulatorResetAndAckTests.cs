using System.Net.Sockets;
using System.Net.WebSockets;
using C2Fast.Simulator;

namespace C2Fast.IntegrationTests.Simulator;

/// <summary>The fault "connection reset" (TCP RST), the per-connection heartbeat ack accounting and <see cref="C2Simulator.ConnectionEnded"/>.</summary>
public class C2SimulatorResetAndAckTests
{
    [Fact]
    public async Task Reset_ClientReadFailsWithConnectionResetNotEof()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101] });
        using var raw = await RawWebSocket.ConnectAsync(sim.Uri!, C2SimulatorOptions.DemoApiKey);
        await SimOptions.EventuallyAsync(() => sim.Connections.Count == 1, "connection registered");
        C2SimulatorConnection connection = sim.Connections.Single();

        connection.Reset();

        // Read everything the server wrote (connection.connected), then the next read must fail with ECONNRESET:
        // a FIN would make it return 0 instead.
        var buffer = new byte[4096];
        using var limit = new CancellationTokenSource(SimTestClient.DefaultTimeout);
        var error = await Assert.ThrowsAsync<IOException>(async () =>
        {
            while (await raw.Stream.ReadAsync(buffer, limit.Token) > 0)
            {
            }

            Assert.Fail("the connection ended with a FIN (read returned 0), not an RST");
        });
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);

        await connection.Completion.WaitAsync(SimTestClient.DefaultTimeout);
        C2SimulatorCounters counters = sim.GetCounters();
        Assert.Equal(1, counters.Resets);
        Assert.Equal(1, counters.Drops);
        Assert.True(counters.InternalErrors == 0, counters.LastInternalError);
        Assert.NotNull(connection.EndedAt);
    }

    [Fact]
    public async Task Reset_OverTls_ClientSeesTheConnectionFailAndTheServerKeepsServing()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101], UseTls = true });
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        using var invoker = new HttpMessageInvoker(handler);
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + C2SimulatorOptions.DemoApiKey);
        await socket.ConnectAsync(sim.Uri!, invoker, CancellationToken.None);
        await SimOptions.EventuallyAsync(() => sim.Connections.Count == 1, "connection registered");

        sim.Connections.Single().Reset();

        var buffer = new byte[4096];
        using var limit = new CancellationTokenSource(SimTestClient.DefaultTimeout);
        await Assert.ThrowsAsync<WebSocketException>(async () =>
        {
            while (true)
            {
                await socket.ReceiveAsync(buffer, limit.Token);
            }
        });
        await SimOptions.EventuallyAsync(() => sim.GetCounters().ActiveConnections == 0, "connection ended");
        Assert.Equal(1, sim.GetCounters().Resets);
        Assert.True(sim.GetCounters().InternalErrors == 0, sim.GetCounters().LastInternalError);
    }

    [Fact]
    public async Task Reset_Twice_OrAfterTheEnd_DoesNothingMore()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101] });
        await using var client = await SimTestClient.ConnectAsync(sim);
        C2SimulatorConnection connection = sim.Connections.Single();

        connection.Reset();
        connection.Reset();
        await connection.Completion.WaitAsync(SimTestClient.DefaultTimeout);
        connection.Reset();

        Assert.Equal(1, sim.GetCounters().Resets);
        Assert.Equal(1, sim.GetCounters().Drops);
    }

    [Fact]
    public async Task Heartbeats_EachAcked_CountedAckedWithNoneOutstanding()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { HeartbeatInterval = TimeSpan.FromSeconds(0.1), HeartbeatGrace = TimeSpan.FromSeconds(2) });
        await using var client = await SimTestClient.ConnectAsync(sim);
        C2SimulatorConnection connection = sim.Connections.Single();

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("heartbeat", (await client.ReceiveAsync()).GetProperty("msg_type").GetString());
            await client.AckHeartbeatAsync();
        }

        await SimOptions.EventuallyAsync(() => connection.HeartbeatsAcked >= 3, "three heartbeats acked");
        C2SimulatorCounters counters = sim.GetCounters();
        Assert.True(counters.HeartbeatsAcked >= 3);
        Assert.True(counters.MaxHeartbeatAckDelay > TimeSpan.Zero && counters.MaxHeartbeatAckDelay < TimeSpan.FromSeconds(2), counters.MaxHeartbeatAckDelay.ToString());
        Assert.Equal(0, counters.HeartbeatAckTimeouts);
    }

    [Fact]
    public async Task Heartbeats_OneAckAfterSeveral_AcksThemAll()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { HeartbeatInterval = TimeSpan.FromSeconds(0.1), HeartbeatGrace = TimeSpan.FromSeconds(5) });
        await using var client = await SimTestClient.ConnectAsync(sim);
        C2SimulatorConnection connection = sim.Connections.Single();
        for (int i = 0; i < 3; i++)
        {
            await client.ReceiveAsync();
        }

        Assert.True(connection.UnackedHeartbeatAge > TimeSpan.Zero);
        long sent = connection.HeartbeatsSent;
        Assert.True(sent >= 3);

        await client.AckHeartbeatAsync();

        await SimOptions.EventuallyAsync(() => connection.HeartbeatsAcked >= sent, "every heartbeat sent before the ack is acked");
        Assert.True(sim.GetCounters().MaxHeartbeatAckDelay >= TimeSpan.FromSeconds(0.15), "the oldest one waited at least two intervals");
    }

    [Fact]
    public async Task Heartbeats_NeverAcked_AckTimeoutCountedAndConnectionEndsWithOldUnackedHeartbeat()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { HeartbeatInterval = TimeSpan.FromSeconds(0.1), HeartbeatGrace = TimeSpan.FromSeconds(0.2) });
        var ended = new TaskCompletionSource<C2SimulatorConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        sim.ConnectionEnded += (_, c) => ended.TrySetResult(c);
        await using var client = await SimTestClient.ConnectAsync(sim);

        await client.ReceiveUntilCloseAsync();
        C2SimulatorConnection connection = await ended.Task.WaitAsync(SimTestClient.DefaultTimeout);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, client.CloseStatus);
        Assert.Equal(1, sim.GetCounters().HeartbeatAckTimeouts);
        Assert.True(connection.HeartbeatsSent >= 1);
        Assert.Equal(0, connection.HeartbeatsAcked);
        Assert.NotNull(connection.EndedAt);
        TimeSpan age = connection.UnackedHeartbeatAge!.Value;
        Assert.True(age >= TimeSpan.FromSeconds(0.1), age.ToString());
        await Task.Yield();
        Assert.Equal(age, connection.UnackedHeartbeatAge); // frozen at the end
    }

    [Fact]
    public async Task ConnectionEnded_RaisedOncePerConnectionBeforeCompletion()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101] });
        var seen = new List<long>();
        var completedWhenRaised = new List<bool>();
        sim.ConnectionEnded += (_, c) =>
        {
            lock (seen)
            {
                seen.Add(c.Id);
                completedWhenRaised.Add(c.Completion.IsCompleted);
            }
        };

        await using (var first = await SimTestClient.ConnectAsync(sim))
        {
            sim.Connections.Single().Drop();
            await sim.Connections.Single().Completion.WaitAsync(SimTestClient.DefaultTimeout);
        }

        await using (var second = await SimTestClient.ConnectAsync(sim))
        {
            await second.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        await SimOptions.EventuallyAsync(() => { lock (seen) { return seen.Count == 2; } }, "two connections ended");
        Assert.Equal([1L, 2], seen);
        Assert.All(completedWhenRaised, Assert.False);
    }

    [Fact]
    public async Task ConnectionEnded_ThrowingHandler_CountedAsInternalErrorAndConnectionStillCleanedUp()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101] });
        sim.ConnectionEnded += (_, _) => throw new InvalidOperationException("observer bug");
        await using var client = await SimTestClient.ConnectAsync(sim);
        C2SimulatorConnection connection = sim.Connections.Single();

        connection.Drop();

        await connection.Completion.WaitAsync(SimTestClient.DefaultTimeout);
        Assert.Equal(1, sim.GetCounters().InternalErrors);
        Assert.Equal(0, sim.GetCounters().ActiveConnections);
    }
}
