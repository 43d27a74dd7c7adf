using C2Fast.Diagnostics;

namespace C2Fast;

/// <summary>The range checks every option group shares.</summary>
internal static class OptionRules
{
    public static void InRange(long value, long min, long max, string name)
    {
        if (value < min || value > max)
        {
            ThrowHelper.ThrowArgumentOutOfRange(name, value, $"Must be between {min} and {max}.");
        }
    }

    public static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            ThrowHelper.ThrowArgumentOutOfRange(name, value, "Must be positive or Timeout.InfiniteTimeSpan.");
        }
    }
}
