namespace C2Fast.Simulator;

/// <summary>Placeholder until the simulator lands (issue 4).</summary>
internal static class SimulatorPlaceholder;
