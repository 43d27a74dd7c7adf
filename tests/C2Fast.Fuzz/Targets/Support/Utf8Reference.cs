namespace C2Fast.Fuzz.Targets;

/// <summary>
/// An independent UTF-8 checker, written from the RFC 3629 §4 byte table (not from the library or the BCL): fed
/// bytes in any pieces, it says whether what it has seen can still be the start of valid UTF-8 and whether a code
/// point is left incomplete.
/// </summary>
internal struct Utf8Reference
{
    private int _needed;   // continuation bytes still expected for the current code point
    private byte _low;     // allowed range of the next continuation byte
    private byte _high;

    /// <summary>False once the bytes can no longer be valid UTF-8 (stays false).</summary>
    public bool Valid { get; private set; }

    /// <summary>Whether the bytes end inside a code point.</summary>
    public readonly bool Pending => _needed != 0;

    public static Utf8Reference Start() => new() { Valid = true };

    public static bool IsValid(ReadOnlySpan<byte> bytes)
    {
        Utf8Reference reference = Start();
        reference.Feed(bytes);
        return reference.Valid && !reference.Pending;
    }

    public void Feed(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (!Valid)
            {
                return;
            }

            if (_needed != 0)
            {
                if (b < _low || b > _high)
                {
                    Valid = false;
                    return;
                }

                _needed--;
                _low = 0x80;
                _high = 0xBF;
                continue;
            }

            switch (b)
            {
                case <= 0x7F:
                    break;
                case >= 0xC2 and <= 0xDF:
                    Expect(1, 0x80, 0xBF);
                    break;
                case 0xE0:
                    Expect(2, 0xA0, 0xBF);
                    break;
                case >= 0xE1 and <= 0xEC:
                case 0xEE or 0xEF:
                    Expect(2, 0x80, 0xBF);
                    break;
                case 0xED:
                    Expect(2, 0x80, 0x9F);
                    break;
                case 0xF0:
                    Expect(3, 0x90, 0xBF);
                    break;
                case >= 0xF1 and <= 0xF3:
                    Expect(3, 0x80, 0xBF);
                    break;
                case 0xF4:
                    Expect(3, 0x80, 0x8F);
                    break;
                default:
                    Valid = false;
                    return;
            }
        }
    }

    private void Expect(int needed, byte low, byte high)
    {
        _needed = needed;
        _low = low;
        _high = high;
    }
}
