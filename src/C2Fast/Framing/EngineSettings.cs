namespace C2Fast.Framing;

/// <summary>What the RFC 6455 engine needs to know; nothing about feeds, sockets or the public options.</summary>
/// <param name="MaxMessageSize">The largest message (all fragments together) accepted; larger fails with close 1009 as soon as a header shows it.</param>
/// <param name="CloseTimeout">How long the close handshake, and then the wait for the server to end TCP, may take.</param>
/// <param name="SilenceTimeout">With no complete frame for this long (and the loop not paused) the connection is treated as dead; <see cref="Timeout.InfiniteTimeSpan"/> disables it.</param>
/// <param name="Time">The clock for every timeout above.</param>
internal sealed record EngineSettings(int MaxMessageSize, TimeSpan CloseTimeout, TimeSpan SilenceTimeout, TimeProvider Time)
{
    /// <summary>Defaults for tests and benchmarks: 16 MiB messages, 5 s close timeout, no silence limit, the system clock.</summary>
    public static EngineSettings Default { get; } = new(16 * 1024 * 1024, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan, TimeProvider.System);
}
