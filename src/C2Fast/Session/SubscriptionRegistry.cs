namespace C2Fast.Session;

/// <summary>
/// What the client is subscribed to: the acknowledged subscriptions (restored after a reconnect) and the ones
/// requested but not answered yet, which together count against the per-connection limit.
/// </summary>
internal sealed class SubscriptionRegistry
{
    private readonly object _gate = new();
    private readonly HashSet<(C2Channel Channel, long StrategyId)> _active = [];
    private readonly HashSet<(C2Channel Channel, long StrategyId)> _requested = [];

    /// <summary>Acknowledged subscriptions, a snapshot.</summary>
    public IReadOnlyCollection<(C2Channel Channel, long StrategyId)> Active
    {
        get
        {
            lock (_gate)
            {
                return [.. _active];
            }
        }
    }

    /// <summary>Makes room for a subscription about to be requested; false when <paramref name="limit"/> active and requested ones exist already.</summary>
    public bool TryReserve(C2Channel channel, long strategyId, int limit, out int planned)
    {
        lock (_gate)
        {
            planned = _active.Count + _requested.Count;
            if (_active.Contains((channel, strategyId)) || _requested.Contains((channel, strategyId)))
            {
                return true;
            }

            if (planned >= limit)
            {
                return false;
            }

            _requested.Add((channel, strategyId));
            return true;
        }
    }

    /// <summary>The server acknowledged a subscribe (now active) or an unsubscribe (no longer active).</summary>
    public void Acknowledged(C2Channel channel, long strategyId, bool subscribe)
    {
        lock (_gate)
        {
            _requested.Remove((channel, strategyId));
            if (subscribe)
            {
                _active.Add((channel, strategyId));
            }
            else
            {
                _active.Remove((channel, strategyId));
            }
        }
    }

    /// <summary>A subscribe was rejected or given up: its reservation goes (an active subscription stays).</summary>
    public void Release(C2Channel channel, long strategyId)
    {
        lock (_gate)
        {
            _requested.Remove((channel, strategyId));
        }
    }
}
