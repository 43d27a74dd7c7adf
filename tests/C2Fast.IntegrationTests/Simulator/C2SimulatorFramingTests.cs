using System.Buffers.Binary;
using System.Text;
using C2Fast.Simulator;

namespace C2Fast.IntegrationTests.Simulator;

/// <summary>Hand-built client frames over a raw socket: what the simulator answers at the RFC 6455 level.</summary>
public class C2SimulatorFramingTests
{
    // A test-side encoder, written independently of the simulator's: FIN + opcode, MASK + length, mask, masked payload.
    private static byte[] ClientFrame(byte opcode, byte[] payload, bool fin = true, bool masked = true)
    {
        var frame = new List<byte> { (byte)((fin ? 0x80 : 0) | opcode) };
        byte maskBit = masked ? (byte)0x80 : (byte)0;
        if (payload.Length <= 125)
        {
            frame.Add((byte)(maskBit | payload.Length));
        }
        else
        {
            frame.Add((byte)(maskBit | 126));
            frame.Add((byte)(payload.Length >> 8));
            frame.Add((byte)payload.Length);
        }

        byte[] mask = [0x37, 0xFA, 0x21, 0x3D];
        if (masked)
        {
            frame.AddRange(mask);
        }

        frame.AddRange(payload.Select((b, i) => masked ? (byte)(b ^ mask[i % 4]) : b));
        return [.. frame];
    }

    private static async Task<(byte Opcode, byte[] Payload)> ReadServerFrameAsync(Stream stream)
    {
        using var cts = new CancellationTokenSource(SimTestClient.DefaultTimeout);
        var head = new byte[2];
        await stream.ReadExactlyAsync(head, cts.Token);
        Assert.Equal(0, head[1] & 0x80); // §5.1: server frames are never masked
        var length = head[1] & 0x7F;
        if (length == 126)
        {
            var extended = new byte[2];
            await stream.ReadExactlyAsync(extended, cts.Token);
            length = BinaryPrimitives.ReadUInt16BigEndian(extended);
        }

        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, cts.Token);
        return ((byte)(head[0] & 0x0F), payload);
    }

    private static async Task<RawWebSocket> ConnectAsync(C2Simulator sim)
    {
        var raw = await RawWebSocket.ConnectAsync(sim.Uri!, C2SimulatorOptions.DemoApiKey);
        var (opcode, payload) = await ReadServerFrameAsync(raw.Stream);
        Assert.Equal(0x1, opcode);
        Assert.Contains("connection.connected", Encoding.UTF8.GetString(payload), StringComparison.Ordinal);
        return raw;
    }

    [Fact]
    public async Task Ping_WithPayload_PongEchoesIt()
    {
        await using var sim = await SimOptions.StartAsync();
        using var raw = await ConnectAsync(sim);

        await raw.Stream.WriteAsync(ClientFrame(0x9, "are you there?"u8.ToArray()));
        var (opcode, payload) = await ReadServerFrameAsync(raw.Stream);

        Assert.Equal(0xA, opcode);
        Assert.Equal("are you there?", Encoding.UTF8.GetString(payload));
    }

    [Fact]
    public async Task PingInsideFragmentedMessage_AnsweredAndMessageStillAssembled()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { Strategies = [101] });
        using var raw = await ConnectAsync(sim);
        var json = Encoding.UTF8.GetBytes(
            $$$"""{"msg_type":"subscription.request","request_id":"f","timestamp":"{{{SimTestClient.Now()}}}","payload":{"action":"subscribe","channel":"strategy.signal","strategy_id":101}}""");

        await raw.Stream.WriteAsync(ClientFrame(0x1, json[..20], fin: false));
        await raw.Stream.WriteAsync(ClientFrame(0x9, [1, 2, 3]));
        await raw.Stream.WriteAsync(ClientFrame(0x0, json[20..], fin: true));
        var pong = await ReadServerFrameAsync(raw.Stream);
        var ack = await ReadServerFrameAsync(raw.Stream);

        Assert.Equal(0xA, pong.Opcode);
        Assert.Equal([1, 2, 3], pong.Payload);
        Assert.Contains("\"request_id\":\"f\"", Encoding.UTF8.GetString(ack.Payload), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x81, 0x02, (byte)'h', (byte)'i' }, 1002)] // unmasked client frame (§5.1)
    [InlineData(new byte[] { 0xC1, 0x80, 1, 2, 3, 4 }, 1002)] // RSV1 without an extension (§5.2)
    [InlineData(new byte[] { 0x80, 0x80, 1, 2, 3, 4 }, 1002)] // continuation with nothing to continue (§5.4)
    [InlineData(new byte[] { 0x88, 0x81, 0, 0, 0, 0, 0x03 }, 1002)] // close with a 1-byte body (§5.5.1)
    [InlineData(new byte[] { 0x88, 0x82, 0, 0, 0, 0, 0x03, 0xEC }, 1002)] // close code 1004 is reserved (§7.4.1)
    [InlineData(new byte[] { 0x81, 0x82, 0, 0, 0, 0, 0xC3, 0x28 }, 1007)] // invalid UTF-8 text (§8.1)
    public async Task ProtocolViolation_ClosedWithRfcCode(byte[] frame, int expectedCode)
    {
        await using var sim = await SimOptions.StartAsync();
        using var raw = await ConnectAsync(sim);

        await raw.Stream.WriteAsync(frame);
        var (opcode, payload) = await ReadServerFrameAsync(raw.Stream);

        Assert.Equal(0x8, opcode);
        Assert.Equal(expectedCode, BinaryPrimitives.ReadUInt16BigEndian(payload));
        await SimOptions.EventuallyAsync(() => sim.GetCounters().ActiveConnections == 0, "connection ended");
    }

    [Fact]
    public async Task ClientClose_EchoedWithSameCodeThenTcpClosed()
    {
        await using var sim = await SimOptions.StartAsync();
        using var raw = await ConnectAsync(sim);

        await raw.Stream.WriteAsync(ClientFrame(0x8, [0x0F, 0xA0, (byte)'b', (byte)'y', (byte)'e'])); // 4000 "bye"
        var (opcode, payload) = await ReadServerFrameAsync(raw.Stream);
        var eof = await raw.Stream.ReadAsync(new byte[1]);

        Assert.Equal(0x8, opcode);
        Assert.Equal(4000, BinaryPrimitives.ReadUInt16BigEndian(payload));
        Assert.Equal(0, eof); // the server closes TCP after the handshake
        Assert.Equal(1, sim.GetCounters().ClientClosesByCode[4000]);
    }
}
