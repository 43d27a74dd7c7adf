using System.Runtime.InteropServices;
using C2Fast.Framing;

namespace C2Fast.Tests.Framing;

public class MaskTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(3, 1)]
    [InlineData(31, 2)]
    [InlineData(32, 3)]
    [InlineData(47, 1)]
    [InlineData(1000, 0)]
    [InlineData(65537, 2)]
    public void Apply_AnyLengthAndOffset_MatchesNaiveXor(int length, int offset)
    {
        var random = new Random(length * 31 + offset);
        byte[] data = new byte[length];
        random.NextBytes(data);
        byte[] key = [0x37, 0xFA, 0x21, 0x3D];

        byte[] expected = new byte[length];
        for (int i = 0; i < length; i++)
        {
            expected[i] = (byte)(data[i] ^ key[(i + offset) % 4]);
        }

        Mask.Apply(data, MemoryMarshal.Read<uint>(key), offset);
        Assert.Equal(expected, data);
    }

    [Fact]
    public void Apply_InPieces_SameAsWhole()
    {
        byte[] data = new byte[1000];
        new Random(7).NextBytes(data);
        uint key = 0xA1B2C3D4;
        byte[] whole = (byte[])data.Clone();
        Mask.Apply(whole, key);

        byte[] pieces = (byte[])data.Clone();
        int[] cuts = [0, 1, 7, 40, 41, 333, 1000];
        for (int i = 0; i < cuts.Length - 1; i++)
        {
            Mask.Apply(pieces.AsSpan(cuts[i], cuts[i + 1] - cuts[i]), key, cuts[i]);
        }

        Assert.Equal(whole, pieces);
    }

    [Fact]
    public void Rfc6455Example_MaskedHello()
    {
        // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d is 7f 9f 4d 51 58.
        byte[] hello = "Hello"u8.ToArray();
        Mask.Apply(hello, MemoryMarshal.Read<uint>(new byte[] { 0x37, 0xFA, 0x21, 0x3D }));
        Assert.Equal(new byte[] { 0x7F, 0x9F, 0x4D, 0x51, 0x58 }, hello);
    }

    [Fact]
    public void MaskKeySource_KeysAreFreshAcrossManyFrames()
    {
        var source = new MaskKeySource();
        var keys = new HashSet<uint>();
        for (int i = 0; i < 1000; i++)
        {
            keys.Add(source.Next());
        }

        // 1000 random 32-bit keys: a collision is possible but more than a few means no randomness.
        Assert.True(keys.Count > 990, $"{keys.Count} distinct keys");
    }
}
