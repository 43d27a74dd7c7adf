using System.Buffers;
using C2Fast.Framing;
using C2Fast.Tests.TestData;

namespace C2Fast.Tests.Framing;

public class FrameHeaderParserTests
{
    private const long Max = 16 * 1024 * 1024;

    public static TheoryData<byte[], bool, int, long, int> ValidHeaders => new()
    {
        // bytes, fin, opcode, payload length, header length
        { [0x81, 0x00], true, 1, 0, 2 },                                              // FIN text, len 0
        { [0x82, 0x7D], true, 2, 125, 2 },                                            // FIN binary, len 125
        { [0x01, 0x7E, 0x00, 0x7E], false, 1, 126, 4 },                               // text fragment, 16-bit len 126
        { [0x80, 0x7E, 0xFF, 0xFF], true, 0, 65535, 4 },                              // FIN continuation, 16-bit len 65535
        { [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0x00, 0x00], true, 2, 65536, 10 },          // FIN binary, 64-bit len 65536
        { [0x89, 0x7D], true, 9, 125, 2 },                                            // ping, 125 bytes
        { [0x8A, 0x00], true, 10, 0, 2 },                                             // pong, empty
        { [0x88, 0x02], true, 8, 2, 2 },                                              // close, code only
    };

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void TryParse_ValidHeader_AnyShape_ReturnsSameHeader(byte[] bytes, bool fin, int opcode, long length, int headerLength)
    {
        foreach ((string name, ReadOnlySequence<byte> sequence) in Sequences.AllShapes(bytes))
        {
            OperationStatus status = FrameHeaderParser.TryParse(sequence, Max, out FrameHeader header, out FrameError error);
            Assert.True(status == OperationStatus.Done, name);
            Assert.Equal(FrameError.None, error);
            Assert.Equal(new FrameHeader(fin, (Opcode)opcode, length, headerLength), header);
        }
    }

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void TryParse_EveryStrictPrefix_NeedsMoreData(byte[] bytes, bool fin, int opcode, long length, int headerLength)
    {
        _ = (fin, opcode, length);
        for (int i = 0; i < headerLength; i++)
        {
            Assert.Equal(OperationStatus.NeedMoreData, FrameHeaderParser.TryParse(new ReadOnlySequence<byte>(bytes, 0, i), Max, out _, out FrameError error));
            Assert.Equal(FrameError.None, error);
        }
    }

    // One test per RFC 6455 rule the header alone decides.
    [Theory]
    [InlineData(new byte[] { 0xC1, 0x00 }, FrameError.ReservedBitsSet)]              // §5.2: RSV1 set, no extension
    [InlineData(new byte[] { 0xA1, 0x00 }, FrameError.ReservedBitsSet)]              // §5.2: RSV2 set
    [InlineData(new byte[] { 0x91, 0x00 }, FrameError.ReservedBitsSet)]              // §5.2: RSV3 set
    [InlineData(new byte[] { 0x89 ^ 0x40, 0x00 }, FrameError.ReservedBitsSet)]       // §5.2: RSV1 on a ping
    [InlineData(new byte[] { 0x83, 0x00 }, FrameError.ReservedOpcode)]               // §5.2: data opcode 3
    [InlineData(new byte[] { 0x87, 0x00 }, FrameError.ReservedOpcode)]               // §5.2: data opcode 7
    [InlineData(new byte[] { 0x8B, 0x00 }, FrameError.ReservedOpcode)]               // §5.2: control opcode 0xB
    [InlineData(new byte[] { 0x8F, 0x00 }, FrameError.ReservedOpcode)]               // §5.2: control opcode 0xF
    [InlineData(new byte[] { 0x09, 0x00 }, FrameError.ControlFrameFragmented)]       // §5.5: ping without FIN
    [InlineData(new byte[] { 0x08, 0x00 }, FrameError.ControlFrameFragmented)]       // §5.5: close without FIN
    [InlineData(new byte[] { 0x81, 0x80, 1, 2, 3, 4 }, FrameError.MaskedServerFrame)] // §5.1: server frame masked
    [InlineData(new byte[] { 0x89, 0x7E, 0x00, 0x7E }, FrameError.ControlFrameTooLong)] // §5.5: ping of 126 bytes
    [InlineData(new byte[] { 0x88, 0x7F }, FrameError.ControlFrameTooLong)]           // §5.5: close with 64-bit length
    [InlineData(new byte[] { 0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0 }, FrameError.LengthMostSignificantBitSet)] // §5.2: 64-bit MSB
    [InlineData(new byte[] { 0x82, 0x7E, 0x00, 0x7D }, FrameError.NonMinimalLength)]  // §5.2: 125 in 16 bits
    [InlineData(new byte[] { 0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF }, FrameError.NonMinimalLength)] // §5.2: 65535 in 64 bits
    public void TryParse_RuleViolation_InvalidDataWithReason(byte[] bytes, object expected)
    {
        foreach ((string name, ReadOnlySequence<byte> sequence) in Sequences.AllShapes(bytes))
        {
            Assert.True(OperationStatus.InvalidData == FrameHeaderParser.TryParse(sequence, Max, out _, out FrameError error), name);
            Assert.Equal((FrameError)expected, error);
        }
    }

