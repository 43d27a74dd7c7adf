using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using C2Fast.Simulator;

namespace C2Fast.IntegrationTests.Simulator;

/// <summary>A test client on .NET's own <see cref="ClientWebSocket"/> (independent of C2Fast's framing).</summary>
internal sealed class SimTestClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly byte[] _buffer = new byte[1 << 20];

    private SimTestClient(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    /// <summary>The close status seen by <see cref="ReceiveAsync"/> when the server closed.</summary>
    public WebSocketCloseStatus? CloseStatus => Socket.CloseStatus;

    public static async Task<SimTestClient> ConnectAsync(C2Simulator simulator, string? key = C2SimulatorOptions.DemoApiKey, bool readConnected = true)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (key is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + key);
        }

        using var cts = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(simulator.Uri!, cts.Token);
        var client = new SimTestClient(socket);
        if (readConnected)
        {
            var first = await client.ReceiveAsync();
            Assert.Equal("connection.connected", first.GetProperty("msg_type").GetString());
        }

        return client;
    }

    /// <summary>The next text message as JSON; throws on close or timeout.</summary>
    public async Task<JsonElement> ReceiveAsync(TimeSpan? timeout = null)
    {
        var text = await ReceiveTextAsync(timeout);
        return text is null ? throw new WebSocketException($"Closed: {Socket.CloseStatus} {Socket.CloseStatusDescription}") : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The next text message, or null when the server closed (the close is then answered).</summary>
    public async Task<string?> ReceiveTextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var count = 0;
        while (true)
        {
            var result = await Socket.ReceiveAsync(_buffer.AsMemory(count), cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                // Answer the close like a well-behaved client (RFC 6455 §5.5.1), echoing the code.
                await Socket.CloseOutputAsync(Socket.CloseStatus ?? WebSocketCloseStatus.Empty, null, cts.Token);
                return null;
            }

            count += result.Count;
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(_buffer, 0, count);
            }
        }
    }

    /// <summary>The next message that is not a heartbeat, within <paramref name="timeout"/> in all (heartbeats do not extend it).</summary>
    public async Task<JsonElement> ReceiveSkippingHeartbeatsAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            Assert.True(remaining > TimeSpan.Zero, $"Only heartbeats for {limit.TotalSeconds:0.#} s");
            var message = await ReceiveAsync(remaining);
            if (message.GetProperty("msg_type").GetString() != "heartbeat")
            {
                return message;
            }
        }
    }

    /// <summary>Reads until the server closes; returns the messages seen before.</summary>
    public async Task<List<JsonElement>> ReceiveUntilCloseAsync(TimeSpan? timeout = null)
    {
        var messages = new List<JsonElement>();
        while (await ReceiveTextAsync(timeout) is { } text)
        {
            messages.Add(JsonDocument.Parse(text).RootElement.Clone());
        }

        return messages;
    }

    /// <summary>Asserts nothing but heartbeats arrives within <paramref name="window"/>.</summary>
    public async Task AssertNothingButHeartbeatsAsync(TimeSpan window)
    {
        using var cts = new CancellationTokenSource(window);
        try
        {
            while (true)
            {
                var result = await Socket.ReceiveAsync(_buffer.AsMemory(), cts.Token);
                var text = Encoding.UTF8.GetString(_buffer, 0, result.Count);
                Assert.Contains("\"heartbeat\"", text, StringComparison.Ordinal);
            }
        }
        catch (OperationCanceledException)
        {
            // Nothing else arrived: good. (ClientWebSocket aborts on cancellation; the test ends the client here.)
        }
    }

    public Task SendTextAsync(string text) =>
        Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendJsonAsync(object message) => SendTextAsync(JsonSerializer.Serialize(message));

    public Task SubscribeAsync(long strategyId, string requestId, string channel = "strategy.signal", object? resumeFrom = null, string action = "subscribe")
    {
        var payload = new Dictionary<string, object> { ["action"] = action, ["channel"] = channel, ["strategy_id"] = strategyId };
        if (resumeFrom is not null)
        {
            payload["resume_from"] = resumeFrom;
        }

        return SendJsonAsync(new Dictionary<string, object>
        {
            ["msg_type"] = "subscription.request",
            ["request_id"] = requestId,
            ["timestamp"] = Now(),
            ["payload"] = payload,
        });
    }

    public Task AckHeartbeatAsync() => SendJsonAsync(new { msg_type = "heartbeat.ack", timestamp = Now() });

    public static string Now(TimeSpan offset = default) => (DateTime.UtcNow + offset).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // Already gone.
            }
        }

        Socket.Dispose();
    }
}

/// <summary>Options that keep tests fast: short shutdown and close timeouts.</summary>
internal static class SimOptions
{
    public static C2SimulatorOptions Fast(C2SimulatorOptions? options = null) => (options ?? new C2SimulatorOptions()) with
    {
        ShutdownTimeout = TimeSpan.FromMilliseconds(300),
        CloseHandshakeTimeout = TimeSpan.FromMilliseconds(500),
    };

    public static Task<C2Simulator> StartAsync(C2SimulatorOptions? options = null) => C2Simulator.StartNewAsync(Fast(options));

    /// <summary>Polls until <paramref name="condition"/> holds (or fails the test after 5 s).</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + SimTestClient.DefaultTimeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for: " + what);
            await Task.Delay(10);
        }
    }
}
