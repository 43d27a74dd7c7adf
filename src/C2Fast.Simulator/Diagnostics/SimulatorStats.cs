using System.Collections.Concurrent;
using System.Diagnostics;

namespace C2Fast.Simulator.Diagnostics;

/// <summary>The simulator's counters, written with interlocked operations by the connection loops.</summary>
internal sealed class SimulatorStats
{
    private const int MaxRoundTripSamples = 1_000_000;

    public long ActiveConnections;
    public long ConnectionsAccepted;
    public long Rejected401;
    public long Rejected429;
    public long Rejected503;
    public long RaceClosed;
    public long MessagesSent;
    public long BytesSent;
    public long HeartbeatsSent;
    public long AcksReceived;
    public long SignalsPublished;
    public long SignalsReplayed;
    public long GapsSent;
    public long SubscriptionAcks;
    public long ErrorsSent;
    public long Drops;
    public long Resets;
    public long HeartbeatsAcked;
    public long HeartbeatAckTimeouts;
    public long MaxHeartbeatAckDelayTicks;
    public long FloodMessages;
    public long InternalErrors;

    private readonly ConcurrentDictionary<int, long> _serverCloses = new();
    private readonly ConcurrentDictionary<int, long> _clientCloses = new();
    private readonly Lock _roundTripGate = new();
    private readonly List<long> _roundTrips = [];
    private C2FloodResult? _lastFlood;
    private string? _lastInternalError;

    public void Increment(ref long counter) => Interlocked.Increment(ref counter);

    public void Add(ref long counter, long value) => Interlocked.Add(ref counter, value);

    public void ServerClose(int code) => _serverCloses.AddOrUpdate(code, 1, static (_, n) => n + 1);

    public void ClientClose(int code) => _clientCloses.AddOrUpdate(code, 1, static (_, n) => n + 1);

    public void InternalError(Exception exception)
    {
        Interlocked.Increment(ref InternalErrors);
        Volatile.Write(ref _lastInternalError, exception.ToString());
    }

    /// <summary>Raises <see cref="MaxHeartbeatAckDelayTicks"/> to <paramref name="stopwatchTicks"/> if it is larger.</summary>
    public void HeartbeatAckDelay(long stopwatchTicks)
    {
        var seen = Volatile.Read(ref MaxHeartbeatAckDelayTicks);
        while (stopwatchTicks > seen)
        {
            var previous = Interlocked.CompareExchange(ref MaxHeartbeatAckDelayTicks, stopwatchTicks, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    public void FloodFinished(C2FloodResult result) => Volatile.Write(ref _lastFlood, result);

    /// <summary>Records one heartbeat → ack round trip, in <see cref="Stopwatch"/> ticks.</summary>
    public void RoundTrip(long stopwatchTicks)
    {
        lock (_roundTripGate)
        {
            if (_roundTrips.Count < MaxRoundTripSamples)
            {
                _roundTrips.Add(stopwatchTicks);
            }
        }
    }

    /// <summary>Drops every round trip recorded so far.</summary>
    public void ClearRoundTrips()
    {
        lock (_roundTripGate)
        {
            _roundTrips.Clear();
        }
    }

    public C2LatencySummary RoundTrips()
    {
        long[] samples;
        lock (_roundTripGate)
        {
            samples = [.. _roundTrips];
        }

        if (samples.Length == 0)
        {
            return new C2LatencySummary(0, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
        }

        Array.Sort(samples);
        return new C2LatencySummary(
            samples.Length, Rank(samples, 0.50), Rank(samples, 0.99), Rank(samples, 0.999), Stopwatch.GetElapsedTime(0, samples[^1]));
    }

    public C2SimulatorCounters Snapshot() => new()
    {
        ActiveConnections = Volatile.Read(ref ActiveConnections),
        ConnectionsAccepted = Volatile.Read(ref ConnectionsAccepted),
        Rejected401 = Volatile.Read(ref Rejected401),
        Rejected429 = Volatile.Read(ref Rejected429),
        Rejected503 = Volatile.Read(ref Rejected503),
        RaceClosed = Volatile.Read(ref RaceClosed),
        MessagesSent = Volatile.Read(ref MessagesSent),
        BytesSent = Volatile.Read(ref BytesSent),
        HeartbeatsSent = Volatile.Read(ref HeartbeatsSent),
        AcksReceived = Volatile.Read(ref AcksReceived),
        HeartbeatsAcked = Volatile.Read(ref HeartbeatsAcked),
        HeartbeatAckTimeouts = Volatile.Read(ref HeartbeatAckTimeouts),
        MaxHeartbeatAckDelay = Stopwatch.GetElapsedTime(0, Volatile.Read(ref MaxHeartbeatAckDelayTicks)),
        SignalsPublished = Volatile.Read(ref SignalsPublished),
        SignalsReplayed = Volatile.Read(ref SignalsReplayed),
        GapsSent = Volatile.Read(ref GapsSent),
        SubscriptionAcks = Volatile.Read(ref SubscriptionAcks),
        ErrorsSent = Volatile.Read(ref ErrorsSent),
        ServerClosesByCode = new Dictionary<int, long>(_serverCloses),
        ClientClosesByCode = new Dictionary<int, long>(_clientCloses),
        Drops = Volatile.Read(ref Drops),
        Resets = Volatile.Read(ref Resets),
        FloodMessages = Volatile.Read(ref FloodMessages),
        LastFlood = Volatile.Read(ref _lastFlood),
        InternalErrors = Volatile.Read(ref InternalErrors),
        LastInternalError = Volatile.Read(ref _lastInternalError),
    };

    // Nearest rank: the smallest sample with at least p of all samples at or below it.
    private static TimeSpan Rank(long[] sorted, double p)
    {
        var index = (int)Math.Ceiling(p * sorted.Length) - 1;
        return Stopwatch.GetElapsedTime(0, sorted[Math.Clamp(index, 0, sorted.Length - 1)]);
    }
}
