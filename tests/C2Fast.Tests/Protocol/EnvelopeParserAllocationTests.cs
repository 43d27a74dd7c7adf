using System.Buffers;
using System.Runtime.CompilerServices;
using C2Fast.Protocol;

using C2Fast.Tests.TestData;

namespace C2Fast.Tests.Protocol;

/// <summary>House-style rule 8: 0 B per message, measured with <see cref="GC.GetAllocatedBytesForCurrentThread"/> after warm-up.</summary>
public class EnvelopeParserAllocationTests
{
    private const int Iterations = 2_000;

    public static TheoryData<string> Messages()
    {
        var data = new TheoryData<string>();
        foreach (string json in ProtocolSamples.AllMessages.Concat(EnvelopeParserTests.TrickyMessages))
        {
            data.Add(json);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Parse_ValidMessageSingleSegment_ZeroBytesAllocated(string json)
    {
        byte[] bytes = ProtocolSamples.Utf8(json);

        long allocated = MeasureSpan(bytes);

        Assert.Equal(0, allocated);
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Parse_ValidMessageMultiSegment_ZeroBytesAllocated(string json)
    {
        byte[] bytes = ProtocolSamples.Utf8(json);
        ReadOnlySequence<byte> thirds = Sequences.SplitAt(bytes, bytes.Length / 3, 2 * bytes.Length / 3);
        ReadOnlySequence<byte> bytewise = Sequences.OneBytePerSegment(bytes);

        Assert.Equal(0, MeasureSequence(thirds, Iterations));
        Assert.Equal(0, MeasureSequence(bytewise, Iterations / 10));
    }

    [Fact]
    public void UnescapeAndTextEquals_EscapedRange_ZeroBytesAllocated()
    {
        byte[] bytes = ProtocolSamples.Utf8("""{"msg_type":"subscription.ack","request_id":"my\u002dsub-001"}""");
        Assert.Equal(OperationStatus.Done, EnvelopeParser.Parse(bytes, out Envelope e, out _));
        ReadOnlySequence<byte> split = Sequences.SplitAt(bytes, 50);

        long allocated = MeasureUnescape(bytes, split, e.RequestId);

        Assert.Equal(0, allocated);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long MeasureSpan(byte[] bytes)
    {
        long check = 0;
        for (int i = 0; i < 200; i++)
        {
            check += ParseOnce(bytes);
        }

        // Best of three rounds, as for sequences: an OSR compile on this thread is a one-off, a per-call allocation is not.
        long best = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Iterations; i++)
            {
                check += ParseOnce(bytes);
            }

            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(check > 0);
        return best;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long MeasureSequence(ReadOnlySequence<byte> sequence, int iterations)
    {
        long check = 0;
        for (int i = 0; i < 200; i++)
        {
            check += ParseOnce(sequence);
        }

        // Best of three rounds: the JIT may compile (tier-up / OSR) on this very thread during one
        // round and that one-off is not the parser's; a per-call allocation shows in every round.
        long best = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < iterations; i++)
            {
                check += ParseOnce(sequence);
            }

            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(check > 0);
        return best;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long MeasureUnescape(byte[] bytes, ReadOnlySequence<byte> split, ValueRange range)
    {
        Span<byte> destination = stackalloc byte[64];
        long check = 0;
        for (int pass = 0; pass < 2; pass++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < (pass == 0 ? 200 : Iterations); i++)
            {
                EnvelopeParser.Unescape(bytes, range, destination, out int written);
                check += written;
                EnvelopeParser.Unescape(split, range, destination, out written);
                check += written;
                check += EnvelopeParser.TextEquals(bytes, range, "my-sub-001"u8) ? 1 : 0;
                check += EnvelopeParser.TextEquals(split, range, "my-sub-001"u8) ? 1 : 0;
            }

            long after = GC.GetAllocatedBytesForCurrentThread();
            if (pass == 1)
            {
                Assert.Equal((10 + 10 + 1 + 1) * (200L + Iterations), check);
                return after - before;
            }
        }

        return -1;
    }

    private static long ParseOnce(ReadOnlySpan<byte> bytes)
    {
        OperationStatus status = EnvelopeParser.Parse(bytes, out Envelope e, out _);
        return status == OperationStatus.Done ? (long)e.Type + e.Payload.Length + e.MsgType.Length : -1_000_000;
    }

    private static long ParseOnce(in ReadOnlySequence<byte> sequence)
    {
        OperationStatus status = EnvelopeParser.Parse(sequence, out Envelope e, out _);
        return status == OperationStatus.Done ? (long)e.Type + e.Payload.Length + e.MsgType.Length : -1_000_000;
    }
}
