using System.Text;
using C2Fast.Framing;

namespace C2Fast.Tests.Framing;

public class CloseFrameTests
{
    private static byte[] Payload(int code, byte[]? reason = null)
    {
        byte[] bytes = new byte[2 + (reason?.Length ?? 0)];
        bytes[0] = (byte)(code >> 8);
        bytes[1] = (byte)code;
        reason?.CopyTo(bytes, 2);
        return bytes;
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1001)]
    [InlineData(1002)]
    [InlineData(1003)]
    [InlineData(1007)]
    [InlineData(1008)]
    [InlineData(1009)]
    [InlineData(1010)]
    [InlineData(1011)]
    [InlineData(3000)]
    [InlineData(3999)]
    [InlineData(4000)]
    [InlineData(4999)]
    public void TryParse_ValidCode_Accepted(int code)
    {
        Assert.True(CloseFrame.TryParse(Payload(code), out int parsed, out FrameError error));
        Assert.Equal(code, parsed);
        Assert.Equal(FrameError.None, error);
    }

    // RFC 6455 §7.4: codes that may not appear on the wire.
    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1004)]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1015)]
    [InlineData(1016)]
    [InlineData(1100)]
    [InlineData(2000)]
    [InlineData(2999)]
    [InlineData(5000)]
    [InlineData(65535)]
    public void TryParse_InvalidCode_ProtocolError(int code)
    {
        Assert.False(CloseFrame.TryParse(Payload(code), out _, out FrameError error));
        Assert.Equal(FrameError.InvalidCloseCode, error);
        Assert.Equal(1002, FrameErrors.CloseCode(error));
    }

    [Fact]
    public void TryParse_EmptyPayload_NoStatus()
    {
        Assert.True(CloseFrame.TryParse(ReadOnlySpan<byte>.Empty, out int code, out _));
        Assert.Equal(CloseFrame.NoStatus, code);
    }

    [Fact]
    public void TryParse_OneBytePayload_ProtocolError()
    {
        // RFC 6455 §5.5.1: a body starts with a 2-byte code.
        Assert.False(CloseFrame.TryParse([0x03], out _, out FrameError error));
        Assert.Equal(FrameError.InvalidClosePayload, error);
    }

    [Fact]
    public void TryParse_123ByteReason_AcceptedAndDecoded()
    {
        string reason = new('r', 123);
        byte[] payload = Payload(1000, Encoding.UTF8.GetBytes(reason));
        Assert.True(CloseFrame.TryParse(payload, out _, out _));
        Assert.Equal(reason, CloseFrame.ReadReason(payload));
    }

    [Fact]
    public void TryParse_InvalidUtf8Reason_InvalidPayload1007()
    {
        Assert.False(CloseFrame.TryParse(Payload(1000, [0x41, 0xC0, 0xAF]), out _, out FrameError error));
        Assert.Equal(FrameError.InvalidCloseReasonUtf8, error);
        Assert.Equal(1007, FrameErrors.CloseCode(error)); // adversarial finding: 1002 did not name the fault
    }

    [Fact]
    public void WritePayload_LongMultiByteReason_TruncatedOnCodePointBoundary()
    {
        byte[] destination = new byte[125];
        int length = CloseFrame.WritePayload(destination, 1001, new string('€', 100)); // 300 UTF-8 bytes
        Assert.True(length <= 125);
        Assert.Equal(0, (length - 2) % 3);
        Assert.True(CloseFrame.TryParse(destination.AsSpan(0, length), out int code, out _));
        Assert.Equal(1001, code);
    }

    [Fact]
    public void WritePayload_NoStatus_EmptyPayload()
    {
        Assert.Equal(0, CloseFrame.WritePayload(new byte[125], CloseFrame.NoStatus, "ignored"));
    }
}
