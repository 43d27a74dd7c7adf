using System.Collections.Concurrent;
using System.Collections.Frozen;
using C2Fast.Simulator.Diagnostics;
using C2Fast.Simulator.Feeds;
using C2Fast.Simulator.Protocol;

namespace C2Fast.Simulator.Hosting;

/// <summary>State shared by every connection of one simulator: options, strategies, limits, counters, faults.</summary>
internal sealed class SimulatorCore
{
    private readonly ConcurrentDictionary<long, StrategyFeed> _feeds = new();
    private readonly FrozenSet<long> _allowed;
    private readonly FrozenSet<string> _apiKeys;
    private readonly Lock _limitGate = new();
    private readonly Dictionary<string, int> _perKey = new(StringComparer.Ordinal);
    private int _total;
    private long _connectionIds;
    private C2FaultPlan _faultPlan;
    private int _rejectRemaining;
    private int _rejectStatus = 429;

    public SimulatorCore(C2SimulatorOptions options, TimeProvider time)
    {
        Options = options;
        Time = time;
        Stats = new SimulatorStats();
        Writer = new EnvelopeWriter(new MessageIds(), options, time);
        _allowed = (options.AllowedStrategies ?? options.Strategies).ToFrozenSet();
        _apiKeys = options.ApiKeys.ToFrozenSet(StringComparer.Ordinal);
        _faultPlan = options.Faults;
        if (options.Faults.RejectHandshakes > 0)
        {
            RejectNextHandshakes(options.Faults.RejectHandshakes, options.Faults.RejectStatusCode);
        }
    }

    public C2SimulatorOptions Options { get; }

    public TimeProvider Time { get; }

    public SimulatorStats Stats { get; }

    public EnvelopeWriter Writer { get; }

    public ConcurrentDictionary<long, C2SimulatorConnection> Connections { get; } = new();

    public C2FaultPlan FaultPlan => Volatile.Read(ref _faultPlan);

    public bool IsAllowed(long strategyId) => _allowed.Contains(strategyId);

    public bool IsValidKey(string key) => _apiKeys.Contains(key);

    public StrategyFeed Feed(long strategyId) => _feeds.GetOrAdd(strategyId, id => new StrategyFeed(id, Options, Writer, Stats));

    public StrategyFeed? FindFeed(long strategyId) => _feeds.GetValueOrDefault(strategyId);

    public long NextConnectionId() => Interlocked.Increment(ref _connectionIds);

    /// <summary>Called once per connection when it has ended (see <see cref="C2Simulator.ConnectionEnded"/>).</summary>
    public Action<C2SimulatorConnection>? ConnectionEnded { get; set; }

    public void OnConnectionEnded(C2SimulatorConnection connection)
    {
        try
        {
            ConnectionEnded?.Invoke(connection);
        }
        catch (Exception ex)
        {
            // A failing observer must not take the connection's cleanup with it: counted as an internal error.
            Stats.InternalError(ex);
        }
    }

    public void SetFaultPlan(C2FaultPlan plan)
    {
        plan.Validate();
        Volatile.Write(ref _faultPlan, plan);
        if (plan.RejectHandshakes > 0)
        {
            RejectNextHandshakes(plan.RejectHandshakes, plan.RejectStatusCode);
        }
    }

    public void RejectNextHandshakes(int count, int statusCode)
    {
        lock (_limitGate)
        {
            _rejectRemaining = count;
            _rejectStatus = statusCode;
        }
    }

    /// <summary>Consumes one forced rejection, if any are left; returns its status.</summary>
    public int? TakeForcedRejection()
    {
        lock (_limitGate)
        {
            if (_rejectRemaining <= 0)
            {
                return null;
            }

            _rejectRemaining--;
            return _rejectStatus;
        }
    }

    /// <summary>Takes a connection slot: <see cref="LimitResult.Ok"/>, or which limit is full.</summary>
    public LimitResult TryAcquire(string key)
    {
        lock (_limitGate)
        {
            if (_total >= Options.GlobalConnectionLimit)
            {
                return LimitResult.GlobalFull;
            }

            _perKey.TryGetValue(key, out var count);
            if (count >= Options.MaxConnectionsPerKey)
            {
                return LimitResult.KeyFull;
            }

            _perKey[key] = count + 1;
            _total++;
            return LimitResult.Ok;
        }
    }

    public void Release(string key)
    {
        lock (_limitGate)
        {
            _total--;
            if (--_perKey[key] == 0)
            {
                _perKey.Remove(key);
            }
        }
    }
}

/// <summary>The outcome of <see cref="SimulatorCore.TryAcquire"/>.</summary>
internal enum LimitResult
{
    Ok,
    KeyFull,
    GlobalFull,
}