    [Fact]
    public void TryParse_Violation_FailsBeforeRestOfHeaderArrives()
    {
        // A masked server frame fails from its second byte; the mask key never needs to arrive.
        Assert.Equal(OperationStatus.InvalidData, FrameHeaderParser.TryParse(new byte[] { 0x81, 0xFE }, Max, out _, out FrameError masked));
        Assert.Equal(FrameError.MaskedServerFrame, masked);

        // A reserved opcode fails from its first byte.
        Assert.Equal(OperationStatus.InvalidData, FrameHeaderParser.TryParse(new byte[] { 0x84 }, Max, out _, out FrameError opcode));
        Assert.Equal(FrameError.ReservedOpcode, opcode);
    }

    [Fact]
    public void TryParse_PayloadOverMaximum_MessageTooBigFromHeaderAlone()
    {
        // 64-bit length of 2 GiB announced; only the 10 header bytes are present.
        byte[] header = [0x82, 0x7F, 0, 0, 0, 0, 0x80, 0, 0, 0];
        Assert.Equal(OperationStatus.InvalidData, FrameHeaderParser.TryParse(header, Max, out _, out FrameError error));
        Assert.Equal(FrameError.MessageTooBig, error);
        Assert.Equal(1009, FrameErrors.CloseCode(error));
    }

    [Fact]
    public void TryParse_PayloadAtMaximum_Done()
    {
        byte[] header = [0x82, 0x7E, 0x01, 0x00]; // 256 bytes
        Assert.Equal(OperationStatus.Done, FrameHeaderParser.TryParse(header, 256, out FrameHeader parsed, out _));
        Assert.Equal(256, parsed.PayloadLength);
        Assert.Equal(OperationStatus.InvalidData, FrameHeaderParser.TryParse(header, 255, out _, out FrameError error));
        Assert.Equal(FrameError.MessageTooBig, error);
    }

    [Theory]
    [InlineData(FrameError.ReservedBitsSet, 1002, C2FeedError.ProtocolViolation)]
    [InlineData(FrameError.MaskedServerFrame, 1002, C2FeedError.ProtocolViolation)]
    [InlineData(FrameError.InvalidCloseCode, 1002, C2FeedError.ProtocolViolation)]
    [InlineData(FrameError.InvalidCloseReasonUtf8, 1007, C2FeedError.InvalidUtf8)]
    [InlineData(FrameError.InvalidUtf8, 1007, C2FeedError.InvalidUtf8)]
    [InlineData(FrameError.MessageTooBig, 1009, C2FeedError.MessageTooBig)]
    public void FrameErrors_MapToCloseCodeAndFeedError(object reason, int closeCode, C2FeedError feedError)
    {
        var error = (FrameError)reason;
        Assert.Equal(closeCode, FrameErrors.CloseCode(error));
        Assert.Equal(feedError, C2Fast.Session.FeedErrors.From(new EngineOutcome(EngineEnd.ProtocolError, closeCode, Error: error), closing: false, null, TimeSpan.Zero)!.Error);
        Assert.DoesNotContain("Unknown", FrameErrors.Describe(error), StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_ZeroAllocation()
    {
        byte[] bytes = [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0x00, 0x00];
        ReadOnlySequence<byte> split = Sequences.SplitAt(bytes, 5);
        FrameHeaderParser.TryParse(split, Max, out _, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            FrameHeaderParser.TryParse(split, Max, out _, out _);
            FrameHeaderParser.TryParse(bytes, Max, out _, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
