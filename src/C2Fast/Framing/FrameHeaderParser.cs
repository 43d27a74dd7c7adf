using System.Buffers;
using System.Buffers.Binary;

namespace C2Fast.Framing;

/// <summary>
/// Pure parser of server→client frame headers (RFC 6455 §5.2).
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-------+-+-------------+-------------------------------+
/// |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
/// |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
/// |N|V|V|V|       |S|             |   (if payload len==126/127)   |
/// | |1|2|3|       |K|             |                               |
/// +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
/// |     Extended payload length continued, if payload len == 127  |
/// + - - - - - - - - - - - - - - - +-------------------------------+
/// |                               | Masking-key, if MASK set to 1 |
/// +-------------------------------+-------------------------------+
/// </code>
/// Every rule that can be decided from the header is checked as soon as its byte is available,
/// so a bad frame fails before its payload (or the rest of its header) arrives. A strict prefix
/// of a valid header returns <see cref="OperationStatus.NeedMoreData"/>. A server never masks,
/// so a valid server header is 2, 4 or 10 bytes.
/// </remarks>
internal static class FrameHeaderParser
{
    /// <summary>The longest valid server frame header: 2 + 8 bytes (no mask).</summary>
    public const int MaxHeaderLength = 10;

    /// <summary>Parses the header at the start of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Received bytes, starting at a frame boundary.</param>
    /// <param name="maxPayloadLength">Frames with a longer payload fail with <see cref="FrameError.MessageTooBig"/>.</param>
    /// <param name="header">The header when <see cref="OperationStatus.Done"/>.</param>
    /// <param name="error">The violated rule when <see cref="OperationStatus.InvalidData"/>.</param>
    public static OperationStatus TryParse(in ReadOnlySequence<byte> buffer, long maxPayloadLength, out FrameHeader header, out FrameError error)
    {
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        if (first.Length >= MaxHeaderLength || buffer.IsSingleSegment)
        {
            return TryParse(first, maxPayloadLength, out header, out error);
        }

        Span<byte> copy = stackalloc byte[MaxHeaderLength];
        int length = (int)Math.Min(buffer.Length, MaxHeaderLength);
        buffer.Slice(0, length).CopyTo(copy);
        return TryParse(copy[..length], maxPayloadLength, out header, out error);
    }

    /// <inheritdoc cref="TryParse(in ReadOnlySequence{byte}, long, out FrameHeader, out FrameError)"/>
    public static OperationStatus TryParse(ReadOnlySpan<byte> buffer, long maxPayloadLength, out FrameHeader header, out FrameError error)
    {
        header = default;
        error = FrameError.None;
        if (buffer.IsEmpty)
        {
            return OperationStatus.NeedMoreData;
        }

        byte b0 = buffer[0];
        bool fin = (b0 & 0x80) != 0;
        var opcode = (Opcode)(b0 & 0x0F);

        // RFC 6455 §5.2: RSV1-3 MUST be 0 unless an extension defining them was negotiated (we negotiate none).
        if ((b0 & 0x70) != 0)
        {
            return Fail(FrameError.ReservedBitsSet, out error);
        }

        // RFC 6455 §5.2: opcodes 3-7 and 0xB-0xF are reserved; an endpoint receiving one MUST fail the connection.
        if (opcode is not (Opcode.Continuation or Opcode.Text or Opcode.Binary or Opcode.Close or Opcode.Ping or Opcode.Pong))
        {
            return Fail(FrameError.ReservedOpcode, out error);
        }

        bool control = ((byte)opcode & 0x8) != 0;

        // RFC 6455 §5.5: control frames MUST NOT be fragmented.
        if (control && !fin)
        {
            return Fail(FrameError.ControlFrameFragmented, out error);
        }

        if (buffer.Length < 2)
        {
            return OperationStatus.NeedMoreData;
        }

        byte b1 = buffer[1];

        // RFC 6455 §5.1: a client MUST close the connection if it detects a masked frame.
        if ((b1 & 0x80) != 0)
        {
            return Fail(FrameError.MaskedServerFrame, out error);
        }

        int len7 = b1 & 0x7F;

        // RFC 6455 §5.5: control frames MUST have a payload length of 125 bytes or less.
        if (control && len7 > 125)
        {
            return Fail(FrameError.ControlFrameTooLong, out error);
        }

        long payloadLength;
        int headerLength;
        if (len7 < 126)
        {
            payloadLength = len7;
            headerLength = 2;
        }
        else if (len7 == 126)
        {
            if (buffer.Length < 4)
            {
                return OperationStatus.NeedMoreData;
            }

            payloadLength = BinaryPrimitives.ReadUInt16BigEndian(buffer.Slice(2));
            headerLength = 4;

            // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
            if (payloadLength < 126)
            {
                return Fail(FrameError.NonMinimalLength, out error);
            }
        }
        else
        {
            if (buffer.Length < 10)
            {
                return OperationStatus.NeedMoreData;
            }

            ulong raw = BinaryPrimitives.ReadUInt64BigEndian(buffer.Slice(2));

            // RFC 6455 §5.2: the most significant bit of the 64-bit length MUST be 0.
            if ((raw & 0x8000_0000_0000_0000UL) != 0)
            {
                return Fail(FrameError.LengthMostSignificantBitSet, out error);
            }

            payloadLength = (long)raw;
            headerLength = 10;

            // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
            if (payloadLength <= ushort.MaxValue)
            {
                return Fail(FrameError.NonMinimalLength, out error);
            }
        }

        // RFC 6455 §7.4.1 (1009): reject a too-big message from its header, before the payload arrives.
        if (payloadLength > maxPayloadLength)
        {
            return Fail(FrameError.MessageTooBig, out error);
        }

        header = new FrameHeader(fin, opcode, payloadLength, headerLength);
        return OperationStatus.Done;
    }

    private static OperationStatus Fail(FrameError reason, out FrameError error)
    {
        error = reason;
        return OperationStatus.InvalidData;
    }
}
