namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>
/// The fault switches of a <see cref="TcpFaultProxy"/> (global) or of one of its connections. A pump reads them
/// before every write, so a change applies mid-stream, from the next chunk (delay) or the next byte (stall, 1-byte writes).
/// </summary>
internal sealed class ProxySwitches : IDisposable
{
    private long _delayTicks;
    private volatile bool _oneByteWrites;

    public ProxyGate Upstream { get; } = new();

    public ProxyGate Downstream { get; } = new();

    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _delayTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Volatile.Write(ref _delayTicks, value.Ticks);
        }
    }

    public bool OneByteWrites
    {
        get => _oneByteWrites;
        set => _oneByteWrites = value;
    }

    public ProxyGate Gate(ProxyDirection direction) => direction == ProxyDirection.Upstream ? Upstream : Downstream;

    public void Stall(ProxyDirection directions, TimeSpan? duration)
    {
        if (duration is TimeSpan d)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(d, TimeSpan.Zero);
        }

        if (directions.HasFlag(ProxyDirection.Upstream))
        {
            Upstream.Close(duration);
        }

        if (directions.HasFlag(ProxyDirection.Downstream))
        {
            Downstream.Close(duration);
        }
    }

    public void Release(ProxyDirection directions)
    {
        if (directions.HasFlag(ProxyDirection.Upstream))
        {
            Upstream.Open();
        }

        if (directions.HasFlag(ProxyDirection.Downstream))
        {
            Downstream.Open();
        }
    }

    public void Dispose()
    {
        Upstream.Dispose();
        Downstream.Dispose();
    }
}
