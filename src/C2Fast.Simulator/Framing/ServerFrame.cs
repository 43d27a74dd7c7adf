using System.Buffers.Binary;
using System.Text;

namespace C2Fast.Simulator.Framing;

/// <summary>Encodes server frames: always FIN, never masked (RFC 6455 §5.1: a server must not mask).</summary>
internal static class ServerFrame
{
    public const byte OpContinuation = 0x0;
    public const byte OpText = 0x1;
    public const byte OpBinary = 0x2;
    public const byte OpClose = 0x8;
    public const byte OpPing = 0x9;
    public const byte OpPong = 0xA;

    public static int HeaderLength(int payloadLength) => payloadLength <= 125 ? 2 : payloadLength <= ushort.MaxValue ? 4 : 10;

    /// <summary>Writes the header of a final, unmasked frame and returns its length.</summary>
    public static int WriteHeader(Span<byte> destination, byte opcode, int payloadLength)
    {
        destination[0] = (byte)(0x80 | opcode);
        if (payloadLength <= 125)
        {
            destination[1] = (byte)payloadLength;
            return 2;
        }

        if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
            return 4;
        }

        destination[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
        return 10;
    }

    public static byte[] Encode(byte opcode, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderLength(payload.Length) + payload.Length];
        var header = WriteHeader(frame, opcode, payload.Length);
        payload.CopyTo(frame.AsSpan(header));
        return frame;
    }

    /// <summary>A close frame with <paramref name="code"/> and a reason cut to fit the 125-byte control limit (§5.5).</summary>
    public static byte[] EncodeClose(int code, string? reason)
    {
        Span<byte> payload = stackalloc byte[125];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        var length = 2;
        if (!string.IsNullOrEmpty(reason))
        {
            var bytes = Encoding.UTF8.GetBytes(reason);
            var take = Math.Min(bytes.Length, 123);
            while (take > 0 && take < bytes.Length && (bytes[take] & 0xC0) == 0x80)
            {
                take--; // never cut a code point in half: the reason must stay valid UTF-8 (§5.5.1)
            }

            bytes.AsSpan(0, take).CopyTo(payload[2..]);
            length += take;
        }

        return Encode(OpClose, payload[..length]);
    }
}
