using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using BenchmarkDotNet.Attributes;
using C2Fast.Framing;

namespace C2Fast.Benchmarks;

/// <summary>Frame header parse per frame: a typical 7-bit header, 16-bit, 64-bit, and one split across segments.</summary>
[MemoryDiagnoser]
public class FrameHeaderBenchmarks
{
    private readonly ReadOnlySequence<byte> _small = new([0x81, 0x7D]);
    private readonly ReadOnlySequence<byte> _medium = new([0x81, 0x7E, 0x01, 0x3A]);
    private readonly ReadOnlySequence<byte> _large = new([0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]);
    private readonly ReadOnlySequence<byte> _split = Segments.Split([0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0], 3);

    [Benchmark(Baseline = true)]
    public long SevenBitLength() => Parse(_small);

    [Benchmark]
    public long SixteenBitLength() => Parse(_medium);

    [Benchmark]
    public long SixtyFourBitLength() => Parse(_large);

    [Benchmark]
    public long SplitAcrossSegments() => Parse(_split);

    private static long Parse(in ReadOnlySequence<byte> buffer)
    {
        FrameHeaderParser.TryParse(buffer, 16 * 1024 * 1024, out FrameHeader header, out _);
        return header.PayloadLength;
    }
}

/// <summary>Masking cost per KiB: the vectorised mask against a byte-at-a-time loop.</summary>
[MemoryDiagnoser]
public class MaskBenchmarks
{
    private byte[] _data = [];
    private readonly byte[] _key = [0x37, 0xFA, 0x21, 0x3D];

    [Params(128, 1024, 16384)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size];
        new Random(1).NextBytes(_data);
    }

    [Benchmark(Baseline = true)]
    public void ByteLoop()
    {
        byte[] data = _data;
        byte[] key = _key;
        for (int i = 0; i < data.Length; i++)
        {
            data[i] ^= key[i & 3];
        }
    }

    [Benchmark]
    public void Vectorised() => Mask.Apply(_data, MemoryMarshal.Read<uint>(_key));
}

/// <summary>UTF-8 validation per message: whole (vectorised) and in fragments through the incremental validator.</summary>
[MemoryDiagnoser]
public class Utf8ValidationBenchmarks
{
    private byte[] _text = [];

    [Params(300, 4096)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var builder = new StringBuilder();
        while (builder.Length < Size)
        {
            builder.Append("{\"symbol\":\"ESZ6\",\"note\":\"κόσμε €\",\"quantity\":2},");
        }

        _text = Encoding.UTF8.GetBytes(builder.ToString())[..Size];
        while (!System.Text.Unicode.Utf8.IsValid(_text))
        {
            _text = _text[..^1];
        }
    }

    [Benchmark(Baseline = true)]
    public bool WholeMessage() => System.Text.Unicode.Utf8.IsValid(_text);

    [Benchmark]
    public bool SixteenFragments()
    {
        var validator = default(Utf8Validator);
        int step = Math.Max(1, _text.Length / 16);
        for (int i = 0; i < _text.Length; i += step)
        {
            if (!validator.TryValidate(_text.AsSpan(i, Math.Min(step, _text.Length - i))))
            {
                return false;
            }
        }

        return !validator.HasPending;
    }
}

internal static class Segments
{
    public static ReadOnlySequence<byte> Split(byte[] data, int at)
    {
        var first = new Segment(data.AsMemory(0, at), 0);
        var second = new Segment(data.AsMemory(at), at);
        first.SetNext(second);
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
