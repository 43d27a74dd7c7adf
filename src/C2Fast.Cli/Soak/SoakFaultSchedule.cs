namespace C2Fast.Cli.Soak;

/// <summary>The faults <c>c2fast soak</c> injects into the simulator.</summary>
internal enum SoakFaultKind
{
    /// <summary>TCP ends without a close frame (a FIN): <c>C2SimulatorConnection.Drop</c>.</summary>
    Cut,

    /// <summary>TCP reset (an RST, linger 0), no close frame: <c>C2SimulatorConnection.Reset</c>.</summary>
    Reset,

    /// <summary>The server sends nothing, heartbeats included, for less than the client's silence timeout: the client must ride it out.</summary>
    Stall,

    /// <summary>The server sends nothing for longer than the client's silence timeout: the client must drop the connection and reconnect.</summary>
    LongStall,

    /// <summary>The server closes with 1008 (policy violation): the client backs off by its rejection delay and reconnects.</summary>
    Close1008,

    /// <summary>The server stops (close 1001 to every connection), nothing listens for a while, and it starts again on the same port with its feeds and history.</summary>
    Restart,
}

/// <summary>Names of <see cref="SoakFaultKind"/> on the command line and in the report.</summary>
internal static class SoakFaultKinds
{
    public static IReadOnlyList<SoakFaultKind> All { get; } = Enum.GetValues<SoakFaultKind>();

    public static string Name(SoakFaultKind kind) => kind switch
    {
        SoakFaultKind.Cut => "cut",
        SoakFaultKind.Reset => "rst",
        SoakFaultKind.Stall => "stall",
        SoakFaultKind.LongStall => "long-stall",
        SoakFaultKind.Close1008 => "close-1008",
        _ => "restart",
    };

    public static bool TryParse(string name, out SoakFaultKind kind)
    {
        foreach (SoakFaultKind candidate in All)
        {
            if (string.Equals(Name(candidate), name, StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }
}

/// <summary>One planned fault: wait <see cref="After"/> from the previous fault, then inject <see cref="Kind"/>.</summary>
/// <param name="Index">Its number, from 1.</param>
/// <param name="After">The pause after the previous fault was injected (or skipped), or after the start for the first.</param>
/// <param name="Kind">What to inject.</param>
/// <param name="Duration">A stall's length or a restart's downtime; zero for the others.</param>
internal sealed record SoakFault(int Index, TimeSpan After, SoakFaultKind Kind, TimeSpan Duration);

/// <summary>What the fault schedule is drawn from.</summary>
/// <param name="MeanGap">The mean pause between faults; each pause is uniform in [0.5, 1.5] × this.</param>
/// <param name="SilenceTimeout">The client's liveness limit (heartbeat interval + grace): a stall is drawn below it, a long stall above it.</param>
/// <param name="MaxDowntime">The longest restart downtime; each is uniform in [MaxDowntime / 10, MaxDowntime].</param>
/// <param name="Kinds">The kinds to draw from (each at least once in every run of <c>Kinds.Count</c> faults).</param>
internal sealed record SoakFaultSettings(TimeSpan MeanGap, TimeSpan SilenceTimeout, TimeSpan MaxDowntime, IReadOnlyList<SoakFaultKind> Kinds);

/// <summary>
/// The seeded fault schedule: the same seed and settings give the same faults, in the same order, with the same
/// pauses and durations. Kinds come in shuffled rounds ("bags"): every kind once per round, so even a short run sees
/// each of them; the order inside a round is random.
/// </summary>
/// <remarks>
/// Pauses are relative (after the previous fault), so a fault deferred while the client reconnects delays the ones
/// after it instead of letting them pile up. Stalls: <see cref="SoakFaultKind.Stall"/> uniform in [0.1, 0.6] × the
/// silence timeout (the client must keep the connection), <see cref="SoakFaultKind.LongStall"/> uniform in
/// [1.5, 2.0] × it (the client must give up on the connection: its watchdog checks every eighth of the timeout).
/// </remarks>
internal static class SoakFaultSchedule
{
    /// <summary>Faults whose pauses add up to at least <paramref name="horizon"/> (the soak stops using them at its end).</summary>
    public static IReadOnlyList<SoakFault> Create(int seed, SoakFaultSettings settings, TimeSpan horizon)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Kinds.Count == 0 || settings.MeanGap <= TimeSpan.Zero)
        {
            return [];
        }

        var random = new Random(seed);
        var faults = new List<SoakFault>();
        var bag = new List<SoakFaultKind>();
        TimeSpan total = TimeSpan.Zero;
        while (total < horizon)
        {
            if (bag.Count == 0)
            {
                bag.AddRange(settings.Kinds.Distinct());
                Shuffle(random, bag);
            }

            SoakFaultKind kind = bag[^1];
            bag.RemoveAt(bag.Count - 1);
            TimeSpan after = settings.MeanGap * (0.5 + random.NextDouble());
            TimeSpan duration = kind switch
            {
                SoakFaultKind.Stall => settings.SilenceTimeout * Uniform(random, 0.1, 0.6),
                SoakFaultKind.LongStall => settings.SilenceTimeout * Uniform(random, 1.5, 2.0),
                SoakFaultKind.Restart => settings.MaxDowntime * Uniform(random, 0.1, 1.0),
                _ => TimeSpan.Zero,
            };
            faults.Add(new SoakFault(faults.Count + 1, Round(after), kind, Round(duration)));
            total += after;
        }

        return faults;
    }

    internal static double Uniform(Random random, double low, double high) => low + (random.NextDouble() * (high - low));

    internal static void Shuffle<T>(Random random, List<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static TimeSpan Round(TimeSpan value) => TimeSpan.FromMilliseconds(Math.Round(value.TotalMilliseconds));
}
