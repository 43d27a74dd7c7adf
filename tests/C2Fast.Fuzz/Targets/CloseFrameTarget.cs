using System.Buffers.Binary;
using System.Text;
using C2Fast.Framing;

namespace C2Fast.Fuzz.Targets;

/// <summary>
/// <see cref="CloseFrame"/>. Input: a received close payload (the first 125 bytes: the header parser never lets a
/// longer one through); the same bytes also drive the writer.
/// </summary>
/// <remarks>
/// Invariants: TryParse agrees with RFC 6455 §5.5.1/§7.4 read independently (empty → 1005; one byte → invalid
/// payload; a code outside 1000-1003, 1007-1014, 3000-4999 → invalid code; a reason that is not UTF-8 → invalid
/// reason), the error is set exactly when it answers false, and a copy flush against a guard page answers the same;
/// an accepted reason decodes to the same bytes; WritePayload writes within its destination, and what it writes parses
/// back to the same code with a reason that is the longest whole-code-point prefix that fits.
/// </remarks>
internal sealed class CloseFrameTarget : IFuzzTarget
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public string Name => "close-frame";

    public string Description => "CloseFrame.TryParse/ReadReason vs RFC 6455 §5.5.1, WritePayload round trip and truncation";

    public void Run(ReadOnlySpan<byte> input)
    {
        ReadOnlySpan<byte> payload = input[..Math.Min(input.Length, CloseFrame.MaxControlPayload)];

        bool ok = CloseFrame.TryParse(payload, out int code, out FrameError error);
        (bool expectedOk, int expectedCode, FrameError expectedError) = Reference(payload);
        Invariant.Equal(expectedOk, ok, $"verdict on {Invariant.Hex(payload)}");
        Invariant.Equal(expectedError, error, "error");
        if (payload.Length >= 2 || ok)
        {
            Invariant.Equal(expectedCode, code, "code");
        }

        Invariant.Equal(ok, GuardedPages.With(payload, atEnd: true, p => CloseFrame.TryParse(p, out _, out _)), "verdict flush against the end guard");
        Invariant.Equal(ok, GuardedPages.With(payload, atEnd: false, p => CloseFrame.TryParse(p, out _, out _)), "verdict flush against the start guard");
        Invariant.Equal(FrameReference.IsSendableCloseCode(expectedCode), CloseFrame.IsValidReceivedCode(expectedCode), $"IsValidReceivedCode({expectedCode})");

        if (ok)
        {
            string reason = CloseFrame.ReadReason(payload);
            Invariant.SequenceEqual(payload.Length <= 2 ? [] : payload[2..], Encoding.UTF8.GetBytes(reason), "ReadReason round trip");
            if (code != CloseFrame.NoStatus)
            {
                RoundTrip(code, reason, CloseFrame.MaxControlPayload);
            }
        }

        // The writer with a reason made from the input (lossy, so always text), possibly longer than fits.
        int writeCode = payload.Length >= 2 && FrameReference.IsSendableCloseCode(expectedCode) ? expectedCode : 1000;
        string text = Encoding.UTF8.GetString(input);
        string longReason = input.Length > 0 && (input[0] & 1) != 0 ? string.Concat(text, text, text) : text;
        int destination = 2 + (input.Length == 0 ? 123 : input[^1] % 124);
        RoundTrip(writeCode, longReason, destination);
    }

    private static void RoundTrip(int code, string reason, int destinationLength)
    {
        byte[] buffer = new byte[destinationLength + 16];
        buffer.AsSpan().Fill(0xEE);
        int written = CloseFrame.WritePayload(buffer.AsSpan(0, destinationLength), code, reason);
        Invariant.True(written >= 2 && written <= destinationLength, $"WritePayload wrote {written} of {destinationLength}");
        Invariant.True(!buffer.AsSpan(destinationLength).ContainsAnyExcept((byte)0xEE), "WritePayload wrote past its destination");

        ReadOnlySpan<byte> payload = buffer.AsSpan(0, written);
        Invariant.True(CloseFrame.TryParse(payload, out int parsed, out FrameError error), $"WritePayload({code}) wrote an invalid payload ({error}): {Invariant.Hex(payload)}");
        Invariant.Equal(code, parsed, "written code");

        byte[] full = Encoding.UTF8.GetBytes(reason); // lone surrogates become U+FFFD, as the writer's replacement does
        ReadOnlySpan<byte> kept = payload[2..];
        Invariant.True(full.AsSpan().StartsWith(kept), "the written reason is not a prefix of the reason");
        int room = Math.Min(CloseFrame.MaxReasonBytes, destinationLength - 2);
        if (full.Length <= room)
        {
            Invariant.Equal(full.Length, kept.Length, "a reason that fits was truncated");
        }
        else
        {
            // The longest prefix that fits and ends on a code point boundary.
            int best = room;
            while (best > 0 && (full[best] & 0xC0) == 0x80)
            {
                best--;
            }

            Invariant.Equal(best, kept.Length, $"truncation to {room} bytes");
        }

        _ = Strict.GetString(kept); // throws on a split code point
    }

    private static (bool Ok, int Code, FrameError Error) Reference(ReadOnlySpan<byte> payload)
    {
        if (payload.Length == 0)
        {
            return (true, 1005, FrameError.None);
        }

        if (payload.Length == 1)
        {
            return (false, 1005, FrameError.InvalidClosePayload);
        }

        int code = BinaryPrimitives.ReadUInt16BigEndian(payload);
        if (!FrameReference.IsSendableCloseCode(code))
        {
            return (false, code, FrameError.InvalidCloseCode);
        }

        return Utf8Reference.IsValid(payload[2..]) ? (true, code, FrameError.None) : (false, code, FrameError.InvalidCloseReasonUtf8);
    }
}
