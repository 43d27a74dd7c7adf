using System.Text;
using System.Text.Json;
using C2Fast.Tests.Infrastructure;

namespace C2Fast.Tests.Session;

/// <summary>
/// The whole client (session, engine, handler, queues) over in-memory transports and a fake clock: connect and
/// request timeouts, reconnect backoff, Retry-After, silence, paused acks, close, and the message handle's
/// dispose rules. Every wait has a bound; time moves only when a test advances it, after it has seen the timer
/// it is about to fire.
/// </summary>
public class FeedSessionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static C2FeedOptions Options(TestClock clock) => new()
    {
        Endpoint = new Uri("ws://c2.test/ws"),
        ApiKey = "test-key",
        TimeProvider = clock,
        Reconnect = new C2ReconnectOptions { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(2), RejectionDelay = TimeSpan.FromSeconds(5) },
    };

    private static C2FeedOptions WithMaxAttempts(TestClock clock, int maxAttempts)
        => Options(clock) with { Reconnect = Options(clock).Reconnect with { MaxAttempts = maxAttempts } };

    /// <summary>An unbounded channel that an event handler writes each event's arguments to.</summary>
    private static System.Threading.Channels.Channel<T> Collect<T>(Action<EventHandler<T>> subscribe)
    {
        var events = System.Threading.Channels.Channel.CreateUnbounded<T>();
        subscribe((_, e) => events.Writer.TryWrite(e));
        return events;
    }

    private static async Task<(C2FeedClient Client, ScriptedServer Server)> ConnectedAsync(C2FeedOptions options, InMemoryConnector connector, Action<C2FeedMessage>? inline = null)
    {
        var client = new C2FeedClient(options, inline, null, connector.ConnectAsync);
        Task connect = client.ConnectAsync();
        (ScriptedServer server, _) = await connector.NextAsync();
        await server.AcceptConnectedAsync();
        await connect.WaitAsync(Bound);
        ((TestClock)options.TimeProvider).ForgetTimers(); // the connect timeout and the watchdog are running
        return (client, server);
    }

    private static async Task SubscribeAsync(C2FeedClient client, ScriptedServer server, long strategyId, long? resumeFrom = null)
    {
        Task subscribe = client.SubscribeAsync(C2Channel.Signal, strategyId, resumeFrom);
        await server.AckNextRequestAsync();
        await subscribe.WaitAsync(Bound);
    }

    private static Task<T> NextAsync<T>(System.Threading.Channels.Channel<T> events) => events.Reader.ReadAsync().AsTask().WaitAsync(Bound);

    [Fact]
    public async Task ConnectAsync_ConnectionConnectedNeverComes_FailsWithTimeoutAtTheConnectTimeout()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        var client = new C2FeedClient(Options(clock), null, null, connector.ConnectAsync);
        await using TestClock.Scope scope = clock.Owning(client);
        Task connect = client.ConnectAsync();
        (ScriptedServer server, _) = await connector.NextAsync();
        await server.AcceptAsync(); // upgraded, but no connection.connected
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(10), "the connect timeout");
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(5), "the watchdog: the upgrade is done and the read loop runs");
        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.False(connect.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(1));
        var error = await Assert.ThrowsAsync<C2FeedException>(() => connect.WaitAsync(Bound));
        Assert.Equal(C2FeedError.Timeout, error.Error);
        await Assert.ThrowsAsync<C2FeedException>(() => client.Completion.WaitAsync(Bound));
    }

    [Fact]
    public async Task SubscribeAsync_NoAnswer_FailsWithTimeoutAtTheRequestTimeout()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        (C2FeedClient client, ScriptedServer server) = await ConnectedAsync(Options(clock), connector);
        await using TestClock.Scope scope = clock.Owning(client);

        Task subscribe = client.SubscribeAsync(C2Channel.Signal, 101);
        JsonElement request = await server.ReadJsonAsync();
        Assert.Equal("subscription.request", request.GetProperty("msg_type").GetString());
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(10), "the request timeout");
        clock.Advance(TimeSpan.FromSeconds(10));

        var error = await Assert.ThrowsAsync<C2FeedException>(() => subscribe.WaitAsync(Bound));
        Assert.Equal(C2FeedError.Timeout, error.Error);
    }

    [Fact]
    public async Task Reconnect_AfterTheServerDropsTcp_WaitsTheBackoffThenResumesAfterTheLastSignalDelivered()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        (C2FeedClient client, ScriptedServer first) = await ConnectedAsync(Options(clock), connector);
        await using TestClock.Scope scope = clock.Owning(client);
        var reconnecting = Collect<C2ReconnectingEventArgs>(h => client.Reconnecting += h);
        await SubscribeAsync(client, first, 101);
        for (long seq = 1; seq <= 3; seq++)
        {
            await first.SendSignalAsync(101, seq);
        }

        await foreach (C2FeedMessage message in client.ReadAllAsync().Take(3))
        {
            message.Dispose();
        }

        first.Transport.ServerClose(); // TCP ends without a close frame
        C2ReconnectingEventArgs attempt = await NextAsync(reconnecting);
        Assert.Equal(1, attempt.Attempt);
        Assert.Equal(C2FeedError.ConnectionLost, attempt.LastError?.Error);
        Assert.InRange(attempt.Delay, TimeSpan.Zero, TimeSpan.FromSeconds(1)); // full jitter below the base delay
        TimeSpan due = await clock.WaitForTimerAsync(d => d <= TimeSpan.FromSeconds(1), "the backoff delay");
        Assert.False(connector.HasPending);

        clock.Advance(due);
        (ScriptedServer second, _) = await connector.NextAsync();
        await second.AcceptConnectedAsync();
        JsonElement resubscribe = await second.AckNextRequestAsync();
        Assert.Equal("3", resubscribe.GetProperty("payload").GetProperty("resume_from").GetString());

        // A replay overlapping what was delivered is discarded; the next new signal comes through.
        await second.SendSignalAsync(101, 3);
        await second.SendSignalAsync(101, 4);
        await foreach (C2FeedMessage message in client.ReadAllAsync().Take(1))
        {
            using (message)
            {
                Assert.Equal(4, message.SeqId);
            }
        }

        Assert.Equal(1, client.GetStatistics().DuplicatesDiscarded);
        Assert.Equal(1, client.GetStatistics().Reconnects);
    }

    [Fact]
    public async Task Reconnect_After429WithRetryAfter_DoesNotTryAgainBeforeRetryAfterHasPassed()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        (C2FeedClient client, ScriptedServer first) = await ConnectedAsync(Options(clock), connector);
        await using TestClock.Scope scope = clock.Owning(client);
        var reconnecting = Collect<C2ReconnectingEventArgs>(h => client.Reconnecting += h);

        first.Transport.ServerClose();
        await NextAsync(reconnecting);
        clock.Advance(await clock.WaitForTimerAsync(d => d <= TimeSpan.FromSeconds(1), "the first backoff"));
        (ScriptedServer rejecting, _) = await connector.NextAsync();
        await rejecting.RejectAsync(429, "Too Many Requests", "Retry-After: 30\r\n", """{"code":"RATE_LIMITED","message":"slow down"}""");
        DateTimeOffset rejectedAt = clock.GetUtcNow();

        C2ReconnectingEventArgs second = await NextAsync(reconnecting);
        Assert.Equal(2, second.Attempt);
        Assert.Equal(C2FeedError.ConnectionRejected, second.LastError?.Error);
        Assert.Equal(TimeSpan.FromSeconds(30), second.LastError?.RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(30), second.Delay); // the floor wins over a 2 s jitter cap
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(30), "the Retry-After delay");

        clock.Advance(TimeSpan.FromSeconds(30) - TimeSpan.FromMilliseconds(1));
        Assert.False(connector.HasPending, "the client tried again before Retry-After had passed");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        (ScriptedServer third, DateTimeOffset at) = await connector.NextAsync();
        Assert.True(at - rejectedAt >= TimeSpan.FromSeconds(30), $"tried again after {at - rejectedAt}");
        await third.AcceptConnectedAsync();
    }

    /// <summary>
    /// Adversarial finding: every connection upgraded, said connection.connected, replayed what was already delivered
    /// and then broke the protocol; the attempt counter reset on each upgrade, so --max-retries 2 never ended. Now such
    /// a connection counts as a failed attempt and the backoff keeps growing.
    /// </summary>
    [Fact]
    public async Task Reconnect_EveryConnectionFailsBeforeProvingHealthy_CountsAsFailedAttemptsAndGivesUp()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        C2FeedOptions options = Options(clock) with { Reconnect = Options(clock).Reconnect with { MaxAttempts = 2, MaxDelay = TimeSpan.FromSeconds(8) } };
        (C2FeedClient client, ScriptedServer server) = await ConnectedAsync(options, connector);
        await using TestClock.Scope scope = clock.Owning(client);
        var reconnecting = Collect<C2ReconnectingEventArgs>(h => client.Reconnecting += h);
        await SubscribeAsync(client, server, 101);
        await server.SendSignalAsync(101, 1); // new: this connection proved healthy
        using (C2FeedMessage first = await ReadOneAsync(client.Partitions[0]))
        {
            Assert.Equal(1, first.SeqId);
        }

        for (int attempt = 1; attempt <= 2; attempt++)
        {
            await server.WriteAsync([0x83, 0x01, (byte)'x']); // a reserved opcode: protocol violation
            server.Transport.ServerClose(); // and gone, without answering the client's close 1002
            C2ReconnectingEventArgs next = await NextAsync(reconnecting);
            Assert.Equal(attempt, next.Attempt);
            Assert.Equal(C2FeedError.ProtocolViolation, next.LastError?.Error);
            TimeSpan cap = TimeSpan.FromSeconds(attempt); // base 1 s × 2^(attempt-1): the backoff grows
            clock.Advance(await clock.WaitForTimerAsync(d => d <= cap, $"backoff {attempt}"));
            (server, _) = await connector.NextAsync();
            await server.AcceptConnectedAsync();
            JsonElement resubscribe = await server.AckNextRequestAsync();
            Assert.Equal("1", resubscribe.GetProperty("payload").GetProperty("resume_from").GetString());
            await server.SendHeartbeatAsync();
            await server.SendSignalAsync(101, 1); // a replay of what was delivered: nothing new
        }

        await server.WriteAsync([0x83, 0x01, (byte)'x']);
        server.Transport.ServerClose();
        var error = await Assert.ThrowsAsync<C2FeedException>(() => client.Completion.WaitAsync(Bound));
        Assert.Equal(C2FeedError.ProtocolViolation, error.Error);
        Assert.False(reconnecting.Reader.TryRead(out _));
        Assert.False(connector.HasPending);
        Assert.Equal(2, client.GetStatistics().DuplicatesDiscarded);
    }

    [Fact]
    public async Task Reconnect_AConnectionThatDeliversSomethingNew_StartsTheAttemptCountAgain()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        C2FeedOptions options = WithMaxAttempts(clock, 1);
        (C2FeedClient client, ScriptedServer server) = await ConnectedAsync(options, connector);
        await using TestClock.Scope scope = clock.Owning(client);
        var reconnecting = Collect<C2ReconnectingEventArgs>(h => client.Reconnecting += h);
        await SubscribeAsync(client, server, 101);

        for (long seq = 1; seq <= 3; seq++)
        {
            await server.SendSignalAsync(101, seq); // new each time
            using (C2FeedMessage message = await ReadOneAsync(client.Partitions[0]))
            {
                Assert.Equal(seq, message.SeqId);
            }

            server.Transport.ServerClose();
            C2ReconnectingEventArgs next = await NextAsync(reconnecting);
            Assert.Equal(1, next.Attempt); // never 2: with MaxAttempts = 1 that would have ended the feed
            clock.Advance(await clock.WaitForTimerAsync(d => d <= TimeSpan.FromSeconds(1), "the first backoff"));
            (server, _) = await connector.NextAsync();
            await server.AcceptConnectedAsync();
            await server.AckNextRequestAsync();
        }

        Assert.True(client.IsConnected);
    }

    /// <summary>
    /// Review finding: the time spent finding out that a connection had failed (here the silence timeout, interval +
    /// grace) counted as uptime, so a server that accepts and then says nothing looked healthy on every connection and
    /// the retries never ended. Uptime is measured to the last frame received.
    /// </summary>
    [Fact]
    public async Task Reconnect_ServerSilentAfterConnecting_EachConnectionIsAFailedAttemptAndTheFeedEnds()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        C2FeedOptions options = WithMaxAttempts(clock, 1);
        (C2FeedClient client, _) = await ConnectedAsync(options, connector);
        await using TestClock.Scope scope = clock.Owning(client);
        var reconnecting = Collect<C2ReconnectingEventArgs>(h => client.Reconnecting += h);
        var connected = Collect<C2ConnectedEventArgs>(h => client.Connected += h);

        clock.Advance(TimeSpan.FromSeconds(45)); // interval 30 s + grace 10 s, on 5 s watchdog ticks
        C2ReconnectingEventArgs first = await NextAsync(reconnecting);
        Assert.Equal(1, first.Attempt);
        Assert.Equal(C2FeedError.Timeout, first.LastError?.Error);
        clock.Advance(await clock.WaitForTimerAsync(d => d <= TimeSpan.FromSeconds(1), "the backoff"));
        (ScriptedServer silent, _) = await connector.NextAsync();
        await silent.AcceptConnectedAsync();
        await NextAsync(connected);

        clock.Advance(TimeSpan.FromSeconds(45)); // up 45 s, but the last frame came at 0 s: not healthy
        var error = await Assert.ThrowsAsync<C2FeedException>(() => client.Completion.WaitAsync(Bound));
        Assert.Equal(C2FeedError.Timeout, error.Error);
        Assert.False(reconnecting.Reader.TryRead(out _));
        Assert.Equal(2, connector.Attempts);
    }

    /// <summary>
    /// Review finding: positions (which the simulator sends on every subscribe), gaps and unknown messages counted as
    /// "something new", so a server that sends a positions snapshot and then breaks every connection was retried
    /// forever. Only a signal that advances the sequence proves the feed moved on.
    /// </summary>
    [Fact]
    public async Task Reconnect_ConnectionsThatDeliverOnlyPositionsThenBreak_CountAsFailedAttempts()
    {
        const string Positions = """{"msg_type":"strategy.positions","id":"msg_p","timestamp":"2026-12-08T00:00:00Z","v":4,"payload":{"strategy_id":101,"positions":[]}}""";
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        C2FeedOptions options = WithMaxAttempts(clock, 1);
        (C2FeedClient client, ScriptedServer server) = await ConnectedAsync(options, connector);
        await using TestClock.Scope scope = clock.Owning(client);
        var reconnecting = Collect<C2ReconnectingEventArgs>(h => client.Reconnecting += h);

        for (int connection = 1; connection <= 2; connection++)
        {
            await server.SendAsync(Positions);
            using (C2FeedMessage positions = await ReadOneAsync(client.Partitions[0]))
            {
                Assert.Equal(C2MessageType.Positions, positions.Type);
            }

            await server.WriteAsync([0x83, 0x01, (byte)'x']); // a reserved opcode: protocol violation
            server.Transport.ServerClose();
            if (connection == 2)
            {
                break;
            }

            Assert.Equal(1, (await NextAsync(reconnecting)).Attempt);
            clock.Advance(await clock.WaitForTimerAsync(d => d <= TimeSpan.FromSeconds(1), "the backoff"));
            (server, _) = await connector.NextAsync();
            await server.AcceptConnectedAsync();
        }

        var error = await Assert.ThrowsAsync<C2FeedException>(() => client.Completion.WaitAsync(Bound));
        Assert.Equal(C2FeedError.ProtocolViolation, error.Error);
        Assert.False(reconnecting.Reader.TryRead(out _));
        Assert.Equal(2, connector.Attempts);
    }

    /// <summary>A server that keeps sending frames for half a heartbeat interval proved healthy, signals or not.</summary>
    [Fact]
    public async Task Reconnect_FramesForHalfAHeartbeatInterval_StartTheAttemptCountAgain()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        C2FeedOptions options = WithMaxAttempts(clock, 1);
        (C2FeedClient client, ScriptedServer server) = await ConnectedAsync(options, connector);
        await using TestClock.Scope scope = clock.Owning(client);
        var reconnecting = Collect<C2ReconnectingEventArgs>(h => client.Reconnecting += h);
        var connected = Collect<C2ConnectedEventArgs>(h => client.Connected += h);

        for (int connection = 1; connection <= 3; connection++)
        {
            await server.SendHeartbeatAsync();
            Assert.Contains("heartbeat.ack", Encoding.UTF8.GetString((await server.ReadFrameAsync())!.Payload));
            clock.Advance(TimeSpan.FromSeconds(15)); // Heartbeat.Interval / 2
            await server.SendHeartbeatAsync();
            Assert.Contains("heartbeat.ack", Encoding.UTF8.GetString((await server.ReadFrameAsync())!.Payload));

            server.Transport.ServerClose();
            C2ReconnectingEventArgs next = await NextAsync(reconnecting);
            Assert.Equal(1, next.Attempt); // never 2: with MaxAttempts = 1 that would have ended the feed
            clock.Advance(await clock.WaitForTimerAsync(d => d <= TimeSpan.FromSeconds(1), "the backoff"));
            (server, _) = await connector.NextAsync();
            await server.AcceptConnectedAsync();
            await NextAsync(connected);
        }

        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task Reconnect_After401_NeverTriesAgainAndCompletesFaulted()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        (C2FeedClient client, ScriptedServer first) = await ConnectedAsync(Options(clock), connector);
        await using TestClock.Scope scope = clock.Owning(client);

        first.Transport.ServerClose();
        clock.Advance(await clock.WaitForTimerAsync(d => d <= TimeSpan.FromSeconds(1), "the first backoff"));
        (ScriptedServer rejecting, _) = await connector.NextAsync();
        await rejecting.RejectAsync(401, "Unauthorized", "X-WS-Error: Invalid API key\r\n", """{"code":"UNAUTHORIZED","message":"Invalid API key"}""");

        var error = await Assert.ThrowsAsync<C2FeedException>(() => client.Completion.WaitAsync(Bound));
        Assert.Equal(C2FeedError.AuthenticationFailed, error.Error);
        Assert.Equal("UNAUTHORIZED", error.ServerCode);
        Assert.Equal(2, connector.Attempts);
    }

    [Fact]
    public async Task Silence_NoFrameForIntervalPlusGrace_DropsTheConnectionAsTimeoutAndReconnects()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        (C2FeedClient client, _) = await ConnectedAsync(Options(clock), connector);
        await using TestClock.Scope scope = clock.Owning(client);
        var disconnected = Collect<C2DisconnectedEventArgs>(h => client.Disconnected += h);

        // The watchdog (a tick every 5 s) started with the read loop, before connection.connected was read.

        clock.Advance(TimeSpan.FromSeconds(39));
        Assert.True(client.IsConnected);
        clock.Advance(TimeSpan.FromSeconds(6));

        C2DisconnectedEventArgs lost = await NextAsync(disconnected);
        Assert.Equal(C2FeedError.Timeout, lost.Error?.Error);
        clock.Advance(await clock.WaitForTimerAsync(d => d <= TimeSpan.FromSeconds(1), "the backoff"));
        (ScriptedServer again, _) = await connector.NextAsync();
        await again.AcceptConnectedAsync();
    }

    /// <summary>
    /// Adversarial finding: a frame announced at 60,000 bytes, then one byte at a time, kept the connection "alive"
    /// forever. Liveness counts complete frames: it is dropped as silent on time.
    /// </summary>
    [Fact]
    public async Task Silence_ServerTricklesAFrameThatNeverCompletes_DroppedAsTimeoutOnTime()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        (C2FeedClient client, ScriptedServer server) = await ConnectedAsync(Options(clock), connector);
        await using TestClock.Scope scope = clock.Owning(client);
        var disconnected = Collect<C2DisconnectedEventArgs>(h => client.Disconnected += h);

        // Each write is taken in by the client (its next read has started) before the clock moves on.
        int reads = server.Transport.Reads;
        await server.WriteAsync([0x81, 0x7E, 0xEA, 0x60]); // a text frame of 60,000 bytes
        await server.Transport.WaitForReadsAsync(++reads).WaitAsync(Bound);
        for (int second = 1; second <= 39; second++)
        {
            await server.WriteAsync([(byte)'x']);
            await server.Transport.WaitForReadsAsync(++reads).WaitAsync(Bound);
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.True(client.IsConnected);
        for (int second = 40; second <= 45 && !disconnected.Reader.TryPeek(out _); second++)
        {
            await server.WriteAsync([(byte)'x']);
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        C2DisconnectedEventArgs lost = await NextAsync(disconnected);
        Assert.Equal(C2FeedError.Timeout, lost.Error?.Error);
    }

    [Fact]
    public async Task PausedConsumer_SendsAHeartbeatAckEveryPausedAckInterval_AndLosesNothing()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        C2FeedOptions options = Options(clock) with { Queues = new C2QueueOptions { Capacity = 2 } };
        (C2FeedClient client, ScriptedServer server) = await ConnectedAsync(options, connector);
        await using TestClock.Scope scope = clock.Owning(client);
        await SubscribeAsync(client, server, 101);

        // Two signals fill the partition: the loop pauses with the third still unread in the pipe.
        for (long seq = 1; seq <= 3; seq++)
        {
            await server.SendSignalAsync(101, seq);
        }

        for (int i = 1; i <= 3; i++)
        {
            await clock.WaitForTimerAsync(TimeSpan.FromMilliseconds(100), "the paused-ack interval");
            clock.Advance(TimeSpan.FromMilliseconds(100));
            JsonElement ack = await server.ReadJsonAsync();
            Assert.Equal("heartbeat.ack", ack.GetProperty("msg_type").GetString());
            Assert.Equal(clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"), ack.GetProperty("timestamp").GetString());
        }

        await clock.WaitForTimerAsync(TimeSpan.FromMilliseconds(100), "the fourth paused-ack interval (after the third ack was counted)");
        Assert.Equal(3, client.GetStatistics().PausedAcks);
        Assert.Equal(1, client.GetStatistics().BackpressurePauses);
        var seen = new List<long>();
        await foreach (C2FeedMessage message in client.ReadAllAsync().Take(3))
        {
            using (message)
            {
                seen.Add(message.SeqId!.Value);
            }
        }

        Assert.Equal([1L, 2, 3], seen);
    }

    [Fact]
    public async Task DisposeAsync_ServerNeverAnswersTheClose_CompletesAtTheCloseTimeout()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        (C2FeedClient client, ScriptedServer server) = await ConnectedAsync(Options(clock), connector);

        ValueTask disposing = client.DisposeAsync();
        TestFrame? close = await server.ReadFrameAsync();
        Assert.True(close!.IsClose);
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(5), "the close timeout");
        Assert.False(disposing.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(5));
        await disposing.AsTask().WaitAsync(Bound);
        await client.Completion.WaitAsync(Bound);
        Assert.True(server.Transport.Aborted);
    }

    [Fact]
    public async Task MessageDispose_Twice_EvenAfterItsCopyWasReused_NeverTouchesTheLaterMessage()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        C2FeedOptions options = Options(clock) with { Tuning = new C2TuningOptions { MessagePoolSize = 1 } };
        (C2FeedClient client, ScriptedServer server) = await ConnectedAsync(options, connector);
        await using TestClock.Scope scope = clock.Owning(client);
        await SubscribeAsync(client, server, 101);
        var reader = client.Partitions[0];

        await server.SendSignalAsync(101, 1);
        C2FeedMessage first = await ReadOneAsync(reader);
        C2FeedMessage copy = first; // a copy of the handle: the same message
        first.Dispose();
        Assert.False(first.IsValid);
        Assert.False(copy.IsValid);
        Assert.Throws<ObjectDisposedException>(() => copy.SeqId);

        await server.SendSignalAsync(101, 2);
        C2FeedMessage second = await ReadOneAsync(reader); // the pool holds one copy: the same one, reused
        first.Dispose();
        copy.Dispose();

        Assert.True(second.IsValid);
        Assert.Equal(2, second.SeqId);
        Assert.Equal(1, client.GetStatistics().QueuedMessages);
        second.Dispose();
        second.Dispose();
        Assert.Equal(0, client.GetStatistics().QueuedMessages);
    }

    [Fact]
    public async Task Inline_HandlerReadsTheMessage_ItIsInvalidAfterwardsAndDisposeIsHarmless()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        var kept = new List<C2FeedMessage>();
        var seen = new List<long>();
        var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        (C2FeedClient client, ScriptedServer server) = await ConnectedAsync(Options(clock), connector, message =>
        {
            seen.Add(message.SeqId!.Value);
            kept.Add(message);
            message.Dispose(); // harmless
            if (seen.Count == 2)
            {
                delivered.TrySetResult();
            }
        });
        await using TestClock.Scope scope = clock.Owning(client);
        Assert.Equal(C2DeliveryMode.Inline, client.Delivery);
        Assert.Empty(client.Partitions);
        Assert.Throws<InvalidOperationException>(() => client.ReadAllAsync());
        await SubscribeAsync(client, server, 101);

        await server.SendSignalAsync(101, 1);
        await server.SendSignalAsync(101, 2);
        await delivered.Task.WaitAsync(Bound);

        Assert.Equal([1L, 2], seen);
        Assert.All(kept, m => Assert.False(m.IsValid));
        Assert.Throws<ObjectDisposedException>(() => kept[0].Type);
    }

    [Fact]
    public async Task Inline_HandlerThrows_ConnectionDroppedAndClientCompletesHandlerFailedWithoutReconnecting()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        (C2FeedClient client, ScriptedServer server) = await ConnectedAsync(Options(clock), connector, _ => throw new InvalidOperationException("boom"));
        await using TestClock.Scope scope = clock.Owning(client);
        await SubscribeAsync(client, server, 101);

        await server.SendSignalAsync(101, 1);
        var error = await Assert.ThrowsAsync<C2FeedException>(() => client.Completion.WaitAsync(Bound));
        Assert.Equal(C2FeedError.HandlerFailed, error.Error);
        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Equal(1, connector.Attempts);
    }

    [Fact]
    public async Task CloseAsync_BeforeConnect_CompletesTheFeed()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        var client = new C2FeedClient(Options(clock), null, null, connector.ConnectAsync);
        await using TestClock.Scope scope = clock.Owning(client);

        await client.CloseAsync().WaitAsync(Bound);

        await client.Completion.WaitAsync(Bound);
        Assert.False(client.IsConnected);
        Assert.Equal(0, connector.Attempts);
    }

    [Fact]
    public async Task CloseAsync_WhileTheFirstConnectWaitsForConnectionConnected_EndsTheConnectAndTheFeed()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        var client = new C2FeedClient(Options(clock), null, null, connector.ConnectAsync);
        await using TestClock.Scope scope = clock.Owning(client);
        Task connect = client.ConnectAsync();
        (ScriptedServer server, _) = await connector.NextAsync();
        await server.AcceptAsync(); // upgraded, but connection.connected never comes
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(5), "the watchdog: the read loop runs");

        await client.CloseAsync().WaitAsync(Bound); // no clock advance needed: the close cuts the connect short

        var error = await Assert.ThrowsAsync<C2FeedException>(() => connect.WaitAsync(Bound));
        Assert.Equal(C2FeedError.ConnectionNotOpen, error.Error);
        await client.Completion.WaitAsync(Bound); // ended cleanly: the application asked for it
        Assert.False(client.IsConnected);
        Assert.True(server.Transport.Aborted);
    }

    [Fact]
    public async Task CloseAsync_WhileWaitingToReconnect_EndsAtOnceWithoutAnotherAttempt()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        (C2FeedClient client, ScriptedServer first) = await ConnectedAsync(Options(clock), connector);
        await using TestClock.Scope scope = clock.Owning(client);
        var reconnecting = Collect<C2ReconnectingEventArgs>(h => client.Reconnecting += h);

        first.Transport.ServerClose();
        await NextAsync(reconnecting);
        await clock.WaitForTimerAsync(d => d <= TimeSpan.FromSeconds(1), "the backoff delay");

        await client.CloseAsync().WaitAsync(Bound);

        await client.Completion.WaitAsync(Bound);
        Assert.Equal(1, connector.Attempts);
        Assert.False(client.IsConnected);
    }

    /// <summary>
    /// Adversarial finding: a lone surrogate escape (valid JSON, but no UTF-16 text) used to throw out of the read
    /// loop, dropping the connection and every reconnect after it. Now a message whose envelope cannot be decoded is a
    /// protocol-error event with its raw bytes; one that can be is handled with the raw text where a string cannot be
    /// decoded. Either way the connection carries on: the heartbeat and signal 4 in the same read are handled.
    /// </summary>
    [Theory]
    [InlineData("""{"msg_type":"strategy.signal\ud800","id":"x","seq_id":3,"payload":{"strategy_id":101}}""", "InvalidString")]
    [InlineData("""{"msg_\udfff":"x","msg_type":"strategy.signal","seq_id":3,"payload":{"strategy_id":101}}""", "InvalidString")]
    [InlineData("""{"\ud800":1,"msg_type":"heartbeat"}""", "InvalidString")]
    [InlineData("""{"msg_type":"error","request_id":"\ud800","payload":{"errors":[{"code":"X","message":"m"}]}}""", null)]
    [InlineData("""{"msg_type":"error","request_id":"r","payload":{"errors":[{"code":"\udfff","field":"\ud800","message":"\ud800"}]}}""", null)]
    [InlineData("""{"msg_type":"subscription.ack","request_id":"\ud800","payload":{}}""", null)]
    [InlineData("""{"msg_type":"gap","payload":{"strategy_id":null,"channel":"strategy.signal:\udfff","from":"\ud800","message":"\ud800"}}""", null)]
    [InlineData("""{"msg_type":"connection.connected","id":"\ud800"}""", null)]
    public async Task PoisonedString_AfterThePrefix_IsReportedOrToleratedAndTheConnectionCarriesOn(string poisoned, string? protocolError)
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        (C2FeedClient client, ScriptedServer server) = await ConnectedAsync(Options(clock), connector);
        await using TestClock.Scope scope = clock.Owning(client);
        var errors = Collect<C2ProtocolErrorEventArgs>(h => client.ProtocolError += h);
        var disconnected = 0;
        client.Disconnected += (_, _) => Interlocked.Increment(ref disconnected);
        await SubscribeAsync(client, server, 101);
        await server.SendSignalAsync(101, 1);
        await server.SendHeartbeatAsync();
        await server.SendSignalAsync(101, 2);
        Assert.Equal("heartbeat.ack", (await server.ReadJsonAsync()).GetProperty("msg_type").GetString());

        // One write, so one read: the poisoned message, a heartbeat and signal 4.
        byte[] bad = System.Text.Encoding.UTF8.GetBytes(poisoned);
        await server.WriteAsync([.. TestFrames.Server(TestFrames.OpText, bad), .. TestFrames.Text("""{"msg_type":"heartbeat","id":"msg_hb2","timestamp":"2026-12-08T00:00:30Z","v":4}"""), .. TestFrames.Text(ScriptedServer.SignalJson(101, 4))]);

        Assert.Equal("heartbeat.ack", (await server.ReadJsonAsync()).GetProperty("msg_type").GetString());
        var seen = new List<long>();
        await foreach (C2FeedMessage message in client.ReadAllAsync())
        {
            using (message)
            {
                if (message.Type == C2MessageType.Signal)
                {
                    seen.Add(message.SeqId!.Value);
                }
            }

            if (seen.Count == 3)
            {
                break;
            }
        }

        Assert.Equal([1L, 2, 4], seen);
        if (protocolError is not null)
        {
            C2ProtocolErrorEventArgs error = await NextAsync(errors);
            Assert.Equal(protocolError, error.Reason);
            Assert.Equal(bad, error.RawMessage.ToArray());
        }

        // Events arrive through a pump, in order: a marker (invalid JSON) must be the next one, with no disconnection before it.
        await server.SendAsync("{");
        C2ProtocolErrorEventArgs marker = await NextAsync(errors);
        Assert.Equal("{"u8.ToArray(), marker.RawMessage.ToArray());
        Assert.True(client.IsConnected);
        Assert.Equal(0, Volatile.Read(ref disconnected));
    }

    /// <summary>Adversarial finding: a signal in a binary frame (with invalid UTF-8 inside) was delivered, and printed, as is.</summary>
    [Fact]
    public async Task BinaryMessage_IsAProtocolErrorAndNeverDelivered()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        (C2FeedClient client, ScriptedServer server) = await ConnectedAsync(Options(clock), connector);
        await using TestClock.Scope scope = clock.Owning(client);
        var errors = Collect<C2ProtocolErrorEventArgs>(h => client.ProtocolError += h);
        await SubscribeAsync(client, server, 101);

        byte[] binary = [.. System.Text.Encoding.UTF8.GetBytes(ScriptedServer.SignalJson(101, 1)[..^2]), 0xFF, (byte)'}', (byte)'}'];
        await server.WriteAsync([.. TestFrames.Binary(binary), .. TestFrames.Text(ScriptedServer.SignalJson(101, 2))]);

        C2ProtocolErrorEventArgs error = await NextAsync(errors);
        Assert.Equal("NotText", error.Reason);
        Assert.Equal(binary, error.RawMessage.ToArray());
        using C2FeedMessage next = await ReadOneAsync(client.Partitions[0]);
        Assert.Equal(2, next.SeqId);
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task ConnectAsync_ConnectionConnectedIdIsALoneSurrogate_ConnectsAndReportsTheRawId()
    {
        var clock = new TestClock();
        var connector = new InMemoryConnector(clock);
        var client = new C2FeedClient(Options(clock), null, null, connector.ConnectAsync);
        await using TestClock.Scope scope = clock.Owning(client);
        var connectionId = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Connected += (_, e) => connectionId.TrySetResult(e.ConnectionId);
        Task connect = client.ConnectAsync();
        (ScriptedServer server, _) = await connector.NextAsync();
        await server.AcceptConnectedAsync(@"msg_\ud800");
        await connect.WaitAsync(Bound);

        Assert.True(client.IsConnected);
        Assert.Equal(@"msg_\ud800", await connectionId.Task.WaitAsync(Bound)); // escapes that are no text stay as received
    }

    private static async Task<C2FeedMessage> ReadOneAsync(System.Threading.Channels.ChannelReader<C2FeedMessage> reader)
    {
        while (await reader.WaitToReadAsync().AsTask().WaitAsync(Bound))
        {
            if (reader.TryRead(out C2FeedMessage message))
            {
                return message;
            }
        }

        throw new InvalidOperationException("The feed ended.");
    }
}
