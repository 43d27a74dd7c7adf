using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace C2Fast.Framing;

/// <summary>Close frame payloads (RFC 6455 §5.5.1, §7.4): parsing with validation, and writing.</summary>
internal static class CloseFrame
{
    /// <summary>RFC 6455 §7.4.1: 1005 stands for "no status code was present"; it is never sent.</summary>
    public const int NoStatus = 1005;

    /// <summary>RFC 6455 §7.4.1: 1006 stands for "closed abnormally, without a close frame"; it is never sent.</summary>
    public const int Abnormal = 1006;

    /// <summary>RFC 6455 §5.5: a control frame's payload is at most 125 bytes.</summary>
    public const int MaxControlPayload = 125;

    /// <summary>The longest reason that fits a control frame: 125 - 2 code bytes.</summary>
    public const int MaxReasonBytes = 123;

    /// <summary>Validates a received close payload and extracts its code.</summary>
    /// <param name="payload">The close frame's payload (at most 125 bytes, already checked).</param>
    /// <param name="code">The status code, or <see cref="NoStatus"/> for an empty payload.</param>
    /// <param name="error">The violated rule when the result is <see langword="false"/>.</param>
    public static bool TryParse(ReadOnlySpan<byte> payload, out int code, out FrameError error)
    {
        error = FrameError.None;
        code = NoStatus;
        if (payload.IsEmpty)
        {
            return true;
        }

        // RFC 6455 §5.5.1: a body, if present, starts with a 2-byte status code; 1 byte cannot be valid.
        if (payload.Length == 1)
        {
            error = FrameError.InvalidClosePayload;
            return false;
        }

        code = BinaryPrimitives.ReadUInt16BigEndian(payload);

        // RFC 6455 §7.4: only defined codes and the 3000-4999 ranges may appear on the wire.
        if (!IsValidReceivedCode(code))
        {
            error = FrameError.InvalidCloseCode;
            return false;
        }

        // RFC 6455 §5.5.1: the reason is UTF-8 text.
        if (!Utf8.IsValid(payload[2..]))
        {
            error = FrameError.InvalidCloseReasonUtf8;
            return false;
        }

        return true;
    }

    /// <summary>Decodes the reason of an already-validated close payload (allocates; close path only).</summary>
    public static string ReadReason(ReadOnlySpan<byte> payload)
        => payload.Length <= 2 ? string.Empty : Encoding.UTF8.GetString(payload[2..]);

    /// <summary>
    /// RFC 6455 §7.4.1-2 and the IANA registry: 1000-1003, 1007-1014 and 3000-4999 may be sent;
    /// 1004-1006 and 1015 are reserved or must not be sent; everything else is invalid.
    /// </summary>
    public static bool IsValidReceivedCode(int code)
        => code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);

    /// <summary>Writes a close payload (code + UTF-8 reason truncated to fit) and returns its length.</summary>
    public static int WritePayload(Span<byte> destination, int code, string? reason)
    {
        if (code == NoStatus)
        {
            return 0;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)code);
        if (string.IsNullOrEmpty(reason))
        {
            return 2;
        }

        Span<byte> reasonDest = destination.Slice(2, Math.Min(MaxReasonBytes, destination.Length - 2));
        // Stops before a code point that does not fit, so truncation never splits one.
        Utf8.FromUtf16(reason, reasonDest, out _, out int written, replaceInvalidSequences: true, isFinalBlock: true);
        return 2 + written;
    }
}
