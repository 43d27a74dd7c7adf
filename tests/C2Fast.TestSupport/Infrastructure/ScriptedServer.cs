using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using C2Fast.Handshake;

namespace C2Fast.Tests.Infrastructure;

/// <summary>
/// The server's side of an <see cref="InMemoryTransport"/>: answers the upgrade, writes hand-built frames, and
/// decodes what the client sends. Every read has a bound and fails with a message when it expires.
/// </summary>
internal sealed class ScriptedServer(InMemoryTransport transport)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly IDuplexPipe _pipe = transport.Server;

    public InMemoryTransport Transport => transport;

    /// <summary>Reads the upgrade request and answers 101 with the right accept key.</summary>
    public async Task<string> AcceptAsync()
    {
        string request = await ReadRequestAsync();
        await WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {AcceptFor(KeyOf(request))}\r\n\r\n"));
        return request;
    }

    /// <summary>The <c>Sec-WebSocket-Key</c> of an upgrade request head.</summary>
    public static string KeyOf(string request)
        => request.Split("\r\n").Single(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))[18..].Trim();

    /// <summary>The <c>Sec-WebSocket-Accept</c> for <paramref name="key"/>, computed with the library's own <see cref="AcceptKey"/>.</summary>
    public static string AcceptFor(string key)
    {
        byte[] accept = new byte[AcceptKey.AcceptLength];
        AcceptKey.ComputeAccept(Encoding.ASCII.GetBytes(key), accept);
        return Encoding.ASCII.GetString(accept);
    }

    /// <summary>Accepts the upgrade and sends <c>connection.connected</c>.</summary>
    public async Task AcceptConnectedAsync(string id = "msg_connected")
    {
        await AcceptAsync();
        await SendAsync($$"""{"msg_type":"connection.connected","id":"{{id}}","timestamp":"2026-12-08T00:00:00Z","v":4}""");
    }

    /// <summary>Reads the upgrade request and answers with a rejection.</summary>
    public async Task RejectAsync(int status, string reason, string extraHeaders = "", string body = "")
    {
        await ReadRequestAsync();
        await WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {reason}\r\n{extraHeaders}Content-Length: {body.Length}\r\n\r\n{body}"));
        transport.ServerClose();
    }

    public ValueTask SendAsync(string text) => WriteAsync(TestFrames.Text(text));

    public ValueTask SendHeartbeatAsync() => SendAsync("""{"msg_type":"heartbeat","id":"msg_hb","timestamp":"2026-12-08T00:00:00Z","v":4}""");

    public ValueTask SendSignalAsync(long strategyId, long seqId) => SendAsync(SignalJson(strategyId, seqId));

    /// <summary>A well-formed <c>strategy.signal</c> for <paramref name="strategyId"/> with <paramref name="seqId"/>.</summary>
    public static string SignalJson(long strategyId, long seqId)
        => $$$"""{"msg_type":"strategy.signal","id":"msg_{{{seqId}}}","seq_id":{{{seqId}}},"timestamp":"2026-12-08T00:00:00Z","v":4,"payload":{"strategy_id":{{{strategyId}}},"signal_id":{{{seqId}}},"action":"BTO","symbol":"ESZ6","quantity":1}}""";

    public async ValueTask WriteAsync(byte[] bytes)
    {
        await _pipe.Output.WriteAsync(bytes);
    }

    /// <summary>The next frame the client sent.</summary>
    /// <exception cref="TimeoutException">None arrived within <paramref name="timeout"/> (default <see cref="Timeout"/>).</exception>
    /// <returns>The frame, or null when the client's side ended.</returns>
    public async Task<TestFrame?> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        PipeReader input = _pipe.Input;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No client frame within {timeout ?? Timeout}.");
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            byte[] bytes = buffer.ToArray();
            if (TestFrames.TryDecodeClientFrame(bytes, out TestFrame? frame, out int consumed))
            {
                input.AdvanceTo(buffer.GetPosition(consumed));
                return frame;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>The next text message the client sent, as JSON, skipping control frames.</summary>
    public async Task<JsonElement> ReadJsonAsync(TimeSpan? timeout = null)
    {
        while (true)
        {
            TestFrame frame = await ReadFrameAsync(timeout) ?? throw new InvalidOperationException("The client ended the connection.");
            if (frame.Opcode == TestFrames.OpText)
            {
                return JsonDocument.Parse(frame.Payload).RootElement.Clone();
            }
        }
    }

    /// <summary>Reads the client's next <c>subscription.request</c> and acknowledges it.</summary>
    public async Task<JsonElement> AckNextRequestAsync()
    {
        JsonElement request;
        do
        {
            request = await ReadJsonAsync();
        }
        while (request.GetProperty("msg_type").GetString() != "subscription.request");

        string requestId = request.GetProperty("request_id").GetString()!;
        await SendAsync($$$"""{"msg_type":"subscription.ack","id":"msg_ack","request_id":"{{{requestId}}}","timestamp":"2026-12-08T00:00:00Z","v":4,"payload":{}}""");
        return request;
    }

    /// <summary>Reads the client's upgrade request head (bounded by <see cref="Timeout"/>).</summary>
    public async Task<string> ReadRequestAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        PipeReader input = _pipe.Input;
        while (true)
        {
            ReadResult result = await input.ReadAsync(cts.Token);
            string text = Encoding.ASCII.GetString(result.Buffer.ToArray());
            int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                input.AdvanceTo(result.Buffer.GetPosition(end + 4));
                return text[..(end + 4)];
            }

            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            if (result.IsCompleted)
            {
                throw new InvalidOperationException("The client ended the connection before its upgrade request was complete.");
            }
        }
    }
}
