namespace C2Fast.Cli.Soak;

/// <summary>One consumer stall: after <see cref="After"/> of reading, stop reading for <see cref="Duration"/>.</summary>
/// <param name="After">Reading time before the stall.</param>
/// <param name="Duration">How long the consumer reads nothing.</param>
/// <param name="Long">A long stall: meant to fill the queue so that backpressure pauses the client's read loop.</param>
internal readonly record struct SoakStall(TimeSpan After, TimeSpan Duration, bool Long);

/// <summary>What consumer stalls are drawn from.</summary>
/// <param name="MeanGap">Mean reading time between stalls; each is uniform in [0.5, 1.5] × this.</param>
/// <param name="ShortMax">A short stall is uniform in [ShortMax / 20, ShortMax].</param>
/// <param name="LongMin">A long stall is uniform in [LongMin, LongMax].</param>
/// <param name="LongMax">See <paramref name="LongMin"/>.</param>
/// <param name="LongEvery">One stall in this many is long (its place in each round of that many is random).</param>
internal sealed record SoakStallSettings(TimeSpan MeanGap, TimeSpan ShortMax, TimeSpan LongMin, TimeSpan LongMax, int LongEvery = 5);

/// <summary>
/// The seeded stalls of one consumer: an endless sequence, the same for the same seed. Stalls come in rounds of
/// <see cref="SoakStallSettings.LongEvery"/>, one of them long, so a run of a few rounds is sure to see a long one.
/// </summary>
internal sealed class SoakStallSchedule(int seed, SoakStallSettings settings)
{
    private readonly Random _random = new(seed);
    private readonly SoakStallSettings _settings = settings ?? throw new ArgumentNullException(nameof(settings));
    private int _longAt = -1;
    private int _position;

    /// <summary>The next stall.</summary>
    public SoakStall Next()
    {
        int every = Math.Max(1, _settings.LongEvery);
        if (_position % every == 0)
        {
            _longAt = _random.Next(every);
        }

        bool isLong = _position % every == _longAt;
        _position++;
        TimeSpan after = _settings.MeanGap * (0.5 + _random.NextDouble());
        TimeSpan duration = isLong
            ? _settings.LongMin + ((_settings.LongMax - _settings.LongMin) * _random.NextDouble())
            : _settings.ShortMax * SoakFaultSchedule.Uniform(_random, 0.05, 1.0);
        return new SoakStall(Round(after), Round(duration), isLong);
    }

    private static TimeSpan Round(TimeSpan value) => TimeSpan.FromMilliseconds(Math.Round(value.TotalMilliseconds));
}
