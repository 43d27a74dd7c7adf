using System.Text;

namespace C2Fast.Tests.Infrastructure;

/// <summary>
/// Test-side WebSocket frame encoder/decoder (RFC 6455 §5.2), written independently of the
/// product with plain loops. It encodes anything, including illegal frames (masked server
/// frames, RSV bits, reserved opcodes, oversized control frames, non-minimal or lying lengths).
/// </summary>
/// <remarks>
/// <c>rsv</c> is the 3-bit RSV field as it sits in the header: 4 = RSV1, 2 = RSV2, 1 = RSV3.
/// </remarks>
internal static class TestFrames
{
    public const int OpContinuation = 0x0;
    public const int OpText = 0x1;
    public const int OpBinary = 0x2;
    public const int OpClose = 0x8;
    public const int OpPing = 0x9;
    public const int OpPong = 0xA;

    /// <summary>Largest payload the decoder accepts (guards tests against runaway lengths).</summary>
    public const int MaxDecodedPayload = 256 * 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>
    /// Builds one server→client frame. Defaults give a legal frame; every parameter can make it illegal.
    /// </summary>
    /// <param name="opcode">0..15, reserved values allowed.</param>
    /// <param name="payload">Payload bytes as they should arrive after unmasking.</param>
    /// <param name="fin">FIN bit.</param>
    /// <param name="rsv">RSV1..3 as a 3-bit value (4 = RSV1, 2 = RSV2, 1 = RSV3).</param>
    /// <param name="mask">When set (4 bytes), the frame is masked with it (illegal from a server).</param>
    /// <param name="forceLengthForm">Use this length encoding even when it is not minimal.</param>
    /// <param name="declaredLength">Write this value in the length field instead of the payload's length
    /// (e.g. a 64-bit length with the most significant bit set); the payload bytes are written as given.</param>
    public static byte[] Server(
        int opcode,
        ReadOnlySpan<byte> payload,
        bool fin = true,
        int rsv = 0,
        byte[]? mask = null,
        TestLengthForm? forceLengthForm = null,
        ulong? declaredLength = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(opcode);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(opcode, 15);
        ArgumentOutOfRangeException.ThrowIfNegative(rsv);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rsv, 7);
        if (mask is not null && mask.Length != 4)
        {
            throw new ArgumentException("A mask key has exactly 4 bytes.", nameof(mask));
        }

        var length = declaredLength ?? (ulong)payload.Length;
        var form = forceLengthForm ?? (length <= 125 ? TestLengthForm.Short : length <= 0xFFFF ? TestLengthForm.Medium : TestLengthForm.Long);
        if ((form == TestLengthForm.Short && length > 125) || (form == TestLengthForm.Medium && length > 0xFFFF))
        {
            throw new ArgumentException($"Length {length} does not fit the {form} form.", nameof(forceLengthForm));
        }

        var frame = new List<byte>(payload.Length + 14);
        var first = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
        frame.Add((byte)first);
        var maskBit = mask is null ? 0 : 0x80;
        switch (form)
        {
            case TestLengthForm.Short:
                frame.Add((byte)(maskBit | (int)length));
                break;
            case TestLengthForm.Medium:
                frame.Add((byte)(maskBit | 126));
                frame.Add((byte)(length >> 8));
                frame.Add((byte)length);
                break;
            default:
                frame.Add((byte)(maskBit | 127));
                for (var shift = 56; shift >= 0; shift -= 8)
                {
                    frame.Add((byte)(length >> shift));
                }

                break;
        }

        if (mask is not null)
        {
            frame.AddRange(mask);
        }

        for (var i = 0; i < payload.Length; i++)
        {
            frame.Add(mask is null ? payload[i] : (byte)(payload[i] ^ mask[i % 4]));
        }

