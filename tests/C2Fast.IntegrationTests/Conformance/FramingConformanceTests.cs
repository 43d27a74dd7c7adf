using System.Text;
using C2Fast.IntegrationTests.Infrastructure;
using C2Fast.Tests.Infrastructure;

namespace C2Fast.IntegrationTests.Conformance;

/// <summary>
/// The client cases of the standard conformance suite (see shared/peers.md), against a raw Kestrel
/// peer that writes hand-built frames, often one byte per TCP write.
/// </summary>
public class FramingConformanceTests
{
    private static byte[] Pattern(int size)
    {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++)
        {
            bytes[i] = (byte)('a' + (i % 26));
        }

        return bytes;
    }

    private static void AssertFailed(ScenarioResult result, C2FeedError error, int closeCode)
    {
        Assert.NotNull(result.Failure);
        Assert.Equal(error, result.Failure.Error);
        Assert.Equal(closeCode, result.Failure.CloseStatus);
        Assert.NotNull(result.ClientClose);
        Assert.Equal(closeCode, result.ClientClose.CloseCode);
    }

    // ---- framing: sizes ----

    [Theory]
    [InlineData(0, true)]
    [InlineData(125, true)]
    [InlineData(126, true)]
    [InlineData(127, false)]
    [InlineData(128, true)]
    [InlineData(65535, false)]
    [InlineData(65536, true)]
    public async Task Sizes_TextAndBinary_DeliveredIntact(int size, bool text)
    {
        byte[] payload = Pattern(size);
        ScenarioResult result = await ClientHarness.RunAsync(async peer =>
        {
            await peer.WriteAsync(TestFrames.Server(text ? TestFrames.OpText : TestFrames.OpBinary, payload));
            await peer.WriteAsync(TestFrames.Close(1000));
        });

        Assert.Null(result.Failure);
        ReceivedMessage message = Assert.Single(result.Messages);
        Assert.Equal(text, message.IsText);
        Assert.Equal(payload, message.Payload);
        Assert.Equal(1000, result.Closed!.Value.Code);
        Assert.True(result.Closed.Value.ServerInitiated);
        Assert.Equal(1000, result.ClientClose!.CloseCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sizes_65536In997ByteChunks_DeliveredIntact(bool tls)
    {
        byte[] payload = Pattern(65536);
        ScenarioResult result = await ClientHarness.RunAsync(async peer =>
        {
            await peer.WriteChunkedAsync(TestFrames.Server(TestFrames.OpBinary, payload), 997);
            await peer.WriteAsync(TestFrames.Close(1000));
        }, tls);

        Assert.Equal(payload, Assert.Single(result.Messages).Payload);
        Assert.Equal(1000, result.Closed!.Value.Code);
    }

    [Fact]
    public async Task FramesRightAfter101_InSameWrite_Delivered()
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.SendHandshakeAsync(HandshakeResponse.Accept(peer.Request.SecWebSocketKey!).WithTrailingBytes(TestFrames.Concat(TestFrames.Text("first"), TestFrames.Close(1000))));
            await peer.ReadCloseAsync(ClientHarness.Timeout);
        });
        await using var connection = await TestConnection.ConnectAsync(ClientHarness.Options(server.Url("/ws")));
        var handler = new RecordingHandler();
        var closed = await connection.RunAsync(handler).WaitAsync(ClientHarness.Timeout);
        Assert.Equal("first", Encoding.UTF8.GetString(Assert.Single(handler.Messages).Payload));
        Assert.Equal(1000, closed.Code);
        await server.WaitForHandlersAsync(ClientHarness.Timeout);
    }

    // ---- ping / pong ----

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(125)]
    public async Task Ping_Bytewise_PongWithIdenticalPayload(int size)
    {
        byte[] payload = new byte[size];
        new Random(size).NextBytes(payload);
        ScenarioResult result = await ClientHarness.RunAsync(async peer =>
        {
            await peer.WriteBytewiseAsync(TestFrames.Ping(payload));
            TestFrame? pong = await peer.ReadFrameAsync(ClientHarness.Timeout);
            Assert.Equal(TestFrames.OpPong, pong!.Opcode);
            Assert.Equal(payload, pong.Payload);
            Assert.True(pong.Masked);
            await peer.WriteAsync(TestFrames.Close(1000));
        });

        Assert.Null(result.Failure);
        Assert.Equal(1000, result.Closed!.Value.Code);
    }

    [Fact]
    public async Task Ping_TenInARow_TenPongsInOrder()
    {
        ScenarioResult result = await ClientHarness.RunAsync(async peer =>
        {
            await peer.WriteAsync(TestFrames.Concat(Enumerable.Range(0, 10).Select(i => TestFrames.Ping($"ping-{i}")).ToArray()));
            await peer.WriteAsync(TestFrames.Close(1000));
        });

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"ping-{i}"), result.Pongs.Select(p => p.PayloadText));
    }

    [Fact]
    public async Task Pong_Unsolicited_Ignored()
    {
        ScenarioResult result = await ClientHarness.RunAsync(async peer =>
        {
            await peer.WriteAsync(TestFrames.Concat(TestFrames.Pong("unsolicited"u8), TestFrames.Text("after"), TestFrames.Close(1000)));
        });

        Assert.Null(result.Failure);
        Assert.Equal("after", Encoding.UTF8.GetString(Assert.Single(result.Messages).Payload));
        Assert.Empty(result.Pongs);
    }

    [Fact]
    public async Task Ping_126Bytes_Fails1002()
    {
        ScenarioResult result = await ClientHarness.RunAsync(peer => peer.WriteAsync(TestFrames.Server(TestFrames.OpPing, new byte[126])).AsTask());
        AssertFailed(result, C2FeedError.ProtocolViolation, 1002);
        Assert.Empty(result.Pongs);
    }

    // ---- reserved bits and opcodes ----

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(7)]
    public async Task ReservedBits_AfterValidMessage_MessageDeliveredThenFails1002(int rsv)
    {
        ScenarioResult result = await ClientHarness.RunAsync(peer => peer.WriteBytewiseAsync(
            TestFrames.Concat(TestFrames.Text("valid"), TestFrames.Server(TestFrames.OpText, "bad"u8, rsv: rsv), TestFrames.Ping("late"))));

        Assert.Equal("valid", Encoding.UTF8.GetString(Assert.Single(result.Messages).Payload));
        AssertFailed(result, C2FeedError.ProtocolViolation, 1002);
        Assert.Empty(result.Pongs);
    }

    [Fact]
    public async Task ReservedBits_OnPing_Fails1002WithoutPong()
    {
        ScenarioResult result = await ClientHarness.RunAsync(peer => peer.WriteAsync(TestFrames.Server(TestFrames.OpPing, "x"u8, rsv: 4)).AsTask());
        AssertFailed(result, C2FeedError.ProtocolViolation, 1002);
        Assert.Empty(result.Pongs);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(15)]
    public async Task ReservedOpcode_Fails1002(int opcode)
    {
        ScenarioResult result = await ClientHarness.RunAsync(peer => peer.WriteAsync(TestFrames.Server(opcode, "x"u8)).AsTask());
        AssertFailed(result, C2FeedError.ProtocolViolation, 1002);
    }

    // ---- fragmentation ----

    [Theory]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(5, true)]
    public async Task Fragments_WithPingsBetween_OneMessageAndPongsBeforeItCompletes(int parts, bool bytewise)
    {
        string text = "fragmented message with κόσμε and 😀 inside";
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        int[] sizes = Enumerable.Range(0, parts).Select(i => (bytes.Length / parts) + (i == parts - 1 ? bytes.Length % parts : 0)).ToArray();
        byte[][] fragments = TestFrames.Fragments(TestFrames.OpText, bytes, sizes);

        ScenarioResult result = await ClientHarness.RunAsync(async peer =>
        {
            for (int i = 0; i < fragments.Length; i++)
            {
                if (bytewise)
                {
                    await peer.WriteBytewiseAsync(fragments[i]);
                }
                else
                {
                    await peer.WriteAsync(fragments[i]);
                }

                if (i < fragments.Length - 1)
                {
                    // The pong must come back while the message is still open.
                    await peer.WriteAsync(TestFrames.Ping($"p{i}"));
                    TestFrame? pong = await peer.ReadFrameAsync(ClientHarness.Timeout);
                    Assert.Equal(TestFrames.OpPong, pong!.Opcode);
                    Assert.Equal($"p{i}", pong.PayloadText);
                }
            }

            await peer.WriteAsync(TestFrames.Close(1000));
        });

        Assert.Null(result.Failure);
        Assert.Equal(text, Encoding.UTF8.GetString(Assert.Single(result.Messages).Payload));
    }

    [Fact]
    public async Task Fragments_Binary_OneMessage()
    {
        byte[] payload = Pattern(70000);
        ScenarioResult result = await ClientHarness.RunAsync(async peer =>
        {
            await peer.WriteAsync(TestFrames.Concat(TestFrames.Fragments(TestFrames.OpBinary, payload, 1, 65535, 4464)));
            await peer.WriteAsync(TestFrames.Close(1000));
        });

        ReceivedMessage message = Assert.Single(result.Messages);
        Assert.False(message.IsText);
        Assert.Equal(payload, message.Payload);
    }

    [Fact]
    public async Task Fragments_FragmentedPing_Fails1002()
    {
        ScenarioResult result = await ClientHarness.RunAsync(peer => peer.WriteAsync(TestFrames.Server(TestFrames.OpPing, "a"u8, fin: false)).AsTask());
        AssertFailed(result, C2FeedError.ProtocolViolation, 1002);
    }

    [Fact]
    public async Task Fragments_ContinuationWithNothingToContinue_Fails1002()
    {
        ScenarioResult result = await ClientHarness.RunAsync(peer => peer.WriteAsync(TestFrames.Continuation("orphan"u8, fin: true)).AsTask());
        AssertFailed(result, C2FeedError.ProtocolViolation, 1002);
    }

    [Fact]
    public async Task Fragments_NewTextInsideOpenMessage_Fails1002()
    {
        ScenarioResult result = await ClientHarness.RunAsync(peer => peer.WriteAsync(TestFrames.Concat(TestFrames.Text("first", fin: false), TestFrames.Text("second"))).AsTask());
        AssertFailed(result, C2FeedError.ProtocolViolation, 1002);
        Assert.Empty(result.Messages);
    }

    // ---- UTF-8 ----

    [Fact]
    public async Task Utf8_CodePointSplitAcrossFragments_Delivered()
    {
        byte[] euro = Encoding.UTF8.GetBytes("a€b😀c");
        ScenarioResult result = await ClientHarness.RunAsync(async peer =>
        {
            // Fragments of 1 byte each: every multi-byte code point is split.
            await peer.WriteAsync(TestFrames.Concat(TestFrames.Fragments(TestFrames.OpText, euro, Enumerable.Repeat(1, euro.Length).ToArray())));
            await peer.WriteAsync(TestFrames.Close(1000));
        });

        Assert.Equal("a€b😀c", Encoding.UTF8.GetString(Assert.Single(result.Messages).Payload));
    }

    [Theory]
    [InlineData(new byte[] { 0xC0, 0xAF })]              // overlong
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]        // surrogate
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })]  // above U+10FFFF
    [InlineData(new byte[] { 0x61, 0x80 })]              // stray continuation
    [InlineData(new byte[] { 0x61, 0xE2, 0x82 })]        // truncated at the end
    public async Task Utf8_InvalidText_Fails1007(byte[] payload)
    {
        ScenarioResult result = await ClientHarness.RunAsync(peer => peer.WriteAsync(TestFrames.Server(TestFrames.OpText, payload)).AsTask());
        AssertFailed(result, C2FeedError.InvalidUtf8, 1007);
        Assert.Empty(result.Messages);
    }

    [Fact]
    public async Task Utf8_InvalidByteInSecondOfThreeFragments_FailsBeforeThirdArrives()
    {
        ScenarioResult result = await ClientHarness.RunAsync(async peer =>
        {
            await peer.WriteAsync(TestFrames.Concat(
                TestFrames.Server(TestFrames.OpText, "valid start "u8, fin: false),
                TestFrames.Server(TestFrames.OpContinuation, [0x61, 0xF5, 0x61], fin: false)));

            // The third fragment is never sent: the client must fail on the second alone.
        });

        AssertFailed(result, C2FeedError.InvalidUtf8, 1007);
    }

    [Fact]
    public async Task Utf8_Noncharacters_Delivered()
    {
        ScenarioResult result = await ClientHarness.RunAsync(async peer =>
        {
            await peer.WriteAsync(TestFrames.Server(TestFrames.OpText, [0xEF, 0xBF, 0xBE, 0xEF, 0xBF, 0xBF])); // U+FFFE U+FFFF
            await peer.WriteAsync(TestFrames.Close(1000));
        });

        Assert.Null(result.Failure);
        Assert.Single(result.Messages);
    }

    // ---- close ----

    [Theory]
    [InlineData(1000, "")]
    [InlineData(1001, "going away")]
    [InlineData(1003, "")]
    [InlineData(1007, "")]
    [InlineData(1008, "policy")]
    [InlineData(1011, "")]
    [InlineData(3000, "app")]
    [InlineData(4999, "last")]
    public async Task Close_ValidCode_EchoedOnceThenNothingMore(int code, string reason)
    {
        ScenarioResult result = await ClientHarness.RunAsync(peer => peer.WriteAsync(TestFrames.Concat(
            TestFrames.Close(code, reason), TestFrames.Text("after close"), TestFrames.Ping("after close"))).AsTask(), echoClose: false);

        Assert.Null(result.Failure);
        Assert.Equal(code, result.Closed!.Value.Code);
        Assert.Equal(reason, result.Closed.Value.Reason);
        Assert.Empty(result.Messages);
        Assert.Equal(code, Assert.Single(result.ClientFrames).CloseCode);
    }

    [Fact]
    public async Task Close_EmptyPayload_EchoedEmpty()
    {
        ScenarioResult result = await ClientHarness.RunAsync(peer => peer.WriteAsync(TestFrames.Close()).AsTask(), echoClose: false);
        Assert.Equal(1005, result.Closed!.Value.Code);
        Assert.Empty(Assert.Single(result.ClientFrames).Payload);
    }

    [Fact]
    public async Task Close_123ByteReason_Accepted()
    {
        string reason = new('r', 123);
        ScenarioResult result = await ClientHarness.RunAsync(peer => peer.WriteAsync(TestFrames.Close(1000, reason)).AsTask(), echoClose: false);
        Assert.Equal(reason, result.Closed!.Value.Reason);
    }

    [Fact]
    public async Task Close_124ByteReason_Fails1002()
    {
        ScenarioResult result = await ClientHarness.RunAsync(peer => peer.WriteAsync(TestFrames.Close(1000, new string('r', 124))).AsTask(), echoClose: false);
        AssertFailed(result, C2FeedError.ProtocolViolation, 1002);
    }

    [Fact]
    public async Task Close_OneBytePayload_Fails1002()
    {
        ScenarioResult result = await ClientHarness.RunAsync(peer => peer.WriteAsync(TestFrames.Server(TestFrames.OpClose, [0x03])).AsTask(), echoClose: false);
        AssertFailed(result, C2FeedError.ProtocolViolation, 1002);
    }

    [Fact]
    public async Task Close_InvalidUtf8Reason_Fails1007()
    {
        ScenarioResult result = await ClientHarness.RunAsync(peer => peer.WriteAsync(TestFrames.Server(TestFrames.OpClose, [0x03, 0xE8, 0xC0, 0xAF])).AsTask(), echoClose: false);
        AssertFailed(result, C2FeedError.InvalidUtf8, 1007);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1004)]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1016)]
    [InlineData(1100)]
    [InlineData(2000)]
    [InlineData(2999)]
    [InlineData(5000)]
    [InlineData(65535)]
    public async Task Close_InvalidCode_Fails1002(int code)
    {
        byte[] payload = [(byte)(code >> 8), (byte)code];
        ScenarioResult result = await ClientHarness.RunAsync(peer => peer.WriteAsync(TestFrames.Server(TestFrames.OpClose, payload)).AsTask(), echoClose: false);
        AssertFailed(result, C2FeedError.ProtocolViolation, 1002);
    }

    [Fact]
    public async Task Close_ClientInitiated_WaitsForServerCloseThenEnds()
    {
        TestFrame? clientClose = null;
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.AcceptAsync();
            clientClose = await peer.ReadCloseAsync(ClientHarness.Timeout);
            await peer.WriteAsync(TestFrames.Close(1000, "bye"));
        });
        await using var connection = await TestConnection.ConnectAsync(ClientHarness.Options(server.Url("/ws")));
        Task<CloseResult> loop = connection.RunAsync(new RecordingHandler());

        var result = await connection.CloseAsync(1000, "done").WaitAsync(ClientHarness.Timeout);

        Assert.Equal(1000, result.Code);
        Assert.Equal("bye", result.Reason);
        Assert.False(result.ServerInitiated);
        Assert.Equal(1000, clientClose!.CloseCode);
        Assert.Equal("done", clientClose.CloseReason);
        Assert.Equal(result.Code, (await loop.WaitAsync(ClientHarness.Timeout)).Code); // the loop's own task ends on a continuation after the close
        await server.WaitForHandlersAsync(ClientHarness.Timeout);
        await Assert.ThrowsAsync<C2FeedException>(async () => await connection.SendAsync("late"u8.ToArray(), isText: true));
    }

    [Fact]
    public async Task Close_ClientInitiatedServerSilent_DropsTcpAfterCloseTimeout()
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.AcceptAsync();
            await peer.ReadCloseAsync(ClientHarness.Timeout);
            await peer.WaitForEofAsync(ClientHarness.Timeout);
        });
        await using var connection = await TestConnection.ConnectAsync(ClientHarness.Options(server.Url("/ws")) with { Connection = ClientHarness.Options(server.Url("/ws")).Connection with { CloseTimeout = TimeSpan.FromMilliseconds(300) } });
        _ = connection.RunAsync(new RecordingHandler());

        var result = await connection.CloseAsync().WaitAsync(ClientHarness.Timeout);

        Assert.Equal(1006, result.Code);
        await server.WaitForHandlersAsync(ClientHarness.Timeout);
    }

    // ---- limits ----

    [Fact]
    public async Task Limits_MessageAboveMaximum_Fails1009FromHeaderAlone()
    {
        ScenarioResult result = await ClientHarness.RunAsync(
            peer => peer.WriteAsync(TestFrames.Server(TestFrames.OpBinary, [], declaredLength: 2UL * 1024 * 1024)).AsTask(),
            maxMessageSize: 1024 * 1024);
        AssertFailed(result, C2FeedError.MessageTooBig, 1009);
    }

    [Fact]
    public async Task Limits_FragmentsAddingUpAboveMaximum_Fails1009()
    {
        ScenarioResult result = await ClientHarness.RunAsync(
            peer => peer.WriteAsync(TestFrames.Concat(TestFrames.Fragments(TestFrames.OpBinary, new byte[3000], 1000, 1000, 1000))).AsTask(),
            maxMessageSize: 2500);
        AssertFailed(result, C2FeedError.MessageTooBig, 1009);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(4096)]
    [InlineData(65536)]
    [InlineData(4 * 1024 * 1024)]
    public async Task Limits_4MiBInFramesOfVariousSizes_Delivered(int frameSize)
    {
        byte[] payload = Pattern(4 * 1024 * 1024);
        int frames = payload.Length / frameSize;
        ScenarioResult result = await ClientHarness.RunAsync(async peer =>
        {
            await peer.WriteAsync(TestFrames.Concat(TestFrames.Fragments(TestFrames.OpBinary, payload, Enumerable.Repeat(frameSize, frames).ToArray())));
            await peer.WriteAsync(TestFrames.Close(1000));
        });

        Assert.Equal(payload, Assert.Single(result.Messages).Payload);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(2048)]
    public async Task Limits_1MiBInSmallTcpChunks_Delivered(int chunk)
    {
        byte[] payload = Pattern(1024 * 1024);
        ScenarioResult result = await ClientHarness.RunAsync(async peer =>
        {
            await peer.WriteChunkedAsync(TestFrames.Server(TestFrames.OpText, payload), chunk);
            await peer.WriteAsync(TestFrames.Close(1000));
        });

        Assert.Equal(payload, Assert.Single(result.Messages).Payload);
    }

    // ---- masking ----

    [Fact]
    public async Task Masking_MaskedServerFrame_Fails1002()
    {
        ScenarioResult result = await ClientHarness.RunAsync(peer => peer.WriteAsync(TestFrames.Server(TestFrames.OpText, "hi"u8, mask: [1, 2, 3, 4])).AsTask());
        AssertFailed(result, C2FeedError.ProtocolViolation, 1002);
    }

    [Fact]
    public async Task Masking_ClientFrames_AlwaysMaskedWithFreshKeys()
    {
        var frames = new List<TestFrame>();
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.AcceptAsync();
            for (int i = 0; i < 20; i++)
            {
                frames.Add((await peer.ReadFrameAsync(ClientHarness.Timeout))!);
            }

            await peer.WriteAsync(TestFrames.Close(1000));
            await peer.ReadCloseAsync(ClientHarness.Timeout);
        });
        await using var connection = await TestConnection.ConnectAsync(ClientHarness.Options(server.Url("/ws")));
        Task<CloseResult> loop = connection.RunAsync(new RecordingHandler());
        for (int i = 0; i < 20; i++)
        {
            await connection.SendAsync(Encoding.UTF8.GetBytes($"message {i}"), isText: true);
        }

        await loop.WaitAsync(ClientHarness.Timeout);
        await server.WaitForHandlersAsync(ClientHarness.Timeout);

        Assert.All(frames, f => Assert.True(f.Masked));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"message {i}"), frames.Select(f => f.PayloadText));
        Assert.True(frames.Select(f => Convert.ToHexString(f.MaskKey!)).Distinct().Count() >= 19);
    }
}
