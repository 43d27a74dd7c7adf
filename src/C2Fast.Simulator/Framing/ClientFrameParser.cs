using System.Buffers;
using System.Buffers.Binary;

namespace C2Fast.Simulator.Framing;

/// <summary>The decoded header of one client frame.</summary>
internal readonly record struct ClientFrameHeader(bool Fin, byte Opcode, long PayloadLength, uint MaskKey, int HeaderLength)
{
    public bool IsControl => (Opcode & 0x8) != 0;
}

/// <summary>
/// Parses the header of a frame sent by a client (RFC 6455 §5.2). Pure: no I/O, no allocation, no
/// exception for "need more data"; a strict prefix of a valid header returns NeedMoreData.
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
/// |                               |Masking-key, if MASK set to 1  |
/// +-------------------------------+-------------------------------+
/// | Masking-key (continued)       |          Payload Data         |
/// +-------------------------------- - - - - - - - - - - - - - - - +
/// </code>
/// The simulator negotiates no extension, so every RSV bit must be 0.
/// </remarks>
internal static class ClientFrameParser
{
    public static OperationStatus TryReadHeader(ReadOnlySequence<byte> buffer, long maxPayload, out ClientFrameHeader header, out int closeCode)
    {
        header = default;
        closeCode = 0;
        if (buffer.Length < 2)
        {
            return OperationStatus.NeedMoreData;
        }

        Span<byte> bytes = stackalloc byte[14];
        var available = (int)Math.Min(buffer.Length, 14);
        buffer.Slice(0, available).CopyTo(bytes);

        var fin = (bytes[0] & 0x80) != 0;
        var opcode = (byte)(bytes[0] & 0x0F);
        var masked = (bytes[1] & 0x80) != 0;
        var length7 = bytes[1] & 0x7F;

        // §5.2: RSV1-3 must be 0 unless an extension defines them; none is negotiated.
        if ((bytes[0] & 0x70) != 0)
        {
            return Invalid(1002, out closeCode);
        }

        // §5.2: opcodes 3-7 and 0xB-0xF are reserved.
        if (opcode is > 0x2 and < 0x8 or > 0xA)
        {
            return Invalid(1002, out closeCode);
        }

        // §5.1: a server must close the connection on an unmasked client frame.
        if (!masked)
        {
            return Invalid(1002, out closeCode);
        }

        var isControl = (opcode & 0x8) != 0;

        // §5.5: control frames have a payload of at most 125 bytes and are never fragmented.
        if (isControl && (length7 > 125 || !fin))
        {
            return Invalid(1002, out closeCode);
        }

        var extended = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
        var headerLength = 2 + extended + 4;
        if (available < headerLength)
        {
            return OperationStatus.NeedMoreData;
        }

        long payloadLength = length7;
        if (extended == 2)
        {
            payloadLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        }
        else if (extended == 8)
        {
            var length64 = BinaryPrimitives.ReadUInt64BigEndian(bytes[2..]);

            // §5.2: the most significant bit of a 64-bit length must be 0.
            if ((length64 & 0x8000_0000_0000_0000UL) != 0)
            {
                return Invalid(1002, out closeCode);
            }

            payloadLength = (long)length64;
        }

        // Limits are checked as soon as the length is known, never after waiting for the payload.
        if (payloadLength > maxPayload)
        {
            return Invalid(1009, out closeCode);
        }

        var maskKey = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(2 + extended)..]);
        header = new ClientFrameHeader(fin, opcode, payloadLength, maskKey, headerLength);
        return OperationStatus.Done;
    }

    /// <summary>Copies a masked payload into <paramref name="destination"/>, unmasking it (§5.3).</summary>
    public static void Unmask(ReadOnlySequence<byte> payload, uint maskKey, Span<byte> destination)
    {
        payload.CopyTo(destination);
        Span<byte> mask = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(mask, maskKey);
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] ^= mask[i & 3];
        }
    }

    /// <summary>Whether a client may send <paramref name="code"/> in a close frame (§7.4.1, §7.4.2).</summary>
    public static bool IsValidCloseCode(int code) =>
        code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);

    private static OperationStatus Invalid(int code, out int closeCode)
    {
        closeCode = code;
        return OperationStatus.InvalidData;
    }
}