        return frame.ToArray();
    }

    /// <summary>A masked client→server frame (what a correct client sends).</summary>
    public static byte[] Client(int opcode, ReadOnlySpan<byte> payload, byte[] maskKey, bool fin = true, int rsv = 0) =>
        Server(opcode, payload, fin, rsv, maskKey);

    public static byte[] Text(string text, bool fin = true) => Server(OpText, StrictUtf8.GetBytes(text), fin);

    public static byte[] Binary(ReadOnlySpan<byte> payload, bool fin = true) => Server(OpBinary, payload, fin);

    public static byte[] Continuation(ReadOnlySpan<byte> payload, bool fin) => Server(OpContinuation, payload, fin);

    public static byte[] Ping(ReadOnlySpan<byte> payload) => Server(OpPing, payload);

    public static byte[] Ping(string payload) => Server(OpPing, Encoding.UTF8.GetBytes(payload));

    public static byte[] Pong(ReadOnlySpan<byte> payload) => Server(OpPong, payload);

    /// <summary>
    /// A close frame: no code gives an empty payload; otherwise 2-byte big-endian code + UTF-8 reason.
    /// Any code 0..65535 is accepted (invalid ones included).
    /// </summary>
    public static byte[] Close(int? code = null, string reason = "") => Server(OpClose, ClosePayload(code, reason));

    /// <summary>The payload of a close frame (see <see cref="Close"/>).</summary>
    public static byte[] ClosePayload(int? code, string reason = "")
    {
        if (code is null)
        {
            return reason.Length == 0 ? [] : throw new ArgumentException("A reason needs a code.", nameof(reason));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(code.Value);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(code.Value, 0xFFFF);
        var reasonBytes = Encoding.UTF8.GetBytes(reason);
        var payload = new byte[2 + reasonBytes.Length];
        payload[0] = (byte)(code.Value >> 8);
        payload[1] = (byte)code.Value;
        reasonBytes.CopyTo(payload, 2);
        return payload;
    }

    /// <summary>
    /// Splits <paramref name="payload"/> into frames of the given sizes (they must add up to the
    /// payload length): the first frame carries <paramref name="opcode"/>, the rest are
    /// continuations, only the last has FIN. Returned separately so tests can interleave control frames.
    /// </summary>
    public static byte[][] Fragments(int opcode, ReadOnlySpan<byte> payload, params int[] sizes)
    {
        var total = 0;
        foreach (var size in sizes)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(size);
            total += size;
        }

        if (sizes.Length == 0 || total != payload.Length)
        {
            throw new ArgumentException($"Fragment sizes add up to {total}, payload has {payload.Length} bytes.", nameof(sizes));
        }

        var frames = new byte[sizes.Length][];
        var offset = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            frames[i] = Server(i == 0 ? opcode : OpContinuation, payload.Slice(offset, sizes[i]), fin: i == sizes.Length - 1);
            offset += sizes[i];
        }

        return frames;
    }

    /// <summary>A text message split at the given byte sizes (may split a code point).</summary>
    public static byte[][] TextFragments(string text, params int[] byteSizes) =>
        Fragments(OpText, StrictUtf8.GetBytes(text), byteSizes);

    public static byte[] Concat(params byte[][] parts)
    {
        var result = new List<byte>();
        foreach (var part in parts)
        {
            result.AddRange(part);
        }

        return result.ToArray();
    }

    /// <summary>
    /// Decodes one frame from the start of <paramref name="buffer"/> (masked or not; the result says
    /// which). Returns false, with <paramref name="consumed"/> 0, when the buffer holds only a prefix.
    /// </summary>
    /// <exception cref="InvalidDataException">The declared length exceeds <see cref="MaxDecodedPayload"/>.</exception>
    public static bool TryDecodeClientFrame(ReadOnlySpan<byte> buffer, out TestFrame? frame, out int consumed)
    {
        frame = null;
        consumed = 0;
        if (buffer.Length < 2)
        {
            return false;
        }

        var fin = (buffer[0] & 0x80) != 0;
        var rsv = (buffer[0] >> 4) & 0x7;
        var opcode = buffer[0] & 0x0F;
        var masked = (buffer[1] & 0x80) != 0;
        var length7 = buffer[1] & 0x7F;
        var position = 2;
        ulong length;
        if (length7 <= 125)
        {
            length = (ulong)length7;
        }
        else
        {
            var lengthBytes = length7 == 126 ? 2 : 8;
            if (buffer.Length < position + lengthBytes)
            {
                return false;
            }

            length = 0;
            for (var i = 0; i < lengthBytes; i++)
            {
                length = (length << 8) | buffer[position + i];
            }

            position += lengthBytes;
        }

        if (length > MaxDecodedPayload)
        {
            throw new InvalidDataException($"Frame declares a payload of {length} bytes (limit {MaxDecodedPayload}).");
        }

        byte[]? maskKey = null;
        if (masked)
        {
            if (buffer.Length < position + 4)
            {
                return false;
            }

            maskKey = buffer.Slice(position, 4).ToArray();
            position += 4;
        }

        if ((ulong)(buffer.Length - position) < length)
        {
            return false;
        }

        var payload = new byte[(int)length];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = maskKey is null ? buffer[position + i] : (byte)(buffer[position + i] ^ maskKey[i % 4]);
        }

        frame = new TestFrame(fin, rsv, opcode, masked, maskKey, payload);
        consumed = position + payload.Length;
        return true;
    }
}
