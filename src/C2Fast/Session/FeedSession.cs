using System.Buffers;
using System.Threading.Channels;
using C2Fast.Diagnostics;
using C2Fast.Dispatch;
using C2Fast.Framing;
using C2Fast.Protocol;
using C2Fast.Transport;
using Microsoft.Extensions.Logging;

namespace C2Fast.Session;

/// <summary>
/// One feed session: connect → (subscribe) → read → on loss, reconnect → resubscribe with <c>resume_from</c>,
/// until closed, disposed, rejected for good or out of attempts. Everything the public client does is done here;
/// <see cref="C2FeedClient"/> is its facade.
/// </summary>
/// <remarks>
/// State machine (<see cref="SessionState"/>):
/// <code>
/// Created ─ConnectAsync─▶ Connecting ─connection.connected─▶ Connected ─loop ends─▶ Reconnecting ─connected─▶ Connected …
///                             └─ failure (not retried) ─▶ Ended          └─ closing, reconnect off, 401, handler failed, attempts out ─▶ Ended
/// any ─DisposeAsync─▶ Disposed
/// </code>
/// One supervisor task (<see cref="SuperviseAsync"/>) owns the transitions after the first connection; requests
/// run on the caller's task against the connection that is current when they start.
/// </remarks>
internal sealed class FeedSession : IAsyncDisposable, IFeedMetricsSource
{
    private readonly C2FeedOptions _options;
    private readonly SessionContext _context;
    private readonly FeedConnector _connector;
    private readonly ReconnectPolicy _reconnect;
    private readonly ClientMessageWriter _writer;
    private readonly ChannelReader<C2FeedMessage>[] _readers;
    private readonly CancellationTokenSource _stop = new(); // closing or disposing: ends reconnect waits and attempts
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state = (int)SessionState.Created;
    private int _closing; // 1 once CloseAsync or DisposeAsync began (read and written with full fences: see OpenAsync)
    private FeedConnection? _current;
    private Task _supervisor = Task.CompletedTask;
    private Task _connecting = Task.CompletedTask; // the first ConnectAsync while it runs

    /// <param name="options">Validated options.</param>
    /// <param name="inlineHandler">The application's inline handler, or null to deliver through the queues.</param>
    /// <param name="eventSender">The <c>sender</c> of every event (the public client).</param>
    /// <param name="logger">Where logs go.</param>
    /// <param name="connect">Makes transports (tests pass in-memory ones); sockets by default.</param>
    public FeedSession(C2FeedOptions options, Action<C2FeedMessage>? inlineHandler, object eventSender, ILogger logger, Func<CancellationToken, Task<ITransport>>? connect = null)
    {
        _options = options;
        _context = new SessionContext(options, inlineHandler, eventSender, logger);
        _connector = new FeedConnector(options, connect);
        _reconnect = new ReconnectPolicy(options.Reconnect);
        _writer = new ClientMessageWriter(options.ResumeFromFormat == C2ResumeFromFormat.Number ? ResumeFromFormat.Number : ResumeFromFormat.String);
        _readers = _context.Queues is { } queues
            ? [.. Enumerable.Range(0, queues.PartitionCount).Select(i => new PartitionReader(queues.Partition(i)))]
            : [];
        if (_context.Queues is not null)
        {
            _context.Queues.DropNotice += OnDropped;
        }

        FeedMetrics.Register(this);
    }

    public FeedEvents Events => _context.Events;

    public SessionState State => (SessionState)Volatile.Read(ref _state);

    public Task Completion => _completion.Task;

    /// <summary>One reader per partition; empty for an inline session.</summary>
    public IReadOnlyList<ChannelReader<C2FeedMessage>> Partitions => _readers;

    /// <inheritdoc/>
    public FeedCounters Counters => _context.Counters;

    /// <inheritdoc/>
    public long QueuedMessages => _context.Queues?.QueuedMessages ?? 0;

    /// <inheritdoc/>
    public long QueuedBytes => _context.Queues?.QueuedBytes ?? 0;

    private bool Closing => Volatile.Read(ref _closing) != 0;

