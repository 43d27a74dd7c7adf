using System.Buffers;
using C2Fast.Framing;

namespace C2Fast.Fuzz.Targets;

/// <summary>
/// <see cref="FrameHeaderParser"/>. Input: byte 0 picks the payload limit, the rest (up to 24 bytes) is what was
/// received at a frame boundary.
/// </summary>
/// <remarks>
/// Invariants: on every prefix of the input the parser agrees with <see cref="FrameReference"/> (status, header,
/// error); the outcome is monotonic (NeedMoreData until the first decisive prefix, then the same answer for every
/// longer one) and a header is Done exactly at its own length (never on a strict prefix, never needing a byte past
/// it); no out-param is left half-filled; the span overload, the sequence overload (whole, one byte per segment,
/// split at every offset) and copies flush against guard pages all answer the same.
/// </remarks>
internal sealed class FrameHeaderTarget : IFuzzTarget
{
    private const int MaxData = 24;

    private static readonly long[] Limits = [16 * 1024 * 1024, 125, 126, 0xFFFF, 0x10000, long.MaxValue, 0, 1];

    public string Name => "frame-header";

    public string Description => "FrameHeaderParser vs an RFC 6455 reference, every prefix, span vs sequence shapes, guard pages";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        long limit = Limits[input[0] & 7];
        ReadOnlySpan<byte> data = input[1..Math.Min(input.Length, 1 + MaxData)];

        Result? decided = null;
        int decidedAt = -1;
        for (int k = 0; k <= data.Length; k++)
        {
            Result actual = ParseSpan(data[..k], limit);
            Result expected = Result.From(FrameReference.Parse(data[..k], limit));
            Invariant.Equal(expected, actual, $"prefix of {k} bytes {Invariant.Hex(data[..k])}, limit {limit}");

            if (decided is { } d)
            {
                Invariant.Equal(d, actual, $"answer changed after it was decided at {decidedAt} bytes ({k} bytes)");
            }
            else if (actual.Status != OperationStatus.NeedMoreData)
            {
                decided = actual;
                decidedAt = k;
                if (actual.Status == OperationStatus.Done)
                {
                    Invariant.Equal(actual.HeaderLength, k, "a header was Done before or after exactly its own bytes");
                }
            }
        }

        Result whole = ParseSpan(data, limit);
        Invariant.Equal(whole, ParseSequence(new ReadOnlySequence<byte>(data.ToArray()), limit), "sequence (one segment)");
        Invariant.Equal(whole, ParseSequence(Shapes.OneBytePerSegment(data), limit), "sequence (one byte per segment)");
        for (int at = 0; at <= data.Length; at++)
        {
            Invariant.Equal(whole, ParseSequence(Shapes.SplitAt(data, at), limit), $"sequence split at {at}");
        }

        Invariant.Equal(whole, GuardedPages.With(data, atEnd: true, d => ParseSpan(d, limit)), "span flush against the end guard");
        Invariant.Equal(whole, GuardedPages.With(data, atEnd: false, d => ParseSpan(d, limit)), "span flush against the start guard");
        Invariant.Equal(whole, GuardedPages.WithSequence(data, atEnd: true, s => ParseSequence(s, limit)), "sequence flush against the end guard");
    }

    private static Result ParseSpan(ReadOnlySpan<byte> data, long limit)
        => Result.From(FrameHeaderParser.TryParse(data, limit, out FrameHeader header, out FrameError error), header, error);

    private static Result ParseSequence(ReadOnlySequence<byte> data, long limit)
        => Result.From(FrameHeaderParser.TryParse(data, limit, out FrameHeader header, out FrameError error), header, error);

    private readonly record struct Result(OperationStatus Status, bool Fin, int Opcode, long PayloadLength, int HeaderLength, FrameError Error)
    {
        public static Result From(FrameReference.Header h) => new(h.Status, h.Fin, h.Opcode, h.PayloadLength, h.HeaderLength, h.Error);

        public static Result From(OperationStatus status, FrameHeader header, FrameError error)
        {
            Invariant.True(status is OperationStatus.Done or OperationStatus.NeedMoreData or OperationStatus.InvalidData, $"status {status}");
            Invariant.True(status == OperationStatus.Done || header == default, $"{status} with a header {header}");
            Invariant.True(status == OperationStatus.InvalidData ? error != FrameError.None : error == FrameError.None, $"{status} with error {error}");
            if (status == OperationStatus.Done)
            {
                Invariant.True(!header.IsControl || (header.Fin && header.PayloadLength <= 125), $"control header {header}");
                Invariant.Equal(header.HeaderLength + header.PayloadLength, header.FrameLength, "FrameLength");
            }

            return new Result(status, header.Fin, (int)header.Opcode, header.PayloadLength, header.HeaderLength, error);
        }
    }
}
