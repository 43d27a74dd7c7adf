using System.Diagnostics;
using C2Fast.Simulator.Hosting;

namespace C2Fast.Simulator.Feeds;

/// <summary>Publishes signals at <see cref="C2SimulatorOptions.SignalRate"/> and positions every <see cref="C2SimulatorOptions.PositionsInterval"/>.</summary>
internal static class AutoPublisher
{
    public static async Task RunSignalsAsync(SimulatorCore core, CancellationToken cancellationToken)
    {
        var rate = core.Options.SignalRate;
        var strategies = core.Options.Strategies;
        if (rate <= 0 || strategies.Count == 0)
        {
            return;
        }

        // Publish what is due by elapsed time, so high rates are met without a timer per signal.
        var tick = TimeSpan.FromSeconds(Math.Clamp(1 / rate, 0.001, 0.1));
        var started = Stopwatch.GetTimestamp();
        long published = 0;
        using var timer = new PeriodicTimer(tick, core.Time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            var due = (long)(Stopwatch.GetElapsedTime(started).TotalSeconds * rate);
            for (; published < due; published++)
            {
                foreach (var strategyId in strategies)
                {
                    core.Feed(strategyId).PublishSignal();
                }
            }
        }
    }

    public static async Task RunPositionsAsync(SimulatorCore core, CancellationToken cancellationToken)
    {
        var interval = core.Options.PositionsInterval;
        if (interval <= TimeSpan.Zero || core.Options.Strategies.Count == 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, core.Time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var strategyId in core.Options.Strategies)
            {
                core.Feed(strategyId).PublishPositions();
            }
        }
    }
}