    /// <summary>The first connection; not retried (later losses are).</summary>
    /// <exception cref="C2FeedException">The connection failed or was rejected, or the client was closed meanwhile.</exception>
    /// <exception cref="InvalidOperationException">Called twice.</exception>
    public Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, (int)SessionState.Connecting, (int)SessionState.Created) != (int)SessionState.Created)
        {
            ThrowHelper.ThrowInvalidOperation("ConnectAsync is called once per client; it reconnects by itself after that.");
        }

        _connecting = ConnectFirstAsync(cancellationToken);
        return _connecting;
    }

    private async Task ConnectFirstAsync(CancellationToken cancellationToken)
    {
        // A close or disposal meanwhile ends the connect too.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        try
        {
            if (_context.Checkpoints is { } checkpoints)
            {
                // Signals at or below a checkpoint were handled by an earlier run: never deliver them again.
                foreach (KeyValuePair<long, long> checkpoint in await checkpoints.LoadAsync(linked.Token).ConfigureAwait(false))
                {
                    _context.Sequences.Seed(checkpoint.Key, checkpoint.Value);
                }
            }

            FeedConnection connection = await OpenAsync(SessionState.Connecting, linked.Token).ConfigureAwait(false);
            _supervisor = SuperviseAsync(connection);
        }
        catch (Exception ex) when (Closing && !cancellationToken.IsCancellationRequested)
        {
            End(null);
            throw FeedErrors.Create(C2FeedError.ConnectionNotOpen, "The client was closed while it was connecting.", ex);
        }
        catch (Exception ex)
        {
            End(ex);
            _ = _completion.Task.Exception; // observed: the caller gets it from here
            throw;
        }
    }

    /// <summary>Subscribes (or unsubscribes) and waits for the server's answer.</summary>
    public async Task RequestAsync(C2Channel channel, long strategyId, bool subscribe, long? resumeFrom, CancellationToken cancellationToken)
    {
        if (strategyId <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(strategyId), strategyId, "Must be positive.");
        }

        FeedConnection connection = State == SessionState.Connected && _current is { } current ? current : throw FeedErrors.NotConnected();
        if (subscribe && !_context.Subscriptions.TryReserve(channel, strategyId, _options.MaxSubscriptions, out int planned))
        {
            FeedErrors.Throw(C2FeedError.SubscriptionLimitExceeded, $"A connection carries at most {_options.MaxSubscriptions} channel subscriptions; {planned} are active or requested.");
        }

        RequestTracker.PendingRequest request = _context.Requests.Begin(channel, strategyId, subscribe);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ClientMessageWriter.MaxSubscriptionRequestLength);
        bool answered = false;
        try
        {
            _writer.TryWriteSubscriptionRequest(
                buffer,
                subscribe ? SubscriptionAction.Subscribe : SubscriptionAction.Unsubscribe,
                channel == C2Channel.Signal ? SubscriptionChannel.StrategySignal : SubscriptionChannel.StrategyPositions,
                strategyId,
                request.RequestIdUtf8,
                _context.Time.GetUtcNow().UtcDateTime,
                resumeFrom,
                out int length);
            if (resumeFrom is long resume)
            {
                // Signals at or below resume_from were processed before: never deliver them again.
                _context.Sequences.Seed(strategyId, resume);
            }

            Log.Requesting(_context.Logger, subscribe ? "subscribe" : "unsubscribe", channel, strategyId, resumeFrom, request.RequestId);
            SendResult sent = await connection.Engine.SendAsync(buffer.AsMemory(0, length), isText: true, cancellationToken).ConfigureAwait(false);
            if (sent != SendResult.Sent)
            {
                FeedErrors.Throw(sent == SendResult.NotOpen ? C2FeedError.ConnectionNotOpen : C2FeedError.ConnectionLost, $"The {request.Describe()} could not be sent: the connection is {(sent == SendResult.NotOpen ? "closing" : "failing")}.");
            }

            // The answer, or the end of the connection that carried the request: never wait out a dead one.
            Task first = await Task.WhenAny(request.Completion.Task, connection.Loop)
                .WaitAsync(_options.RequestTimeout, _context.Time, cancellationToken).ConfigureAwait(false);
            if (first != request.Completion.Task)
            {
                FeedErrors.Throw(C2FeedError.ConnectionLost, $"The connection ended before the {request.Describe()} was answered.");
            }

            answered = true;
            await request.Completion.Task.ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            FeedErrors.Throw(C2FeedError.Timeout, $"No answer to the {request.Describe()} within {_options.RequestTimeout}.", ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (!answered)
            {
                _context.Requests.Abandon(request);
                if (subscribe)
                {
                    _context.Subscriptions.Release(channel, strategyId);
                }
            }
        }
    }

    /// <summary>The resume point a subscribe uses when the caller names none: the strategy's checkpoint, if any.</summary>
    public long? CheckpointOf(long strategyId) => _context.Checkpoints?.Get(strategyId);

    public Task SaveCheckpointsAsync(CancellationToken cancellationToken) => _context.Checkpoints?.FlushAsync(cancellationToken) ?? Task.CompletedTask;

    public C2FeedStatistics GetStatistics()
    {
        FeedCounters c = _context.Counters;
        return new C2FeedStatistics
        {
            MessagesReceived = Volatile.Read(ref c.MessagesReceived),
            BytesReceived = Volatile.Read(ref c.BytesReceived),
            MessagesDelivered = Volatile.Read(ref c.MessagesDelivered),
            HeartbeatsReceived = Volatile.Read(ref c.HeartbeatsReceived),
            HeartbeatsAcknowledged = Volatile.Read(ref c.HeartbeatsAcknowledged),
            PausedAcks = Volatile.Read(ref c.PausedAcks),
            DuplicatesDiscarded = Volatile.Read(ref c.DuplicatesDiscarded),
            MessagesDropped = Volatile.Read(ref c.MessagesDropped),
            SignalsDropped = Volatile.Read(ref c.SignalsDropped),
            ProtocolErrors = Volatile.Read(ref c.ProtocolErrors),
            Gaps = Volatile.Read(ref c.Gaps),
            BackpressurePauses = Volatile.Read(ref c.BackpressurePauses),
            Reconnects = Volatile.Read(ref c.Reconnects),
            QueuedMessages = QueuedMessages,
            QueuedBytes = QueuedBytes,
        };
    }

    /// <summary>Closes cleanly (close 1000), stops reconnecting, and waits for the session to end.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (State == SessionState.Disposed)
        {
            return;
        }

        await BeginClosingAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _current) is { } connection)
        {
            await connection.Engine.CloseAsync(1000, "client closing", cancellationToken).ConfigureAwait(false);
        }

        await Quietly(_connecting).WaitAsync(cancellationToken).ConfigureAwait(false);
        await _supervisor.WaitAsync(cancellationToken).ConfigureAwait(false);
        End(null); // never connected, or the connect was cut short: the feed ends here
    }

    // No connect can make a connection current from here on (see OpenAsync), and pending connects and reconnect waits end.
    private async Task BeginClosingAsync()
    {
        Interlocked.Exchange(ref _closing, 1);
        await _stop.CancelAsync().ConfigureAwait(false);
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The connect's own caller sees its failure; closing only waits for it to end.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if ((SessionState)Interlocked.Exchange(ref _state, (int)SessionState.Disposed) == SessionState.Disposed)
        {
            return;
        }

        await BeginClosingAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _current) is { } connection)
        {
            await connection.Engine.CloseAsync(1000, "client disposed").ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        await Quietly(_connecting).ConfigureAwait(false);
        await _supervisor.ConfigureAwait(false);
        End(null);
        _context.Queues?.DrainAndRelease();
        try
        {
            if (_context.Checkpoints is { } checkpoints)
            {
                await checkpoints.DisposeAsync().ConfigureAwait(false); // the final save
            }
        }
#pragma warning disable CA1031 // Disposal finishes whatever the store does; the failure is logged (SaveCheckpointsAsync is the call that reports it).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.CheckpointSaveFailed(_context.Logger, ex);
        }
        finally
        {
            await _context.Events.DisposeAsync().ConfigureAwait(false);
            FeedMetrics.Unregister(this);
            _stop.Dispose();
        }
    }

    /// <summary>Connects with a fresh handler and, if the session is still where <paramref name="from"/> says, makes it current.</summary>
    private async Task<FeedConnection> OpenAsync(SessionState from, CancellationToken cancellationToken)
    {
        FeedConnection connection = await _connector.ConnectAsync(new SessionMessageHandler(_context), cancellationToken).ConfigureAwait(false);
        string? connectionId = await connection.Handler.Connected.ConfigureAwait(false);

        // Dekker with BeginClosingAsync: this publishes the connection and then looks at the closing flag; a close sets
        // the flag and then looks at the connection. One of the two always sees the other, so a connection opened while
        // the client closes is closed by one of them, never left running.
        Interlocked.Exchange(ref _current, connection);
        if (Closing || Interlocked.CompareExchange(ref _state, (int)SessionState.Connected, (int)from) != (int)from)
        {
            await connection.Engine.CloseAsync(1000, "client closing", CancellationToken.None).ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            ThrowHelper.ThrowOperationCanceled("The client was closed while connecting.");
        }

        Log.Connected(_context.Logger, _options.Endpoint, connectionId);
        _context.Events.RaiseConnected(new C2ConnectedEventArgs(_options.Endpoint, connectionId));
        return connection;
    }

    /// <summary>The session's life after the first connection: wait for each connection to end, then reconnect or end.</summary>
    private async Task SuperviseAsync(FeedConnection connection)
    {
        C2FeedException? error;
        int attempts = 0; // reconnect attempts since the last connection that proved healthy
        try
        {
            while (true)
            {
                error = await EndOfAsync(connection).ConfigureAwait(false);
                if (Closing || !_options.Reconnect.Enabled || error is null || ReconnectPolicy.IsTerminal(error))
                {
                    break;
                }

                // Half a heartbeat interval of frames: a server's first heartbeat comes one interval after it accepted.
                if (connection.Handler.ProvedHealthy(connection.Engine.LastFrameReceivedAt, _options.Heartbeat.Interval / 2))
                {
                    attempts = 0;
                }

                (FeedConnection? next, C2FeedException? last, attempts) = await ReconnectAsync(error, attempts).ConfigureAwait(false);
                if (next is null)
                {
                    error = last ?? error;
                    break;
                }

                connection = next;
            }
        }
#pragma warning disable CA1031 // A defect must end the feed as the one typed error, never leave consumers waiting.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error = FeedErrors.Create(C2FeedError.ConnectionLost, "The session failed unexpectedly.", ex);
        }

        End(Closing ? null : error);
    }

    /// <summary>Waits for a connection to end, releases it and announces how it ended.</summary>
    private async Task<C2FeedException?> EndOfAsync(FeedConnection connection)
    {
        EngineOutcome outcome = await connection.Loop.ConfigureAwait(false);
        Interlocked.CompareExchange(ref _state, (int)SessionState.Reconnecting, (int)SessionState.Connected);
        C2FeedException? error = FeedErrors.From(outcome, Closing, connection.Handler.Failure, _options.Heartbeat.SilenceTimeout);
        await connection.DisposeAsync().ConfigureAwait(false);
        int? closeStatus = outcome.End is EngineEnd.Closed or EngineEnd.CloseUnanswered or EngineEnd.ProtocolError ? outcome.CloseCode : null;
        string? closeReason = outcome.End == EngineEnd.Closed ? outcome.CloseReason : null;
        Log.Disconnected(_context.Logger, error?.Error, closeStatus, error);
        _context.Events.RaiseDisconnected(new C2DisconnectedEventArgs(error, closeStatus, closeReason));
        return error;
    }

    /// <summary>
    /// Attempts until one succeeds (its connection), or the session gives up (null, with the last failure). Attempts are
    /// numbered on from <paramref name="attemptsSoFar"/>: the count (and the backoff) starts again only after a
    /// connection proved healthy. Returns the number of the last attempt made.
    /// </summary>
    private async Task<(FeedConnection? Connection, C2FeedException? Last, int Attempts)> ReconnectAsync(C2FeedException lost, int attemptsSoFar)
    {
        C2FeedException last = lost;
        C2FeedException? lastAttempt = null;
        int attempt = attemptsSoFar + 1;
        for (; _options.Reconnect.MaxAttempts is not int max || attempt <= max; attempt++)
        {
            TimeSpan delay = _reconnect.Delay(attempt, last, Random.Shared.NextDouble());
            Log.Reconnecting(_context.Logger, attempt, delay, last.Error);
            _context.Events.RaiseReconnecting(new C2ReconnectingEventArgs(attempt, delay, last));
            try
            {
                await DelayAtLeastAsync(delay, _stop.Token).ConfigureAwait(false);
                if (_context.Queues is { } queues && _options.Queues.SlowConsumerPolicy == C2SlowConsumerPolicy.DisconnectAndResume)
                {
                    await queues.WaitForDrainAsync(_stop.Token).ConfigureAwait(false);
                }

                FeedConnection connection = await OpenAsync(SessionState.Reconnecting, _stop.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _context.Counters.Reconnects);
                await RestoreSubscriptionsAsync().ConfigureAwait(false);
                return (connection, null, attempt);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested || Closing)
            {
                return (null, null, attempt);
            }
            catch (C2FeedException ex)
            {
                last = ex;
                lastAttempt = ex;
                if (ex.Error == C2FeedError.AuthenticationFailed)
                {
                    return (null, ex, attempt); // an invalid key stays invalid: never retried in a loop
                }
            }
        }

        return (null, lastAttempt, attempt - 1);
    }

    /// <summary>
    /// Waits at least <paramref name="delay"/> by the session's clock: timers may fire a millisecond or two early,
    /// and a server's <c>Retry-After</c> is a floor, not an estimate.
    /// </summary>
    private async Task DelayAtLeastAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        TimeProvider time = _context.Time;
        long started = time.GetTimestamp();
        TimeSpan remaining = delay;
        while (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : remaining, time, cancellationToken).ConfigureAwait(false);
            remaining = delay - time.GetElapsedTime(started);
        }
    }

    /// <summary>Re-subscribes every acknowledged subscription; signals resume after the last seq_id delivered.</summary>
    private async Task RestoreSubscriptionsAsync()
    {
        foreach ((C2Channel channel, long strategyId) in _context.Subscriptions.Active)
        {
            long? resumeFrom = channel == C2Channel.Signal ? _context.Sequences.Last(strategyId) : null;
            try
            {
                await RequestAsync(channel, strategyId, subscribe: true, resumeFrom, _stop.Token).ConfigureAwait(false);
            }
            catch (C2FeedException ex)
            {
                // A rejection leaves the connection up (ServerError event); a lost connection ends its loop, which
                // the supervisor sees next. Either way the connection is kept, never abandoned.
                Log.RestoreFailed(_context.Logger, channel, strategyId, ex);
                if (ex.Error is not (C2FeedError.ServerError or C2FeedError.Timeout))
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The feed ended: no more requests, the queues complete (consumers drain them), completion is set.</summary>
    private void End(Exception? error)
    {
        Interlocked.CompareExchange(ref _state, (int)SessionState.Ended, (int)SessionState.Created);
        Interlocked.CompareExchange(ref _state, (int)SessionState.Ended, (int)SessionState.Connecting);
        Interlocked.CompareExchange(ref _state, (int)SessionState.Ended, (int)SessionState.Connected);
        Interlocked.CompareExchange(ref _state, (int)SessionState.Ended, (int)SessionState.Reconnecting);
        _context.Requests.FailAll(error ?? FeedErrors.Create(C2FeedError.ConnectionNotOpen, "The connection was closed."));
        _context.Queues?.Complete();
        if (error is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(error);
        }
    }

    private void OnDropped()
    {
        FeedQueues queues = _context.Queues!;
        _context.Events.Dropped(
            () =>
            {
                C2FeedStatistics s = GetStatistics();
                Log.Dropped(_context.Logger, s.MessagesDropped, s.SignalsDropped);
                return new C2DropEventArgs(s.MessagesDropped, s.SignalsDropped);
            },
            queues.AcknowledgeDropNotice);
    }
}
