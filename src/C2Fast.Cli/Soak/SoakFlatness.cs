using System.Globalization;

namespace C2Fast.Cli.Soak;

/// <summary>How much a resource may rise between the reference window and the end of a soak and still count as flat.</summary>
/// <param name="Metric">The metric's name in the report.</param>
/// <param name="Unit">Its unit, for the table.</param>
/// <param name="RelativeSlack">Allowed rise as a fraction of the reference.</param>
/// <param name="AbsoluteSlack">Allowed rise in the metric's unit; the larger of the two slacks applies.</param>
internal sealed record SoakFlatRule(string Metric, string Unit, double RelativeSlack, double AbsoluteSlack)
{
    public const double MiB = 1024 * 1024;

    /// <summary>Working set (VmRSS): 10 % or 8 MiB. The GC keeps some memory committed between collections.</summary>
    public static SoakFlatRule WorkingSet { get; } = new("workingSetBytes", "bytes", 0.10, 8 * MiB);

    /// <summary>Managed heap live after a full collection (taken at each sample): 10 % or 1 MiB.</summary>
    public static SoakFlatRule GcHeap { get; } = new("gcHeapBytes", "bytes", 0.10, 1 * MiB);

    /// <summary>Threads: 4 more (the thread pool adds and retires a few on its own).</summary>
    public static SoakFlatRule Threads { get; } = new("threads", "threads", 0, 4);

    /// <summary>File descriptors: 2 more (a sample may catch a reconnect with the old socket not yet closed).</summary>
    public static SoakFlatRule Handles { get; } = new("handles", "fds", 0, 2);

    public static IReadOnlyList<SoakFlatRule> All { get; } = [WorkingSet, GcHeap, Threads, Handles];

    /// <summary>The rule in words, for the help and the report.</summary>
    public string Describe() => RelativeSlack > 0
        ? string.Create(CultureInfo.InvariantCulture, $"last-quarter max ≤ reference + max({RelativeSlack:P0}, {Format(AbsoluteSlack)})")
        : string.Create(CultureInfo.InvariantCulture, $"last-quarter max ≤ reference + {Format(AbsoluteSlack)}");

    internal string Format(double value) => Unit == "bytes"
        ? string.Create(CultureInfo.InvariantCulture, $"{value / MiB:0.#} MiB")
        : string.Create(CultureInfo.InvariantCulture, $"{value:0} {Unit}");
}

/// <summary>The flatness verdict of one metric.</summary>
/// <param name="Metric">The metric.</param>
/// <param name="Judged">Whether there were enough samples in both windows to judge (and judging was asked for).</param>
/// <param name="Flat">Whether the final window stayed within the limit (true when not judged: nothing was shown to grow).</param>
/// <param name="Reference">Max over the reference window (after warm-up, up to half-time).</param>
/// <param name="Final">Max over the last quarter.</param>
/// <param name="Limit">The largest final value still flat.</param>
/// <param name="First">The first sample.</param>
/// <param name="Max">The largest sample.</param>
/// <param name="SlopePerHour">Least-squares slope over the samples after warm-up, per hour (informational).</param>
/// <param name="Rule">The rule in words.</param>
/// <param name="Note">Why it was not judged, when it was not.</param>
internal sealed record SoakFlatResult(
    string Metric, bool Judged, bool Flat, double Reference, double Final, double Limit, double First, double Max, double SlopePerHour, string Rule, string? Note);

/// <summary>
/// "Flat after warm-up": the run is cut in quarters. The first quarter is warm-up (JIT, pools, the first reconnects);
/// the reference is the largest sample of the second quarter; the metric is flat when the largest sample of the last
/// quarter is at most the reference plus the rule's slack. Maxima, not single samples, so that one sample taken in
/// the middle of a reconnect or just before a collection neither hides a leak nor fails a flat run; a leak raises
/// every later maximum, so it still shows. Each window needs at least two samples to be judged.
/// </summary>
internal static class SoakFlatness
{
    public const int MinSamplesPerWindow = 2;

    /// <summary>Judges <paramref name="samples"/> (time since the start, value) of a run lasting <paramref name="duration"/>.</summary>
    public static SoakFlatResult Judge(IReadOnlyList<(TimeSpan At, double Value)> samples, TimeSpan duration, SoakFlatRule rule, bool judge = true)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(rule);
        TimeSpan warmUpEnd = duration / 4;
        TimeSpan half = duration / 2;
        TimeSpan lastQuarter = duration * 3 / 4;
        double[] reference = [.. samples.Where(s => s.At >= warmUpEnd && s.At <= half).Select(s => s.Value)];
        double[] final = [.. samples.Where(s => s.At >= lastQuarter && s.At <= duration).Select(s => s.Value)];
        double first = samples.Count > 0 ? samples[0].Value : 0;
        double max = samples.Count > 0 ? samples.Max(s => s.Value) : 0;
        double slope = SlopePerHour([.. samples.Where(s => s.At >= warmUpEnd && s.At <= duration)]);
        if (!judge || reference.Length < MinSamplesPerWindow || final.Length < MinSamplesPerWindow)
        {
            string note = !judge
                ? "not judged: a quick run is too short for a memory trend"
                : $"not judged: {reference.Length} sample(s) in the reference window and {final.Length} in the last quarter (need {MinSamplesPerWindow} each)";
            return new SoakFlatResult(rule.Metric, false, true, reference.DefaultIfEmpty().Max(), final.DefaultIfEmpty().Max(), 0, first, max, slope, rule.Describe(), note);
        }

        double referenceMax = reference.Max();
        double finalMax = final.Max();
        double limit = referenceMax + Math.Max(referenceMax * rule.RelativeSlack, rule.AbsoluteSlack);
        return new SoakFlatResult(rule.Metric, true, finalMax <= limit, referenceMax, finalMax, limit, first, max, slope, rule.Describe(), null);
    }

    /// <summary>Least-squares slope of value over time, per hour; 0 with fewer than two samples or no time spread.</summary>
    public static double SlopePerHour(IReadOnlyList<(TimeSpan At, double Value)> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count < 2)
        {
            return 0;
        }

        double meanX = samples.Average(s => s.At.TotalHours);
        double meanY = samples.Average(s => s.Value);
        double sxx = samples.Sum(s => (s.At.TotalHours - meanX) * (s.At.TotalHours - meanX));
        double sxy = samples.Sum(s => (s.At.TotalHours - meanX) * (s.Value - meanY));
        return sxx <= 0 ? 0 : sxy / sxx;
    }
}
