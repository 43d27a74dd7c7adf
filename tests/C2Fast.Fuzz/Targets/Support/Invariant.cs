using System.Globalization;

namespace C2Fast.Fuzz.Targets;

/// <summary>An invariant of a fuzz target did not hold: a finding.</summary>
internal sealed class InvariantViolationException : Exception
{
    public InvariantViolationException()
    {
    }

    public InvariantViolationException(string message)
        : base(message)
    {
    }

    public InvariantViolationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>Invariant checks that throw <see cref="InvariantViolationException"/>, so AFL sees a crash.</summary>
internal static class Invariant
{
    public static void True(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvariantViolationException(what);
        }
    }

    public static void Equal<T>(T expected, T actual, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
        {
            throw new InvariantViolationException(string.Create(CultureInfo.InvariantCulture, $"{what}: expected {expected}, got {actual}"));
        }
    }

    public static void SequenceEqual(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, string what)
    {
        if (!expected.SequenceEqual(actual))
        {
            throw new InvariantViolationException(string.Create(CultureInfo.InvariantCulture, $"{what}: expected {Hex(expected)}, got {Hex(actual)}"));
        }
    }

    public static InvariantViolationException Fail(string what) => new(what);

    /// <summary>Up to 64 bytes as hex, for messages.</summary>
    public static string Hex(ReadOnlySpan<byte> bytes)
        => bytes.Length <= 64 ? Convert.ToHexString(bytes) : string.Create(CultureInfo.InvariantCulture, $"{Convert.ToHexString(bytes[..64])}... ({bytes.Length} B)");
}
