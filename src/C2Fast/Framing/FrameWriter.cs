using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace C2Fast.Framing;

/// <summary>Writes masked client→server frames (RFC 6455 §5.2, §5.3). Pure: spans in, bytes out.</summary>
internal static class FrameWriter
{
    /// <summary>The longest client frame header: 2 + 8 length + 4 mask bytes.</summary>
    public const int MaxHeaderLength = 14;

    /// <summary>The header length of a masked client frame with this payload length.</summary>
    public static int HeaderLength(long payloadLength) => payloadLength switch
    {
        < 126 => 6,
        <= ushort.MaxValue => 8,
        _ => 14,
    };

    /// <summary>Writes a masked frame header and returns its length.</summary>
    /// <param name="destination">At least <see cref="HeaderLength"/> bytes.</param>
    /// <param name="opcode">The frame's opcode.</param>
    /// <param name="fin">Whether this frame ends its message.</param>
    /// <param name="payloadLength">The payload length that follows.</param>
    /// <param name="maskKey">The frame's masking key (wire order, read natively).</param>
    public static int WriteHeader(Span<byte> destination, Opcode opcode, bool fin, long payloadLength, uint maskKey)
    {
        destination[0] = (byte)((fin ? 0x80 : 0) | (byte)opcode);
        int offset;
        if (payloadLength < 126)
        {
            destination[1] = (byte)(0x80 | payloadLength);
            offset = 2;
        }
        else if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
            offset = 4;
        }
        else
        {
            destination[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
            offset = 10;
        }

        MemoryMarshal.Write(destination[offset..], in maskKey);
        return offset + 4;
    }

    /// <summary>Writes a whole masked frame (header + masked copy of <paramref name="payload"/>) and returns its length.</summary>
    public static int WriteFrame(Span<byte> destination, Opcode opcode, bool fin, ReadOnlySpan<byte> payload, uint maskKey)
    {
        int header = WriteHeader(destination, opcode, fin, payload.Length, maskKey);
        Span<byte> body = destination.Slice(header, payload.Length);
        payload.CopyTo(body);
        Mask.Apply(body, maskKey);
        return header + payload.Length;
    }
}
