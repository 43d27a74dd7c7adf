using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;
using C2Fast.Simulator.Connections;
using C2Fast.Simulator.Hosting;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace C2Fast.Simulator;

/// <summary>One accepted WebSocket connection of a <see cref="C2Simulator"/>: its counters and its fault switches.</summary>
/// <remarks>
/// Three loops run per connection. The receive loop owns the transport's reader: it parses client frames, answers
/// pings, records heartbeat acks and handles subscriptions. The send loop is the only writer: heartbeats, acks,
/// errors, published signals, controls (close, stall, armed faults) and floods all go through one FIFO outbox, so
/// frames never interleave and the order of enqueueing is the order on the wire. The heartbeat loop enqueues a
/// heartbeat every interval and closes the connection when no ack arrived within interval + grace of the previous
/// one (the first window starts at open).
/// Fault methods are ordered with the messages already queued, except <see cref="Drop"/>, which acts at once.
/// </remarks>
public sealed partial class C2SimulatorConnection
{
    private readonly SimulatorCore _core;
    private readonly HttpContext _context;
    private readonly Stream _transport;
    private readonly Channel<Outbound> _outbox = Channel.CreateUnbounded<Outbound>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });
    private readonly CancellationTokenSource _loops = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<long> _heartbeatSendTimes = new();
    private readonly Lock _subscriptionGate = new();
    private readonly HashSet<(string Channel, long StrategyId)> _subscriptions = [];
    private readonly long _openedTicks;
    private long _queued;
    private long _messagesSent;
    private long _acksReceived;
    private long _lastAckTicks;
    private long _stallEndedTicks;
    private volatile bool _stalled;
    private volatile bool _heartbeatsOn;
    private volatile bool _closeSent;
    private readonly Lock _abortGate = new();
    private bool _aborted;
    private bool _ended;
    private int _closeCode;
    private bool _floodStarted;
    private readonly Lock _heartbeatGate = new();
    private long _heartbeatsSent;     // under _heartbeatGate
    private long _heartbeatsAcked;    // under _heartbeatGate
    private long _oldestUnackedTicks; // under _heartbeatGate: send time of the oldest heartbeat no ack followed yet
    private long _endedTicks;         // 0 while the connection runs

    internal C2SimulatorConnection(SimulatorCore core, HttpContext context, Stream transport)
    {
        _core = core;
        _context = context;
        _transport = transport;
        Id = core.NextConnectionId();
        OpenedAt = core.Time.GetUtcNow();
        _openedTicks = Stopwatch.GetTimestamp();
        _lastAckTicks = core.Options.FirstAckWindowStartsAtOpen
            ? _openedTicks
            : _openedTicks + (long)(core.Options.HeartbeatInterval.TotalSeconds * Stopwatch.Frequency);
        RemoteEndPoint = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";
    }

    /// <summary>The simulator-wide connection number, from 1.</summary>
    public long Id { get; }

    /// <summary>When the upgrade completed.</summary>
    public DateTimeOffset OpenedAt { get; }

    /// <summary>The client's address and port.</summary>
    public string RemoteEndPoint { get; }

    /// <summary>Messages (text frames) written so far, flood included.</summary>
    public long MessagesSent => Volatile.Read(ref _messagesSent);

    /// <summary><c>heartbeat.ack</c>s received so far.</summary>
    public long AcksReceived => Volatile.Read(ref _acksReceived);

    /// <summary>Heartbeats written to the transport so far.</summary>
    public long HeartbeatsSent
    {
        get
        {
            lock (_heartbeatGate)
            {
                return _heartbeatsSent;
            }
        }
    }

    /// <summary>Heartbeats followed by a <c>heartbeat.ack</c>: an ack acknowledges every heartbeat sent before it.</summary>
    public long HeartbeatsAcked
    {
        get
        {
            lock (_heartbeatGate)
            {
                return _heartbeatsAcked;
            }
        }
    }

    /// <summary>
    /// How long the oldest heartbeat that no ack followed has been waiting: until the connection ended once it has,
    /// until now while it runs; <see langword="null"/> when every heartbeat sent was acked.
    /// </summary>
    /// <remarks>
    /// A heartbeat written just before the connection was cut cannot have been acked: its age is small. An old one
    /// means the client stopped acking.
    /// </remarks>
    public TimeSpan? UnackedHeartbeatAge
    {
        get
        {
            lock (_heartbeatGate)
            {
                if (_heartbeatsSent == _heartbeatsAcked)
                {
                    return null;
                }

                var end = Volatile.Read(ref _endedTicks);
                return Stopwatch.GetElapsedTime(_oldestUnackedTicks, end != 0 ? end : Stopwatch.GetTimestamp());
            }
        }
    }

    /// <summary>When the connection ended; <see langword="null"/> while it runs.</summary>
    public DateTimeOffset? EndedAt { get; private set; }

    /// <summary>Channel subscriptions (channel + strategy pairs) held now.</summary>
    public int SubscriptionCount
    {
        get
        {
            lock (_subscriptionGate)
            {
                return _subscriptions.Count;
            }
        }
    }

    /// <summary>The close code of the close handshake once the connection ended with one (server's or client's); 0 otherwise.</summary>
    public int CloseCode => Volatile.Read(ref _closeCode);

    /// <summary>Completes when the connection has ended (close handshake done, dropped, or failed).</summary>
    public Task Completion => _completion.Task;

    /// <summary>Aborts TCP now, without a close frame (the fault "connection lost"); data still queued in the server may be lost.</summary>
    public void Drop() => Abort(countDrop: true);

    /// <summary>
    /// Resets TCP now (an abortive close: SO_LINGER 0, so the client gets an RST, not a FIN), without a close frame;
    /// data still queued in the server is lost. Counted in <see cref="C2SimulatorCounters.Resets"/> and
    /// <see cref="C2SimulatorCounters.Drops"/>.
    /// </summary>
    public void Reset()
    {
        lock (_abortGate)
        {
            if (_aborted || _ended)
            {
                return;
            }

            _aborted = true;
            _core.Stats.Increment(ref _core.Stats.Drops);
            _core.Stats.Increment(ref _core.Stats.Resets);

            // Kestrel's own abort shuts the socket down first (a FIN); closing it here with linger 0 sends the RST
            // alone. Kestrel's loops then see the socket closed and end the connection.
            if (_context.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
            {
                try
                {
                    socket.Close(timeout: 0);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    // Already gone: the abort below ends the connection all the same.
                }
            }

            _context.Abort();
        }

        _loops.Cancel();
    }

    /// <summary>Closes TCP without a close frame after <paramref name="messages"/> more messages are sent (and flushed).</summary>
    /// <param name="messages">Messages to send first (0 = before the next one).</param>
    public void DropAfter(int messages) => Arm(FaultKind.Drop, messages);

    /// <summary>Stops sending anything (heartbeats included) for <paramref name="duration"/>, keeping TCP open.</summary>
    /// <remarks>Ack enforcement pauses too; the ack window restarts when the stall ends.</remarks>
    /// <param name="duration">How long to stall.</param>
    public void Stall(TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        Enqueue(new Outbound(OutboundKind.Stall, Duration: duration));
    }

    /// <summary>Writes the next message one byte per transport write (each flushed on its own).</summary>
    public void SplitNextFrame() => Arm(FaultKind.Split, 0);

    /// <summary>Sends a close frame with <paramref name="code"/> after the messages already queued, then waits for the client's close.</summary>
    /// <param name="code">Any code 0..65535 (invalid codes are allowed on purpose, to test clients).</param>
    /// <param name="reason">An optional reason (cut to 123 UTF-8 bytes).</param>
    public void Close(int code, string? reason = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(code);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(code, ushort.MaxValue);
        Enqueue(new Outbound(OutboundKind.Close, Code: code, Reason: reason));
    }

    /// <summary>Stops sending heartbeats, and stops enforcing acks, until <see cref="ResumeHeartbeats"/>.</summary>
    public void StopHeartbeats() => _heartbeatsOn = false;

    /// <summary>Sends heartbeats again; the ack window restarts now.</summary>
    public void ResumeHeartbeats()
    {
        Volatile.Write(ref _lastAckTicks, Stopwatch.GetTimestamp());
        _heartbeatsOn = true;
    }

    /// <summary>Floods this connection with pre-encoded messages (see <see cref="C2FloodOptions"/>), after the messages already queued.</summary>
    /// <param name="options">What to send and for how long.</param>
    /// <param name="cancellationToken">Stops the flood early (the result then has <c>Completed = false</c>).</param>
    /// <returns>What was sent.</returns>
    public Task<C2FloodResult> FloodAsync(C2FloodOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var request = new FloodRequest(options, cancellationToken);
        if (!_outbox.Writer.TryWrite(new Outbound(OutboundKind.Flood, Flood: request)))
        {
            request.Result.TrySetResult(new C2FloodResult(0, 0, 0, 0, 0, TimeSpan.Zero, 0, 0, Completed: false));
        }

        return request.Result.Task;
    }

    /// <summary>Queues a pre-encoded frame; a connection over <see cref="C2SimulatorOptions.MaxQueuedMessages"/> is dropped as a slow consumer.</summary>
    internal void EnqueueFrame(byte[] frame, OutboundKind kind)
    {
        if (Interlocked.Increment(ref _queued) > _core.Options.MaxQueuedMessages)
        {
            // Called under a strategy lock: abort off this thread.
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.Abort(countDrop: true), this, preferLocal: false);
            return;
        }

        Enqueue(new Outbound(kind, frame));
    }

    /// <summary>Runs the connection until it ends.</summary>
    /// <param name="raceClose">The documented connection-limit race: no message, close 1008 at once.</param>
    /// <param name="shutdown">Signalled when the simulator stops: the connection is closed with 1001.</param>
    internal async Task RunAsync(bool raceClose, CancellationToken shutdown)
    {
        _core.Connections[Id] = this;
        _core.Stats.Increment(ref _core.Stats.ActiveConnections);
        if (raceClose)
        {
            _heartbeatsOn = false;
            Close(1008);
        }
        else
        {
            var plan = _core.FaultPlan;
            _heartbeatsOn = plan.SendHeartbeats;
            ArmInitial(plan);
            EnqueueFrame(_core.Writer.Connected(), OutboundKind.Message);
            if (_core.Options.Flood is { Trigger: C2FloodTrigger.Connect } flood)
            {
                StartOptionsFlood(flood, _core.Options.Strategies.FirstOrDefault(1));
            }
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_loops.Token, _context.RequestAborted);
        var token = linked.Token;
        using var onShutdown = shutdown.Register(static s => ((C2SimulatorConnection)s!).Close(1001, "Server shutting down"), this);
        var send = SendLoopAsync(token);
        var receive = ReceiveLoopAsync(token);
        var heartbeat = HeartbeatLoopAsync(token);
        try
        {
            var first = await Task.WhenAny(receive, send).ConfigureAwait(false);
            if (first == receive)
            {
                var end = await receive.ConfigureAwait(false);
                switch (end.Kind)
                {
                    case ReceiveEndKind.ClientClose:
                        // RFC 6455 §5.5.1: answer a close with a close, echoing the code; then the server closes TCP.
                        Enqueue(new Outbound(OutboundKind.Close, Code: end.Code == 1005 ? 1000 : end.Code, ServerInitiated: false));
                        await WaitAsync(send).ConfigureAwait(false);
                        break;
                    case ReceiveEndKind.ProtocolError:
                        // §7.1.7: fail the connection: send a close with the reason's code, then close TCP.
                        Enqueue(new Outbound(OutboundKind.Close, Code: end.Code, Reason: end.Reason));
                        await WaitAsync(send).ConfigureAwait(false);
                        break;
                    default:
                        Abort(countDrop: !_closeSent);
                        break;
                }
            }
            else
            {
                var sendEnd = await send.ConfigureAwait(false);
                if (sendEnd == SendEnd.CloseSent)
                {
                    // Wait for the client's close before closing TCP (a half-close upsets some clients).
                    if (!await WaitAsync(receive).ConfigureAwait(false) || (await receive.ConfigureAwait(false)).Kind != ReceiveEndKind.ClientClose)
                    {
                        Abort(countDrop: false);
                    }
                }
                else if (sendEnd == SendEnd.Drop)
                {
                    // The fault "connection lost": what was written is flushed, then TCP closes (FIN) with no close frame.
                    _core.Stats.Increment(ref _core.Stats.Drops);
                }
                else
                {
                    Abort(countDrop: true);
                }
            }
        }
        catch (Exception ex)
        {
            // A bug in one connection must not take the simulator down: record it, drop the connection.
            _core.Stats.InternalError(ex);
            Abort(countDrop: true);
        }
        finally
        {
            lock (_abortGate)
            {
                _ended = true;
            }

            Volatile.Write(ref _endedTicks, Stopwatch.GetTimestamp());
            EndedAt = _core.Time.GetUtcNow();

            await _loops.CancelAsync().ConfigureAwait(false);
            _outbox.Writer.TryComplete();
            await IgnoreFailure(send).ConfigureAwait(false);
            await IgnoreFailure(receive).ConfigureAwait(false);
            await IgnoreFailure(heartbeat).ConfigureAwait(false);
            FailPendingFloods();
            RemoveSubscriptions();
            _core.Connections.TryRemove(Id, out _);
            _core.Stats.Add(ref _core.Stats.ActiveConnections, -1);
            _core.OnConnectionEnded(this);
            _completion.TrySetResult();
        }
    }

    /// <summary>Records heartbeats handed to the transport at <paramref name="ticks"/>.</summary>
    private void NoteHeartbeatsSent(long count, long ticks)
    {
        lock (_heartbeatGate)
        {
            if (_heartbeatsSent == _heartbeatsAcked)
            {
                _oldestUnackedTicks = ticks;
            }

            _heartbeatsSent += count;
        }
    }

    /// <summary>An ack arrived at <paramref name="ticks"/>: every heartbeat sent before it is acked.</summary>
    private void NoteHeartbeatAck(long ticks)
    {
        long acked;
        long delay;
        lock (_heartbeatGate)
        {
            acked = _heartbeatsSent - _heartbeatsAcked;
            if (acked == 0)
            {
                return; // a keep-alive ack (a paused client's) with nothing outstanding
            }

            delay = ticks - _oldestUnackedTicks;
            _heartbeatsAcked = _heartbeatsSent;
        }

        _core.Stats.Add(ref _core.Stats.HeartbeatsAcked, acked);
        _core.Stats.HeartbeatAckDelay(delay);
    }

    private void Enqueue(in Outbound item)
    {
        if (!_outbox.Writer.TryWrite(item) && item.Kind is OutboundKind.Message or OutboundKind.Heartbeat)
        {
            Interlocked.Decrement(ref _queued);
        }
    }

    private void Arm(FaultKind fault, long messages)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(messages);
        Enqueue(new Outbound(OutboundKind.ArmFault, Fault: fault, Count: messages));
    }

    internal void AbortForShutdown() => Abort(countDrop: false);

    private void Abort(bool countDrop)
    {
        lock (_abortGate)
        {
            // After the request ended its HttpContext may be reused by Kestrel: never touch it again.
            if (_aborted || _ended)
            {
                return;
            }

            _aborted = true;
            if (countDrop)
            {
                _core.Stats.Increment(ref _core.Stats.Drops);
            }

            _context.Abort();
        }

        _loops.Cancel();
    }

    private void StartOptionsFlood(C2FloodOptions options, long strategyId)
    {
        if (_floodStarted)
        {
            return;
        }

        _floodStarted = true;
        var flood = FloodAsync(options.StrategyId == 0 ? options with { StrategyId = strategyId } : options);
        _ = flood.ContinueWith(static (t, s) => ((SimulatorCore)s!).Stats.FloodFinished(t.Result), _core,
            CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }

    private void FailPendingFloods()
    {
        while (_outbox.Reader.TryRead(out var item))
        {
            item.Flood?.Result.TrySetResult(new C2FloodResult(0, 0, 0, 0, 0, TimeSpan.Zero, 0, 0, Completed: false));
        }
    }

    private void RemoveSubscriptions()
    {
        lock (_subscriptionGate)
        {
            foreach (var (_, strategyId) in _subscriptions)
            {
                _core.FindFeed(strategyId)?.RemoveConnection(this);
            }

            _subscriptions.Clear();
        }
    }

    private async Task<bool> WaitAsync(Task task)
    {
        try
        {
            await task.WaitAsync(_core.Options.CloseHandshakeTimeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static async Task IgnoreFailure(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The connection is over; its loops' failures (aborted transport, cancellation) are expected here.
        }
    }
}
