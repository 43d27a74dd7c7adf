namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>A snapshot of a <see cref="TcpFaultProxy"/>'s counters (or one connection's: accepted is then 1).</summary>
/// <param name="ConnectionsAccepted">Client connections accepted.</param>
/// <param name="UpstreamConnectFailures">Accepted connections whose server could not be reached (the client got a reset).</param>
/// <param name="BytesUpstream">Bytes forwarded client → server.</param>
/// <param name="BytesDownstream">Bytes forwarded server → client.</param>
/// <param name="WritesUpstream">Socket writes client → server (equals the bytes with 1-byte writes on).</param>
/// <param name="WritesDownstream">Socket writes server → client.</param>
/// <param name="BytesReadUpstream">Bytes read from clients (read but not yet forwarded = held by a stall or delay).</param>
/// <param name="BytesReadDownstream">Bytes read from servers.</param>
public sealed record TcpFaultProxyCounters(
    long ConnectionsAccepted,
    long UpstreamConnectFailures,
    long BytesUpstream,
    long BytesDownstream,
    long WritesUpstream,
    long WritesDownstream,
    long BytesReadUpstream,
    long BytesReadDownstream);

/// <summary>Traffic counters written by the pumps with interlocked adds.</summary>
internal sealed class ProxyTraffic
{
    private long _accepted;
    private long _connectFailures;
    private long _bytesUp;
    private long _bytesDown;
    private long _writesUp;
    private long _writesDown;
    private long _readUp;
    private long _readDown;

    public void Accepted() => Interlocked.Increment(ref _accepted);

    public void ConnectFailed() => Interlocked.Increment(ref _connectFailures);

    public void Read(ProxyDirection direction, int bytes) =>
        Interlocked.Add(ref direction == ProxyDirection.Upstream ? ref _readUp : ref _readDown, bytes);

    public void Written(ProxyDirection direction, int bytes)
    {
        Interlocked.Add(ref direction == ProxyDirection.Upstream ? ref _bytesUp : ref _bytesDown, bytes);
        Interlocked.Increment(ref direction == ProxyDirection.Upstream ? ref _writesUp : ref _writesDown);
    }

    public TcpFaultProxyCounters Snapshot() => new(
        Volatile.Read(ref _accepted),
        Volatile.Read(ref _connectFailures),
        Volatile.Read(ref _bytesUp),
        Volatile.Read(ref _bytesDown),
        Volatile.Read(ref _writesUp),
        Volatile.Read(ref _writesDown),
        Volatile.Read(ref _readUp),
        Volatile.Read(ref _readDown));
}
