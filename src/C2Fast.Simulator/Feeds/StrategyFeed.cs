using C2Fast.Simulator.Diagnostics;
using C2Fast.Simulator.Connections;
using C2Fast.Simulator.Protocol;

namespace C2Fast.Simulator.Feeds;

/// <summary>
/// One strategy: its seq_id counter, retained history, generated signals and positions, and subscribers.
/// </summary>
/// <remarks>
/// Publishing and subscribing take the same lock and enqueue into the subscriber's single-writer outbox while
/// holding it. A subscription therefore enqueues its ack, its replay and its gap before any live signal published
/// after it, and a publish either reaches the history before the replay snapshot or reaches the new subscriber live:
/// no duplicate and no loss at the replay→live boundary. An unsubscribe ack is likewise the last message of that
/// subscription.
/// </remarks>
internal sealed class StrategyFeed
{
    private readonly Lock _gate = new();
    private readonly C2SimulatorOptions _options;
    private readonly EnvelopeWriter _writer;
    private readonly SimulatorStats _stats;
    private readonly HistoryRing _history;
    private readonly SignalGenerator _generator;
    private readonly List<C2SimulatorConnection> _signalSubscribers = [];
    private readonly List<C2SimulatorConnection> _positionSubscribers = [];
    private long _lastSeqId;
    private long _published;
    private long _positionsSeqId;
    private readonly List<C2SimulatorGap> _gapsSent = [];

    public StrategyFeed(long id, C2SimulatorOptions options, EnvelopeWriter writer, SimulatorStats stats)
    {
        Id = id;
        _options = options;
        _writer = writer;
        _stats = stats;
        _history = new HistoryRing(options.HistoryCapacity);
        _generator = new SignalGenerator(id, options.RandomSeed);
        _lastSeqId = options.FirstSeqId - 1;
    }

    public long Id { get; }

    public long LastSeqId
    {
        get
        {
            lock (_gate)
            {
                return _lastSeqId;
            }
        }
    }

    public long PublishSignal()
    {
        lock (_gate)
        {
            var seqId = _lastSeqId + 1;
            _published++;
            if (_options.SeqJumpEvery > 0 && _published % _options.SeqJumpEvery == 0)
            {
                seqId += _options.SeqJumpSize;
            }

            _lastSeqId = seqId;
            var frame = _writer.Signal(seqId, _generator.Next());
            _history.Add(seqId, frame);
            foreach (var subscriber in _signalSubscribers)
            {
                subscriber.EnqueueFrame(frame, OutboundKind.Message);
            }

            _stats.Increment(ref _stats.SignalsPublished);
            return seqId;
        }
    }

    public void PublishPositions()
    {
        lock (_gate)
        {
            var frame = PositionsFrameLocked();
            foreach (var subscriber in _positionSubscribers)
            {
                subscriber.EnqueueFrame(frame, OutboundKind.Message);
            }
        }
    }

    /// <summary>Subscribes to signals: ack, replay of <c>seq_id &gt; resumeFrom</c> (when &gt; 0), gap if needed, then live.</summary>
    public void SubscribeSignals(C2SimulatorConnection connection, long resumeFrom, byte[] ack)
    {
        lock (_gate)
        {
            if (!_signalSubscribers.Contains(connection))
            {
                _signalSubscribers.Add(connection);
            }

            connection.EnqueueFrame(ack, OutboundKind.Message);
            if (resumeFrom > 0)
            {
                ReplayLocked(connection, resumeFrom);
            }
        }
    }

    public void SubscribePositions(C2SimulatorConnection connection, byte[] ack)
    {
        lock (_gate)
        {
            if (!_positionSubscribers.Contains(connection))
            {
                _positionSubscribers.Add(connection);
            }

            connection.EnqueueFrame(ack, OutboundKind.Message);
            if (_options.PositionsSnapshotOnSubscribe)
            {
                connection.EnqueueFrame(PositionsFrameLocked(), OutboundKind.Message);
            }
        }
    }

    public void Unsubscribe(C2SimulatorConnection connection, bool signals, byte[] ack)
    {
        lock (_gate)
        {
            (signals ? _signalSubscribers : _positionSubscribers).Remove(connection);
            connection.EnqueueFrame(ack, OutboundKind.Message);
        }
    }

    public void RemoveConnection(C2SimulatorConnection connection)
    {
        lock (_gate)
        {
            _signalSubscribers.Remove(connection);
            _positionSubscribers.Remove(connection);
        }
    }

    /// <summary>The seq_id a flood starts at: the next one after the last signal.</summary>
    public long NextSeqId()
    {
        lock (_gate)
        {
            return _lastSeqId + 1;
        }
    }

    /// <summary>Moves the counter past the seq_ids a flood used, so later signals keep increasing.</summary>
    public void AdvancePast(long seqId)
    {
        lock (_gate)
        {
            _lastSeqId = Math.Max(_lastSeqId, seqId);
        }
    }

    public C2SimulatorGap[] GapsSent()
    {
        lock (_gate)
        {
            return [.. _gapsSent];
        }
    }

    public long[] HistorySeqIds()
    {
        lock (_gate)
        {
            var ids = new long[_history.Count];
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = _history.SeqIdAt(i);
            }

            return ids;
        }
    }

    private byte[] PositionsFrameLocked() =>
        _writer.Positions(Id, _generator.Positions(), _options.PositionsCarrySeqId ? ++_positionsSeqId : null);

    private void ReplayLocked(C2SimulatorConnection connection, long resumeFrom)
    {
        var start = _history.FirstIndexAfter(resumeFrom);
        var available = _history.Count - start;
        var lost = _history.EvictedThrough > resumeFrom; // some signals after resumeFrom are no longer retained
        var limit = _options.ReplayLimit;
        if (available <= limit && !lost)
        {
            Replay(connection, start, available);
            return;
        }

        var count = Math.Min(available, limit);
        long from;
        if (_options.ReplaySelection == C2ReplaySelection.OldestFirst)
        {
            Replay(connection, start, count);
            from = lost ? resumeFrom + 1 : _history.SeqIdAt(start + count);
        }
        else
        {
            Replay(connection, start + available - count, count);
            from = lost ? resumeFrom + 1 : _history.SeqIdAt(start);
        }

        connection.EnqueueFrame(_writer.Gap(Id, from), OutboundKind.Message);
        _stats.Increment(ref _stats.GapsSent);
        _gapsSent.Add(new C2SimulatorGap(from, _lastSeqId)); // nothing after the last one published was skipped
    }

    private void Replay(C2SimulatorConnection connection, int start, int count)
    {
        for (var i = 0; i < count; i++)
        {
            connection.EnqueueFrame(_history.FrameAt(start + i), OutboundKind.Message);
        }

        _stats.Add(ref _stats.SignalsReplayed, count);
    }
}
