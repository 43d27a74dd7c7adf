namespace C2Fast.Tests.Infrastructure;

/// <summary>Checks the test-side frame encoder/decoder against RFC 6455 §5.7's examples and by hand-written bytes.</summary>
public sealed class TestFramesTests
{
    private static readonly byte[] Hello = "Hello"u8.ToArray();

    [Fact]
    public void Server_UnmaskedText_MatchesRfcExample()
    {
        // RFC 6455 §5.7: a single-frame unmasked text message "Hello".
        Assert.Equal(new byte[] { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f }, TestFrames.Text("Hello"));
    }

    [Fact]
    public void Client_MaskedText_MatchesRfcExample()
    {
        // RFC 6455 §5.7: a single-frame masked text message "Hello" with key 37 fa 21 3d.
        var expected = new byte[] { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
        Assert.Equal(expected, TestFrames.Client(TestFrames.OpText, Hello, [0x37, 0xfa, 0x21, 0x3d]));
    }

    [Fact]
    public void Fragments_HelloInTwo_MatchesRfcExample()
    {
        // RFC 6455 §5.7: "Hel" (FIN=0, text) then "lo" (FIN=1, continuation).
        var frames = TestFrames.TextFragments("Hello", 3, 2);
        Assert.Equal(new byte[] { 0x01, 0x03, 0x48, 0x65, 0x6c }, frames[0]);
        Assert.Equal(new byte[] { 0x80, 0x02, 0x6c, 0x6f }, frames[1]);
    }

    [Fact]
    public void PingAndPong_Hello_MatchRfcExample()
    {
        Assert.Equal(new byte[] { 0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f }, TestFrames.Ping(Hello));
        Assert.Equal(new byte[] { 0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f }, TestFrames.Pong(Hello));
    }

    [Theory]
    [InlineData(125, new byte[] { 0x82, 0x7D })]
    [InlineData(126, new byte[] { 0x82, 0x7E, 0x00, 0x7E })]
    [InlineData(256, new byte[] { 0x82, 0x7E, 0x01, 0x00 })] // RFC 6455 §5.7: 256 bytes binary
    [InlineData(65535, new byte[] { 0x82, 0x7E, 0xFF, 0xFF })]
    [InlineData(65536, new byte[] { 0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00 })] // RFC 6455 §5.7: 64 KiB binary
    public void Binary_Size_UsesMinimalLengthForm(int size, byte[] expectedHeader)
    {
        var frame = TestFrames.Binary(new byte[size]);
        Assert.Equal(expectedHeader, frame[..expectedHeader.Length]);
        Assert.Equal(expectedHeader.Length + size, frame.Length);
    }

    [Fact]
    public void Server_ForcedLongForm_WritesNonMinimalLength()
    {
        var frame = TestFrames.Server(TestFrames.OpText, "a"u8, forceLengthForm: TestLengthForm.Long);
        Assert.Equal(new byte[] { 0x81, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x61 }, frame);
    }

    [Fact]
    public void Server_DeclaredLengthWithMsbSet_WritesItAsGiven()
    {
        var frame = TestFrames.Server(TestFrames.OpBinary, ReadOnlySpan<byte>.Empty, declaredLength: 0x8000_0000_0000_0001UL);
        Assert.Equal(new byte[] { 0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0x01 }, frame);
    }

    [Fact]
    public void Server_IllegalBits_AreEncoded()
    {
        // FIN=0 RSV1 RSV3 opcode 0xB (reserved control); MASK bit set with key 01 02 03 04; payload 0x10 -> 0x11.
        var frame = TestFrames.Server(0xB, new byte[] { 0x10 }, fin: false, rsv: 5, mask: [1, 2, 3, 4]);
        Assert.Equal(new byte[] { 0x5B, 0x81, 0x01, 0x02, 0x03, 0x04, 0x11 }, frame);
    }

    [Fact]
    public void Server_PingOf126Bytes_UsesMediumForm()
    {
        var frame = TestFrames.Server(TestFrames.OpPing, new byte[126]);
        Assert.Equal(new byte[] { 0x89, 0x7E, 0x00, 0x7E }, frame[..4]);
    }

    [Theory]
    [InlineData(null, "", new byte[] { 0x88, 0x00 })]
    [InlineData(1000, "", new byte[] { 0x88, 0x02, 0x03, 0xE8 })]
    [InlineData(1001, "ab", new byte[] { 0x88, 0x04, 0x03, 0xE9, 0x61, 0x62 })]
    [InlineData(65535, "", new byte[] { 0x88, 0x02, 0xFF, 0xFF })]
    public void Close_CodeAndReason_EncodesPayload(int? code, string reason, byte[] expected)
    {
        Assert.Equal(expected, TestFrames.Close(code, reason));
    }

    [Fact]
    public void TryDecodeClientFrame_RfcMaskedHello_DecodesAndUnmasks()
    {
        var bytes = new byte[] { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58, 0xEE };

        Assert.True(TestFrames.TryDecodeClientFrame(bytes, out var frame, out var consumed));

        Assert.Equal(11, consumed);
        Assert.NotNull(frame);
        Assert.True(frame.Fin);
        Assert.Equal(0, frame.Rsv);
        Assert.Equal(TestFrames.OpText, frame.Opcode);
        Assert.True(frame.Masked);
        Assert.Equal(new byte[] { 0x37, 0xfa, 0x21, 0x3d }, frame.MaskKey);
        Assert.Equal("Hello", frame.PayloadText);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(65535)]
    [InlineData(65536)]
    public void TryDecodeClientFrame_EveryStrictPrefix_NeedsMoreAndConsumesNothing(int size)
    {
        var payload = PeerPayloads.Binary(size);
        var bytes = TestFrames.Client(TestFrames.OpBinary, payload, [9, 8, 7, 6], fin: false, rsv: 2);

        var prefixes = size > 200 ? [0, 1, 2, 3, 4, 5, 8, 9, 10, 13, 14, bytes.Length - 1] : Enumerable.Range(0, bytes.Length);
        foreach (var length in prefixes)
        {
            Assert.False(TestFrames.TryDecodeClientFrame(bytes.AsSpan(0, length), out _, out var none), $"prefix {length}");
            Assert.Equal(0, none);
        }

        Assert.True(TestFrames.TryDecodeClientFrame(bytes, out var frame, out var consumed));
        Assert.Equal(bytes.Length, consumed);
        Assert.False(frame!.Fin);
        Assert.Equal(2, frame.Rsv);
        Assert.Equal(payload, frame.Payload);
    }

    [Fact]
    public void TryDecodeClientFrame_CloseFrame_ExposesCodeAndReason()
    {
        Assert.True(TestFrames.TryDecodeClientFrame(TestFrames.Client(TestFrames.OpClose, TestFrames.ClosePayload(1002, "bad"), [1, 1, 1, 1]), out var frame, out _));

        Assert.True(frame!.IsClose);
        Assert.Equal(1002, frame.CloseCode);
        Assert.Equal("bad", frame.CloseReason);
    }

    [Fact]
    public void TryDecodeClientFrame_HugeDeclaredLength_Throws()
    {
        var bytes = TestFrames.Server(TestFrames.OpBinary, ReadOnlySpan<byte>.Empty, declaredLength: 1UL << 40);

        Assert.Throws<InvalidDataException>(() => TestFrames.TryDecodeClientFrame(bytes, out _, out _));
    }
}
