using C2Fast.Diagnostics;

namespace C2Fast.Protocol;

/// <summary>Writes the C2 timestamp form <c>YYYY-MM-DDTHH:MM:SSZ</c> (ISO-8601 UTC, whole seconds) as UTF-8 digits.</summary>
/// <remarks>
/// Written digit by digit: no format string, no culture, no allocation. Every client timestamp
/// must be within one minute of UTC (Contract.md §4), so callers pass <see cref="DateTime.UtcNow"/>
/// at send time; a <see cref="DateTimeKind.Local"/> value is converted, an
/// <see cref="DateTimeKind.Unspecified"/> one is taken as UTC.
/// </remarks>
internal static class UtcTimestamp
{
    /// <summary>Length of <c>YYYY-MM-DDTHH:MM:SSZ</c> in bytes.</summary>
    public const int Length = 20;

    /// <summary>Writes <paramref name="utcNow"/>, truncated to whole seconds, into the first <see cref="Length"/> bytes of <paramref name="destination"/>.</summary>
    /// <param name="destination">At least <see cref="Length"/> bytes.</param>
    /// <param name="utcNow">The time to write (normally <see cref="DateTime.UtcNow"/>).</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="Length"/>.</exception>
    public static void Write(Span<byte> destination, DateTime utcNow)
    {
        if (destination.Length < Length)
        {
            ThrowDestinationTooSmall();
        }

        if (utcNow.Kind == DateTimeKind.Local)
        {
            utcNow = utcNow.ToUniversalTime();
        }

        utcNow.Deconstruct(out int year, out int month, out int day);
        TimeSpan time = utcNow.TimeOfDay;

        // Writing the last byte first drops the bounds checks of the rest.
        destination[19] = (byte)'Z';
        WriteFourDigits(destination, year);
        destination[4] = (byte)'-';
        WriteTwoDigits(destination[5..], month);
        destination[7] = (byte)'-';
        WriteTwoDigits(destination[8..], day);
        destination[10] = (byte)'T';
        WriteTwoDigits(destination[11..], time.Hours);
        destination[13] = (byte)':';
        WriteTwoDigits(destination[14..], time.Minutes);
        destination[16] = (byte)':';
        WriteTwoDigits(destination[17..], time.Seconds);
    }

    private static void WriteFourDigits(Span<byte> destination, int value)
    {
        (int high, int low) = Math.DivRem(value, 100);
        WriteTwoDigits(destination, high);
        WriteTwoDigits(destination[2..], low);
    }

    private static void WriteTwoDigits(Span<byte> destination, int value)
    {
        (int tens, int ones) = Math.DivRem(value, 10);
        destination[1] = (byte)('0' + ones);
        destination[0] = (byte)('0' + tens);
    }

    private static void ThrowDestinationTooSmall() =>
        ThrowHelper.ThrowArgument("destination", "The destination is shorter than a timestamp (20 bytes).");
}
