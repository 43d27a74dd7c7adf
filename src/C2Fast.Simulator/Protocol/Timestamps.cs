using System.Globalization;

namespace C2Fast.Simulator.Protocol;

/// <summary>The timestamp shape of the vendor's examples: <c>YYYY-MM-DDTHH:MM:SSZ</c>, UTC, whole seconds.</summary>
internal static class Timestamps
{
    public const int Length = 20;

    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Parses any ISO-8601 date-time a client may send (Z or offset, with or without fractions).</summary>
    public static bool TryParse(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time)
        && text.Contains('T', StringComparison.Ordinal);
}
