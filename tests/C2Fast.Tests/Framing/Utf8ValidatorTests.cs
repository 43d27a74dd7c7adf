using System.Text;
using C2Fast.Framing;

namespace C2Fast.Tests.Framing;

public class Utf8ValidatorTests
{
    public static TheoryData<string> ValidTexts => new()
    {
        "",
        "plain ascii",
        "κόσμε",                       // 2-byte code points
        "€ and ह and 한",              // 3-byte
        "𝄞 music 😀",                  // 4-byte (surrogate pairs in UTF-16)
        "\uFFFE\uFFFF noncharacters are valid",
        "\U0010FFFF max code point",
    };

    [Theory]
    [MemberData(nameof(ValidTexts))]
    public void TryValidate_ValidText_SplitAtEveryOffset_Valid(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        for (int split = 0; split <= bytes.Length; split++)
        {
            var validator = default(Utf8Validator);
            Assert.True(validator.TryValidate(bytes.AsSpan(0, split)), $"first part @{split}");
            Assert.True(validator.TryValidate(bytes.AsSpan(split)), $"second part @{split}");
            Assert.False(validator.HasPending, $"pending @{split}");
        }
    }

    [Theory]
    [MemberData(nameof(ValidTexts))]
    public void TryValidate_ValidText_OneBytePerChunk_Valid(string text)
    {
        var validator = default(Utf8Validator);
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            Assert.True(validator.TryValidate([b]));
        }

        Assert.False(validator.HasPending);
    }

    // Invalid sequences, and the number of leading bytes after which they can no longer be valid.
    [Theory]
    [InlineData(new byte[] { 0xC0, 0xAF }, 1)]                 // overlong '/': C0 is never valid
    [InlineData(new byte[] { 0xE0, 0x80, 0xAF }, 2)]           // overlong 3-byte
    [InlineData(new byte[] { 0xF0, 0x80, 0x80, 0xAF }, 2)]     // overlong 4-byte
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, 2)]           // UTF-16 surrogate D800
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 }, 2)]     // U+110000, above the maximum
    [InlineData(new byte[] { 0xF5, 0x80, 0x80, 0x80 }, 1)]     // F5 never valid
    [InlineData(new byte[] { 0x80 }, 1)]                       // stray continuation byte
    [InlineData(new byte[] { 0x41, 0xBF, 0x41 }, 2)]           // continuation after ASCII
    [InlineData(new byte[] { 0xCE, 0x41 }, 2)]                 // lead byte followed by ASCII
    [InlineData(new byte[] { 0xFF }, 1)]                       // FF never valid
    public void TryValidate_InvalidSequence_FailsAsSoonAsBytesCannotBeValid(byte[] bytes, int failsAfter)
    {
        var validator = default(Utf8Validator);
        for (int i = 0; i < bytes.Length; i++)
        {
            bool ok = validator.TryValidate(bytes.AsSpan(i, 1));
            if (i + 1 < failsAfter)
            {
                Assert.True(ok, $"byte {i} should still be a valid prefix");
            }
            else
            {
                Assert.False(ok, $"byte {i} should fail");
                return;
            }
        }

        Assert.Fail("never failed");
    }

    [Fact]
    public void TryValidate_TruncatedCodePointAtEnd_LeavesPending()
    {
        var validator = default(Utf8Validator);
        Assert.True(validator.TryValidate([0x41, 0xE2, 0x82])); // "A" + first 2 bytes of '€'
        Assert.True(validator.HasPending);
        Assert.True(validator.TryValidate([0xAC]));
        Assert.False(validator.HasPending);
    }

    [Fact]
    public void TryValidate_InvalidInsideLargeChunk_Fails()
    {
        byte[] bytes = Encoding.UTF8.GetBytes(new string('a', 1000) + "κόσμε" + new string('b', 1000));
        bytes[700] = 0xFE;
        var validator = default(Utf8Validator);
        Assert.False(validator.TryValidate(bytes));
    }

    [Fact]
    public void TryValidate_SeededRandomText_AgreesWithEncoding()
    {
        var random = new Random(6455);
        for (int round = 0; round < 500; round++)
        {
            byte[] bytes = new byte[random.Next(0, 40)];
            random.NextBytes(bytes);
            if (round % 2 == 0)
            {
                // Half the rounds: valid text made of random code points.
                var text = new StringBuilder();
                for (int i = 0; i < 10; i++)
                {
                    int cp = random.Next(0, 0x110000);
                    if (cp is >= 0xD800 and <= 0xDFFF)
                    {
                        continue;
                    }

                    text.Append(char.ConvertFromUtf32(cp));
                }

                bytes = Encoding.UTF8.GetBytes(text.ToString());
            }

            bool expected = System.Text.Unicode.Utf8.IsValid(bytes);
            int split = random.Next(0, bytes.Length + 1);
            var validator = default(Utf8Validator);
            bool actual = validator.TryValidate(bytes.AsSpan(0, split)) && validator.TryValidate(bytes.AsSpan(split)) && !validator.HasPending;
            Assert.Equal(expected, actual);
        }
    }
}
