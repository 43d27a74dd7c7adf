using System.Buffers;
using System.Buffers.Binary;
using C2Fast.Framing;

namespace C2Fast.Fuzz.Targets;

/// <summary>
/// An independent reading of RFC 6455 §5.2 for server frames, rule by rule in the order the bytes arrive (the order
/// FrameHeaderParser documents: every rule is decided as soon as its byte is there, length limits last).
/// </summary>
internal static class FrameReference
{
    public readonly record struct Header(OperationStatus Status, bool Fin, int Opcode, long PayloadLength, int HeaderLength, FrameError Error);

    public static Header Parse(ReadOnlySpan<byte> bytes, long maxPayload)
    {
        if (bytes.Length < 1)
        {
            return NeedMore;
        }

        int b0 = bytes[0];
        bool fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0F;
        if ((b0 & 0x70) != 0)
        {
            return Invalid(FrameError.ReservedBitsSet);
        }

        if (opcode is not (0 or 1 or 2 or 8 or 9 or 10))
        {
            return Invalid(FrameError.ReservedOpcode);
        }

        bool control = opcode >= 8;
        if (control && !fin)
        {
            return Invalid(FrameError.ControlFrameFragmented);
        }

        if (bytes.Length < 2)
        {
            return NeedMore;
        }

        int b1 = bytes[1];
        if ((b1 & 0x80) != 0)
        {
            return Invalid(FrameError.MaskedServerFrame);
        }

        int length7 = b1 & 0x7F;
        if (control && length7 > 125)
        {
            return Invalid(FrameError.ControlFrameTooLong);
        }

        long length = length7;
        int headerLength = 2;
        if (length7 == 126)
        {
            if (bytes.Length < 4)
            {
                return NeedMore;
            }

            length = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
            headerLength = 4;
            if (length <= 125)
            {
                return Invalid(FrameError.NonMinimalLength);
            }
        }
        else if (length7 == 127)
        {
            if (bytes.Length < 10)
            {
                return NeedMore;
            }

            ulong wide = BinaryPrimitives.ReadUInt64BigEndian(bytes[2..]);
            headerLength = 10;
            if (wide > long.MaxValue)
            {
                return Invalid(FrameError.LengthMostSignificantBitSet);
            }

            length = (long)wide;
            if (length <= 0xFFFF)
            {
                return Invalid(FrameError.NonMinimalLength);
            }
        }

        if (length > maxPayload)
        {
            return Invalid(FrameError.MessageTooBig);
        }

        return new Header(OperationStatus.Done, fin, opcode, length, headerLength, FrameError.None);
    }

    /// <summary>The close code RFC 6455 §7.4.1 (and the library's docs) give each failure: 1007 bad UTF-8 text, 1009 too big, else 1002.</summary>
    public static int DocumentedCloseCode(FrameError error) => error switch
    {
        FrameError.InvalidUtf8 or FrameError.InvalidCloseReasonUtf8 => 1007, // RFC 6455 §7.4.1: data not consistent with the message type
        FrameError.MessageTooBig => 1009,
        _ => 1002,
    };

    /// <summary>RFC 6455 §7.4 and the IANA registry: the codes a peer may send.</summary>
    public static bool IsSendableCloseCode(int code)
        => code is >= 1000 and <= 1003 or >= 1007 and <= 1014 or >= 3000 and <= 4999;

    private static Header NeedMore => new(OperationStatus.NeedMoreData, false, 0, 0, 0, FrameError.None);

    private static Header Invalid(FrameError error) => new(OperationStatus.InvalidData, false, 0, 0, 0, error);
}
