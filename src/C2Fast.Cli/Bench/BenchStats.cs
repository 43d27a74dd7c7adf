namespace C2Fast.Cli.Bench;

/// <summary>The arithmetic of the report: medians, ratios, rates. Pure.</summary>
internal static class BenchStats
{
    /// <summary>The median (mean of the two middle values for an even count); <see langword="null"/> for no values.</summary>
    public static double? Median(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        double[] sorted = [.. values.Where(v => !double.IsNaN(v)).Order()];
        if (sorted.Length == 0)
        {
            return null;
        }

        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary><paramref name="value"/> / <paramref name="baseline"/>; <see langword="null"/> when either is missing or the baseline is not positive.</summary>
    public static double? Ratio(double? value, double? baseline)
        => value is { } v && baseline is { } b && b > 0 && !double.IsNaN(v) ? v / b : null;

    /// <summary>Per second over <paramref name="seconds"/>; 0 for an empty window.</summary>
    public static double Rate(double count, double seconds) => seconds > 0 ? count / seconds : 0;

    /// <summary>Bytes per message; <see langword="null"/> without a measurement or messages.</summary>
    public static double? PerMessage(long? bytes, long messages) => bytes is { } b && messages > 0 ? (double)b / messages : null;
}
