using System.Buffers;
using C2Fast.Simulator.Framing;

namespace C2Fast.Tests.Simulator;

public class ClientFrameParserTests
{
    // A masked text frame "Hi": FIN+text, MASK+len 2, mask 01 02 03 04, 'H'^01 'i'^02.
    private static readonly byte[] MaskedHi = [0x81, 0x82, 0x01, 0x02, 0x03, 0x04, (byte)('H' ^ 0x01), (byte)('i' ^ 0x02)];

    [Fact]
    public void TryReadHeader_MaskedText_ReturnsHeaderAndUnmasks()
    {
        var status = ClientFrameParser.TryReadHeader(new ReadOnlySequence<byte>(MaskedHi), 1024, out var header, out _);

        Assert.Equal(OperationStatus.Done, status);
        Assert.True(header.Fin);
        Assert.Equal(0x1, header.Opcode);
        Assert.Equal(2, header.PayloadLength);
        Assert.Equal(6, header.HeaderLength);
        var payload = new byte[2];
        ClientFrameParser.Unmask(new ReadOnlySequence<byte>(MaskedHi, 6, 2), header.MaskKey, payload);
        Assert.Equal("Hi"u8.ToArray(), payload);
    }

    [Fact]
    public void TryReadHeader_EveryStrictPrefix_NeedsMoreData()
    {
        byte[] frame16 = [0x81, 0xFE, 0x01, 0x00, 1, 2, 3, 4]; // 16-bit length 256, header only
        byte[] frame64 = [0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 9, 9, 9, 9]; // 64-bit length 65536
        foreach (var frame in new[] { MaskedHi[..6], frame16, frame64 })
        {
            for (var length = 0; length < frame.Length; length++)
            {
                var status = ClientFrameParser.TryReadHeader(new ReadOnlySequence<byte>(frame, 0, length), 1 << 20, out _, out _);
                Assert.Equal(OperationStatus.NeedMoreData, status);
            }

            Assert.Equal(OperationStatus.Done, ClientFrameParser.TryReadHeader(new ReadOnlySequence<byte>(frame), 1 << 20, out _, out _));
        }
    }

    [Fact]
    public void TryReadHeader_SplitAcrossSegments_ReadsSameHeader()
    {
        byte[] frame = [0x81, 0xFE, 0x01, 0x00, 1, 2, 3, 4];
        for (var split = 1; split < frame.Length; split++)
        {
            var sequence = TwoSegments(frame, split);
            Assert.Equal(OperationStatus.Done, ClientFrameParser.TryReadHeader(sequence, 1 << 20, out var header, out _));
            Assert.Equal(256, header.PayloadLength);
            Assert.Equal(8, header.HeaderLength);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0xC1, 0x80, 1, 2, 3, 4 }, 1002)] // RSV1 set, no extension negotiated (§5.2)
    [InlineData(new byte[] { 0xA1, 0x80, 1, 2, 3, 4 }, 1002)] // RSV2 set
    [InlineData(new byte[] { 0x91, 0x80, 1, 2, 3, 4 }, 1002)] // RSV3 set
    [InlineData(new byte[] { 0x83, 0x80, 1, 2, 3, 4 }, 1002)] // reserved data opcode 3
    [InlineData(new byte[] { 0x8B, 0x80, 1, 2, 3, 4 }, 1002)] // reserved control opcode 0xB
    [InlineData(new byte[] { 0x81, 0x02, (byte)'H', (byte)'i' }, 1002)] // unmasked client frame (§5.1)
    [InlineData(new byte[] { 0x89, 0xFE, 0x00, 0x7E, 1, 2, 3, 4 }, 1002)] // ping of 126 bytes (§5.5)
    [InlineData(new byte[] { 0x09, 0x80, 1, 2, 3, 4 }, 1002)] // fragmented ping (§5.5)
    [InlineData(new byte[] { 0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 }, 1002)] // 64-bit length with MSB set
    [InlineData(new byte[] { 0x82, 0xFF, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4 }, 1009)] // 1 MiB > limit
    public void TryReadHeader_Violation_ReturnsInvalidDataWithCloseCode(byte[] frame, int expectedCode)
    {
        var status = ClientFrameParser.TryReadHeader(new ReadOnlySequence<byte>(frame), 64 * 1024, out _, out var closeCode);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Equal(expectedCode, closeCode);
    }

    [Theory]
    [InlineData(1000, true)]
    [InlineData(1003, true)]
    [InlineData(1007, true)]
    [InlineData(1011, true)]
    [InlineData(3000, true)]
    [InlineData(4999, true)]
    [InlineData(999, false)]
    [InlineData(1004, false)]
    [InlineData(1005, false)]
    [InlineData(1006, false)]
    [InlineData(1015, false)]
    [InlineData(2999, false)]
    [InlineData(5000, false)]
    public void IsValidCloseCode_Code_MatchesRfc(int code, bool valid) => Assert.Equal(valid, ClientFrameParser.IsValidCloseCode(code));

    [Fact]
    public void EncodeClose_LongMultiByteReason_CutsOnCodePointBoundary()
    {
        var frame = ServerFrame.EncodeClose(1000, new string('é', 100)); // 200 UTF-8 bytes

        Assert.Equal(0x88, frame[0]);
        Assert.True(frame[1] <= 125);
        var reason = frame.AsSpan(4);
        Assert.Equal(0, reason.Length % 2); // whole 2-byte code points only
        Assert.True(System.Text.Unicode.Utf8.IsValid(reason));
    }

    private static ReadOnlySequence<byte> TwoSegments(byte[] data, int split)
    {
        var first = new Segment(data.AsMemory(0, split), 0);
        var second = first.Append(data.AsMemory(split));
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
