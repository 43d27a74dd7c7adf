using System.Diagnostics;
using System.Text;
using System.Text.Json;
using C2Fast.Cli.Commands;
using C2Fast.IntegrationTests.Infrastructure;
using C2Fast.Simulator;
using C2Fast.Tests.Infrastructure;

namespace C2Fast.IntegrationTests.Cli;

/// <summary>
/// What an independent adversarial server found against <c>c2fast stream</c>, replayed with the same bytes from a raw
/// Kestrel server: the process's stdout, stderr and exit code. "The prefix" is <c>connection.connected</c>, the
/// subscription ack, signal 1, a heartbeat and signal 2.
/// </summary>
public class StreamAdversarialTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static Task<(int Exit, string[] Lines, string Error)> StreamAsync(RawKestrelServer server, params string[] args)
        => StreamProcessTests.RunStreamAsync(C2SimulatorOptions.DemoApiKey, ["--url", server.Url("/ws").ToString(), "--strategy", "101", .. args]);

    private static byte[] Text(string json) => TestFrames.Text(json);

    private static string Signal(long seq) => ScriptedServer.SignalJson(101, seq);

    private const string Heartbeat = """{"msg_type":"heartbeat","id":"msg_hb","timestamp":"2026-12-08T00:00:00Z","v":4}""";

    /// <summary>Upgrades, says connected, acknowledges the subscription, then sends signal 1, a heartbeat and signal 2.</summary>
    private static async Task PrefixAsync(RawPeer peer)
    {
        await peer.AcceptAsync();
        await peer.WriteAsync(Text("""{"msg_type":"connection.connected","id":"msg_c","timestamp":"2026-12-08T00:00:00Z","v":4}"""));
        string requestId;
        while (true)
        {
            TestFrame frame = await peer.ReadFrameAsync(Timeout) ?? throw new InvalidDataException("The client left before subscribing.");
            using JsonDocument request = JsonDocument.Parse(frame.Payload);
            if (request.RootElement.GetProperty("msg_type").GetString() == "subscription.request")
            {
                requestId = request.RootElement.GetProperty("request_id").GetString()!;
                break;
            }
        }

        await peer.WriteAsync(TestFrames.Concat(
            Text($$$"""{"msg_type":"subscription.ack","id":"msg_a","request_id":"{{{requestId}}}","timestamp":"2026-12-08T00:00:00Z","v":4,"payload":{}}"""),
            Text(Signal(1)),
            Text(Heartbeat),
            Text(Signal(2))));
    }

    private static async Task HoldAsync(RawPeer peer)
    {
        try
        {
            await peer.WaitForEofAsync(Timeout);
        }
        catch (TimeoutException)
        {
            // The client is gone or the test is over; the server just stops holding.
        }
    }

    private static long SeqOf(string line)
    {
        using JsonDocument document = JsonDocument.Parse(line);
        return document.RootElement.GetProperty("seq_id").GetInt64();
    }

    [Fact]
    public async Task Finding1_503WithAHugeChunk_RejectedExit4()
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.WriteAsync("HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n7fffffff\r\nabc\r\n0\r\n\r\n"u8.ToArray());
            await HoldAsync(peer);
        });

        var (exit, lines, error) = await StreamAsync(server);

        Assert.True(exit == StreamCommand.ExitRejected, error);
        Assert.Empty(lines);
        Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"msg_type":"strategy.signal\ud800","id":"x","seq_id":3,"payload":{"strategy_id":101}}""", true)]
    [InlineData("""{"msg_\udfff":"x","msg_type":"strategy.signal","seq_id":3,"payload":{"strategy_id":101}}""", true)]
    [InlineData("""{"msg_type":"error","request_id":"\ud800","payload":{"errors":[{"code":"\udfff","message":"m"}]}}""", false)]
    public async Task Finding2_ALoneSurrogate_IsReportedAndTheStreamCarriesOn(string poisoned, bool protocolError)
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await PrefixAsync(peer);
            await peer.WriteAsync(TestFrames.Concat(Text(poisoned), Text(Heartbeat), Text(Signal(4))));
            await HoldAsync(peer);
        });

        var (exit, lines, error) = await StreamAsync(server, "--max-messages", "3", "--no-reconnect");

        Assert.True(exit == StreamCommand.ExitOk, error);
        Assert.Equal([1L, 2, 4], lines.Select(SeqOf));
        Assert.Equal(protocolError, error.Contains("protocol-error InvalidString", StringComparison.Ordinal));
        Assert.DoesNotContain("reconnecting", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finding3_AFrameTrickledForever_DeclaredDeadAtTheHeartbeatTimeout()
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await PrefixAsync(peer);
            await peer.WriteAsync(new byte[] { 0x81, 0x7E, 0xEA, 0x60 }); // a text frame announcing 60,000 bytes
            try
            {
                for (int i = 0; i < 300; i++)
                {
                    await Task.Delay(100);
                    await peer.WriteAsync("x"u8.ToArray());
                }
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
            {
                // The client gave up on the connection: that is the point.
            }
        });

        var watch = Stopwatch.StartNew();
        var (exit, lines, error) = await StreamAsync(server, "--heartbeat-timeout", "3", "--no-reconnect");

        Assert.True(exit == StreamCommand.ExitNetwork, error);
        Assert.Equal([1L, 2], lines.Select(SeqOf));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}"); // 3 s plus a watchdog tick and process start, not 30 s of trickle
    }

    [Fact]
    public async Task Finding4_EveryConnectionBreaksAfterThePrefix_MaxRetriesEndsItExit5()
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await PrefixAsync(peer);
            await peer.WriteAsync(new byte[] { 0x83, 0x01, (byte)'x' }); // a reserved opcode
            await HoldAsync(peer);
        });

        var (exit, lines, error) = await StreamAsync(server, "--max-retries", "2");

        Assert.True(exit == StreamCommand.ExitProtocol, error);
        Assert.Equal([1L, 2], lines.Select(SeqOf)); // the replays on the later connections are not printed again
        Assert.Equal(3, server.ConnectionCount);   // the first connection and two retries
    }

    [Fact]
    public async Task Finding5_LineBreaksBetweenTokensAndABinarySignal_StdoutStaysOneJsonMessagePerLine()
    {
        byte[] binary = [.. Encoding.UTF8.GetBytes(Signal(3)[..^2]), 0xFF, (byte)'}', (byte)'}'];
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await PrefixAsync(peer);
            await peer.WriteAsync(TestFrames.Concat(
                TestFrames.Binary(binary),
                Text("{\"msg_type\":\"strategy.signal\",\n\"id\":\"msg_s3\",\"seq_id\":3,\"payload\":{\"strategy_id\":101,\"symbol\":\"AAPL\"}}"),
                Text(Signal(4) + "\n")));
            await HoldAsync(peer);
        });

        var (exit, lines, error) = await StreamAsync(server, "--max-messages", "4", "--no-reconnect");

        Assert.True(exit == StreamCommand.ExitOk, error);
        Assert.Equal([1L, 2, 3, 4], lines.Select(SeqOf)); // each line parses alone: no split line, no empty line
        Assert.Contains("protocol-error NotText", error, StringComparison.Ordinal);
        Assert.DoesNotContain("\uFFFD", string.Join('\n', lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finding6_403_AuthorizationRejectedExit3()
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.WriteAsync("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
            await HoldAsync(peer);
        });

        var (exit, _, error) = await StreamAsync(server);

        Assert.True(exit == StreamCommand.ExitAuthentication, error);
    }

    [Fact]
    public async Task Finding6_429WithoutLengthOnAHeldConnection_ReportedAtOnceExit4()
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.WriteAsync("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n\r\n"u8.ToArray());
            await HoldAsync(peer);
        });

        var watch = Stopwatch.StartNew();
        var (exit, _, error) = await StreamAsync(server, "--no-reconnect");

        Assert.True(exit == StreamCommand.ExitRejected, error);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"took {watch.Elapsed}"); // not the 10 s connect timeout
    }

    [Fact]
    public async Task Finding6_ACleanClose1000UnderNoReconnect_Exit0()
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await PrefixAsync(peer);
            await peer.WriteAsync(TestFrames.Close(1000, "bye"));
            await HoldAsync(peer);
        });

        var (exit, lines, error) = await StreamAsync(server, "--no-reconnect");

        Assert.True(exit == StreamCommand.ExitOk, error);
        Assert.Equal([1L, 2], lines.Select(SeqOf));
    }

    [Fact]
    public async Task Finding6_DurationEndsBeforeTheUpgradeCompletes_Exit6()
    {
        await using var server = await RawKestrelServer.StartAsync(HoldAsync); // reads the request, never answers

        var (exit, lines, error) = await StreamAsync(server, "--duration", "1");

        Assert.True(exit == StreamCommand.ExitNetwork, error);
        Assert.Empty(lines);
        Assert.Contains("stopped before a connection", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finding7_100ContinueBeforeThe101_Streams()
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray());
            await PrefixAsync(peer);
            await HoldAsync(peer);
        });

        var (exit, lines, error) = await StreamAsync(server, "--max-messages", "2");

        Assert.True(exit == StreamCommand.ExitOk, error);
        Assert.Equal([1L, 2], lines.Select(SeqOf));
    }
}
