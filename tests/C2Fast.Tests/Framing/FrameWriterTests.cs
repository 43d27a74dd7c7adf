using System.Buffers.Binary;
using System.Runtime.InteropServices;
using C2Fast.Framing;

namespace C2Fast.Tests.Framing;

public class FrameWriterTests
{
    [Theory]
    [InlineData(0, 6)]
    [InlineData(125, 6)]
    [InlineData(126, 8)]
    [InlineData(65535, 8)]
    [InlineData(65536, 14)]
    public void WriteFrame_Lengths_MaskedMinimalHeader(int length, int headerLength)
    {
        byte[] payload = new byte[length];
        new Random(length).NextBytes(payload);
        byte[] frame = new byte[length + 14];
        byte[] key = [9, 8, 7, 6];

        int written = FrameWriter.WriteFrame(frame, Opcode.Binary, fin: true, payload, MemoryMarshal.Read<uint>(key));

        Assert.Equal(headerLength + length, written);
        Assert.Equal(headerLength, FrameWriter.HeaderLength(length));
        Assert.Equal(0x82, frame[0]);                    // FIN + binary
        Assert.Equal(0x80, frame[1] & 0x80);             // MASK bit always set (RFC 6455 §5.3)
        long decodedLength = (frame[1] & 0x7F) switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(2)),
            127 => (long)BinaryPrimitives.ReadUInt64BigEndian(frame.AsSpan(2)),
            int small => small,
        };
        Assert.Equal(length, decodedLength);
        Assert.Equal(key, frame.AsSpan(headerLength - 4, 4).ToArray());
        for (int i = 0; i < length; i++)
        {
            Assert.Equal(payload[i], (byte)(frame[headerLength + i] ^ key[i % 4]));
        }
    }

    [Fact]
    public void WriteHeader_FragmentAndControl_OpcodeAndFinBits()
    {
        byte[] header = new byte[14];
        FrameWriter.WriteHeader(header, Opcode.Text, fin: false, 3, 0);
        Assert.Equal(0x01, header[0]);
        FrameWriter.WriteHeader(header, Opcode.Continuation, fin: true, 3, 0);
        Assert.Equal(0x80, header[0]);
        FrameWriter.WriteHeader(header, Opcode.Pong, fin: true, 3, 0);
        Assert.Equal(0x8A, header[0]);
    }
}
