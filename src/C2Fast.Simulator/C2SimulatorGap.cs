namespace C2Fast.Simulator;

/// <summary>
/// A <c>gap</c> the simulator sent after a replay that hit its limit (or reached past its history): the signals from
/// <see cref="From"/> (the gap's <c>from</c>) to <see cref="Through"/> (the last one published when the gap was
/// sent) were not all replayed. Signals published later are live, never part of it.
/// </summary>
/// <param name="From">The first signal not replayed: the <c>from</c> the gap carried.</param>
/// <param name="Through">The last <c>seq_id</c> published when the gap was sent.</param>
public readonly record struct C2SimulatorGap(long From, long Through);
