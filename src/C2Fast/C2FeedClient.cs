using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using C2Fast.Dispatch;
using C2Fast.Framing;
using C2Fast.Protocol;
using C2Fast.Session;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace C2Fast;

/// <summary>
/// The Collective2 API v4 feed client: one connection, heartbeats answered on the read path,
/// subscriptions, and the messages of subscribed strategies handed to consumers in order.
/// </summary>
/// <remarks>
/// <para>
/// Typical use: construct, <see cref="ConnectAsync"/>, <see cref="SubscribeAsync"/>, then read
/// <see cref="Messages"/> (or <see cref="RunConsumersAsync"/>) and dispose every message when done
/// with it. Messages of one strategy always arrive in order and never twice: a signal whose
/// <c>seq_id</c> is not above the last one delivered for its strategy is discarded.
/// </para>
/// <para>
/// The read loop never runs application code: events are raised on a background task, one at a
/// time, in order. Heartbeats are acknowledged from the read loop as soon as they are parsed and
/// never wait behind consumers; past <see cref="C2FeedOptions.MaxBufferedBytes"/> the
/// <see cref="C2FeedOptions.SlowConsumerPolicy"/> applies.
/// </para>
/// <para>Thread-safe. One client makes one connection; create a new client to connect again.</para>
/// </remarks>
public sealed class C2FeedClient : IAsyncDisposable
{
    private readonly C2FeedOptions _options;
    private readonly ILogger _logger;
    private readonly FeedQueues _queues;
    private readonly FeedEvents _events;
    private readonly SequenceTracker _sequences = new();
    private readonly SubscriptionRegistry _subscriptions = new();
    private readonly ClientMessageWriter _writer;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebSocketConnection? _connection;
    private Task? _monitor;
    private volatile bool _closing;
    private C2FeedException? _lastReconnectError;
    private readonly CheckpointTracker? _checkpoints;
    private Task _currentLoop = Task.CompletedTask;
    private int _state; // 0 new, 1 connecting, 2 connected, 3 ended, 4 disposed

    /// <summary>Creates a client; nothing connects until <see cref="ConnectAsync"/>.</summary>
    /// <param name="options">The settings; validated here (the exception names the property).</param>
    /// <param name="loggerFactory">Where logs go; none by default. The API key is never logged.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public C2FeedClient(C2FeedOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = loggerFactory?.CreateLogger<C2FeedClient>() ?? (ILogger)NullLogger.Instance;
        _writer = new ClientMessageWriter(options.ResumeFromFormat == C2ResumeFromFormat.Number ? ResumeFromFormat.Number : ResumeFromFormat.String);
        _queues = new FeedQueues(options);
        _events = new FeedEvents(this, _logger);
        _queues.DropNotice += () => _events.Dropped(
            () =>
            {
                C2FeedStatistics s = GetStatistics();
                Log.Dropped(_logger, s.MessagesDropped, s.SignalsDropped);
                return new C2DropEventArgs(s.MessagesDropped, s.SignalsDropped);
            },
            _queues.AcknowledgeDropNotice);
        if (options.CheckpointStore is { } store)
        {
            _checkpoints = new CheckpointTracker(store, options.CheckpointInterval, _logger);
            _queues.OnConsumed = _checkpoints.Commit;
        }

        FeedMetrics.Register(_queues);
    }

    /// <summary>Raised each time a connection is ready (after <c>connection.connected</c>), reconnects included.</summary>
    public event EventHandler<C2ConnectedEventArgs>? Connected
    {
        add => _events.Connected += value;
        remove => _events.Connected -= value;
    }

    /// <summary>Raised each time a connection ends, with the reason (a reconnect may follow).</summary>
    public event EventHandler<C2DisconnectedEventArgs>? Disconnected
    {
        add => _events.Disconnected += value;
        remove => _events.Disconnected -= value;
    }

    /// <summary>Raised before each automatic reconnect attempt, with the delay and the reason.</summary>
    public event EventHandler<C2ReconnectingEventArgs>? Reconnecting
    {
        add => _events.Reconnecting += value;
        remove => _events.Reconnecting -= value;
    }

    /// <summary>Raised when a subscribe or unsubscribe is acknowledged.</summary>
    public event EventHandler<C2SubscriptionEventArgs>? SubscriptionAcknowledged
    {
        add => _events.SubscriptionAcknowledgedEvent += value;
        remove => _events.SubscriptionAcknowledgedEvent -= value;
    }

    /// <summary>Raised for every server <c>error</c> message (single or <c>errors</c> array).</summary>
    public event EventHandler<C2ServerErrorEventArgs>? ServerError
    {
        add => _events.ServerErrorEvent += value;
        remove => _events.ServerErrorEvent -= value;
    }

    /// <summary>Raised for a <c>gap</c>: that strategy's state is incomplete and needs a REST re-sync. Live delivery continues.</summary>
    public event EventHandler<C2GapEventArgs>? GapDetected
    {
        add => _events.GapEvent += value;
        remove => _events.GapEvent -= value;
    }

    /// <summary>Raised for a server message that could not be parsed (the connection carries on).</summary>
    public event EventHandler<C2ProtocolErrorEventArgs>? ProtocolError
    {
        add => _events.ProtocolErrorEvent += value;
        remove => _events.ProtocolErrorEvent -= value;
    }

    /// <summary>Raised when the slow-consumer policy drops messages (bursts coalesce into one event).</summary>
    public event EventHandler<C2DropEventArgs>? MessagesDropped
    {
        add => _events.DropEvent += value;
        remove => _events.DropEvent -= value;
    }

    /// <summary>The settings this client was created with.</summary>
    public C2FeedOptions Options => _options;

    /// <summary>Whether the connection is up and <c>connection.connected</c> has arrived.</summary>
    public bool IsConnected => Volatile.Read(ref _state) == 2;

    /// <summary>
    /// Completes when the feed ends for good: successfully after <see cref="CloseAsync"/>; faulted with a
    /// <see cref="C2FeedException"/> after a 401, when reconnecting is off, when the attempts ran out, or when
    /// the <see cref="C2FeedOptions.InlineHandler"/> threw (<see cref="C2FeedError.HandlerFailed"/>).
    /// </summary>
    public Task Completion => _completion.Task;

    /// <summary>How many consumer partitions there are (<see cref="C2FeedOptions.ConsumerPartitions"/>).</summary>
    public int PartitionCount => _queues.PartitionCount;

    /// <summary>
    /// Every delivered message, in order, when there is one partition (the default). Dispose each
    /// message after use. Completes when the connection has ended and the queue is drained.
    /// </summary>
    /// <exception cref="InvalidOperationException">There are several partitions: use <see cref="GetPartition"/> or <see cref="RunConsumersAsync"/>; or messages go to <see cref="C2FeedOptions.InlineHandler"/>.</exception>
    public ChannelReader<C2FeedMessage> Messages => PartitionCount == 1
        ? GetPartition(0)
        : throw new InvalidOperationException("With several partitions read each one with GetPartition(i), or use RunConsumersAsync.");

    /// <summary>The messages of one partition: the strategies whose id modulo <see cref="PartitionCount"/> is <paramref name="index"/>, in order.</summary>
    /// <exception cref="InvalidOperationException">Messages go to <see cref="C2FeedOptions.InlineHandler"/>, not to the queues.</exception>
    public ChannelReader<C2FeedMessage> GetPartition(int index)
    {
        ThrowIfInline();
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, PartitionCount);
        return _queues.Reader(index);
    }

    /// <summary>Reads <see cref="Messages"/> as an async stream (one partition only). Dispose each message.</summary>
    public IAsyncEnumerable<C2FeedMessage> ReadAllAsync(CancellationToken cancellationToken = default) => Messages.ReadAllAsync(cancellationToken);

    /// <summary>
    /// Runs one consumer task per partition, calling <paramref name="handler"/> for every message
    /// in order within its partition, and disposing the message when the handler returns.
    /// </summary>
    /// <returns>Completes when the feed has ended and every queued message was handled, or faults with the first handler exception.</returns>
    /// <exception cref="InvalidOperationException">Messages go to <see cref="C2FeedOptions.InlineHandler"/>, not to the queues.</exception>
    public Task RunConsumersAsync(Func<C2FeedMessage, CancellationToken, ValueTask> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ThrowIfInline();
        var consumers = new Task[PartitionCount];
        for (int i = 0; i < consumers.Length; i++)
        {
            ChannelReader<C2FeedMessage> reader = _queues.Reader(i);
            consumers[i] = Task.Run(() => ConsumeAsync(reader, handler, cancellationToken), cancellationToken);
        }

        return Task.WhenAll(consumers);
    }

    private void ThrowIfInline()
    {
        if (_options.InlineHandler is not null)
        {
            throw new InvalidOperationException("This client hands every message to its InlineHandler; there are no queues to read.");
        }
    }

    /// <summary>Connects, upgrades and waits for <c>connection.connected</c>, all within <see cref="C2FeedOptions.ConnectTimeout"/>.</summary>
    /// <remarks>This first connection is not retried: its failure is thrown. Later losses reconnect (see <see cref="C2FeedOptions.Reconnect"/>).</remarks>
    /// <exception cref="C2FeedException">The connection failed or was rejected; see <see cref="C2FeedException.Error"/>.</exception>
    /// <exception cref="InvalidOperationException">Called twice.</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("ConnectAsync is called once per client; it reconnects by itself after that.");
        }

        try
        {
            if (_checkpoints is not null)
            {
                // Signals at or below a checkpoint were handled by an earlier run: never deliver them again.
                foreach (KeyValuePair<long, long> checkpoint in await _checkpoints.LoadAsync(cancellationToken).ConfigureAwait(false))
                {
                    _sequences.Seed(checkpoint.Key, checkpoint.Value);
                }
            }

            Task<CloseResult> loop = await ConnectOnceAsync(cancellationToken).ConfigureAwait(false);
            _monitor = SessionAsync(loop);
        }
        catch (Exception ex)
        {
            Volatile.Write(ref _state, 3);
            _queues.Complete();
            _completion.TrySetException(ex);
            _ = _completion.Task.Exception; // observed: the caller gets it from here
            throw;
        }
    }

    /// <summary>One connection: connect, upgrade, start the read loop, wait for <c>connection.connected</c>.</summary>
    private async Task<Task<CloseResult>> ConnectOnceAsync(CancellationToken cancellationToken)
    {
        WebSocketConnection? connection = null;
        try
        {
            // One ConnectTimeout covers TCP, TLS, the upgrade and connection.connected together.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.ConnectTimeout);
            connection = await WebSocketConnection.ConnectAsync(_options, timeout.Token).ConfigureAwait(false);
            var dispatcher = new FeedDispatcher(_queues, _sequences, _subscriptions, _events, _options.MaxJsonDepth, _logger, _checkpoints, _options.PausedAckInterval);
            // Started on the pool, not here: a backlog that is already buffered is worked through by the loop, not by
            // this caller's thread, so connection.connected is reported as soon as it is seen.
            Task<CloseResult> loop = Task.Run(() => connection.RunAsync(dispatcher, _options.SilenceTimeout, _shutdown.Token), CancellationToken.None);

            // [DOC] the connection is ready only after connection.connected.
            Task first = await Task.WhenAny(dispatcher.Connected, loop, Task.Delay(Timeout.Infinite, timeout.Token)).ConfigureAwait(false);
            if (first != dispatcher.Connected)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (first == loop)
                {
                    CloseResult closed = await loop.ConfigureAwait(false); // rethrows the loop's failure
                    throw new C2FeedException(C2FeedError.ConnectionClosed, $"The server closed the connection ({closed.Code} {closed.Reason}) before connection.connected.")
                    {
                        CloseStatus = closed.Code,
                        CloseReason = closed.Reason,
                    };
                }

                throw new C2FeedException(C2FeedError.Timeout, $"connection.connected did not arrive within {_options.ConnectTimeout}.");
            }

            string? connectionId = await dispatcher.Connected.ConfigureAwait(false);
            _connection = connection;
            _currentLoop = loop;
            if (Interlocked.CompareExchange(ref _state, 2, 1) != 1)
            {
                throw new OperationCanceledException("The client was disposed while connecting.");
            }

            Log.Connected(_logger, _options.Endpoint, connectionId);
            _events.RaiseConnected(new C2ConnectedEventArgs(_options.Endpoint, connectionId));
            return loop;
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            throw new C2FeedException(C2FeedError.ConnectFailed, $"Connecting to {_options.Endpoint.IdnHost}:{_options.Endpoint.Port} did not complete within {_options.ConnectTimeout}.", ex);
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>
    /// Subscribes a strategy on a channel and waits for the server's <c>subscription.ack</c>
    /// (within <see cref="C2FeedOptions.RequestTimeout"/>).
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <param name="strategyId">The strategy; positive.</param>
    /// <param name="resumeFrom">
    /// For <see cref="C2Channel.Signal"/>: the last <c>seq_id</c> already processed; the server replays
    /// later signals (at most 1000, then a <c>gap</c>). Signals at or below it are never delivered.
    /// Null: the strategy's checkpoint from <see cref="C2FeedOptions.CheckpointStore"/> if there is one, else live only.
    /// </param>
    /// <param name="cancellationToken">Stops waiting (the request may still take effect on the server).</param>
    /// <exception cref="C2FeedException">
    /// <see cref="C2FeedError.ServerError"/> (e.g. FORBIDDEN, with <see cref="C2FeedException.ServerCode"/>),
    /// <see cref="C2FeedError.SubscriptionLimitExceeded"/> (nothing sent), <see cref="C2FeedError.Timeout"/>,
    /// or a connection failure.
    /// </exception>
    public Task SubscribeAsync(C2Channel channel, long strategyId, long? resumeFrom = null, CancellationToken cancellationToken = default)
    {
        if (resumeFrom is not null && channel != C2Channel.Signal)
        {
            throw new ArgumentException("resume_from applies to the strategy.signal channel only.", nameof(resumeFrom));
        }

        if (resumeFrom is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(resumeFrom), resumeFrom, "Must not be negative.");
        }

        // After a restart, resume each strategy from its checkpoint unless told otherwise.
        if (resumeFrom is null && channel == C2Channel.Signal && _checkpoints?.Get(strategyId) is long checkpoint)
        {
            resumeFrom = checkpoint;
        }

        return RequestAsync(channel, strategyId, subscribe: true, resumeFrom, cancellationToken);
    }

    /// <summary>Unsubscribes a strategy from a channel and waits for the acknowledgement; delivery for it stops.</summary>
    /// <exception cref="C2FeedException">As for <see cref="SubscribeAsync"/>.</exception>
    public Task UnsubscribeAsync(C2Channel channel, long strategyId, CancellationToken cancellationToken = default)
        => RequestAsync(channel, strategyId, subscribe: false, null, cancellationToken);

    /// <summary>
    /// Saves the checkpoints of every disposed signal now (they are also saved every
    /// <see cref="C2FeedOptions.CheckpointInterval"/>). Call it right after making work durable
    /// elsewhere to shrink what a crash would replay. Does nothing without a <see cref="C2FeedOptions.CheckpointStore"/>.
    /// </summary>
    public Task SaveCheckpointsAsync(CancellationToken cancellationToken = default)
        => _checkpoints?.FlushAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>The client's counters now.</summary>
    public C2FeedStatistics GetStatistics() => _queues.Counters.Snapshot(_queues.QueuedMessages, _queues.QueuedBytes);

    /// <summary>Closes the connection cleanly (close 1000) and waits for it to end. Queued messages stay readable.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        _closing = true;
        if (_connection is { } connection)
        {
            await connection.CloseAsync(1000, "client closing", cancellationToken).ConfigureAwait(false);
        }

        if (_monitor is { } monitor)
        {
            await monitor.ConfigureAwait(false);
        }
    }

    /// <summary>Closes (best effort, bounded by <see cref="C2FeedOptions.CloseTimeout"/>), stops events and returns every queued lease.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _state, 4) == 4)
        {
            return;
        }

        _closing = true;
        if (_connection is { } connection)
        {
            try
            {
                await connection.CloseAsync(1000, "client disposed").ConfigureAwait(false);
            }
            catch (C2FeedException)
            {
                // Already gone.
            }

            await connection.DisposeAsync().ConfigureAwait(false);
        }

        await _shutdown.CancelAsync().ConfigureAwait(false);
        if (_monitor is { } monitor)
        {
            await monitor.ConfigureAwait(false);
        }

        _queues.Complete();
        _queues.DrainAndDispose();
        if (_checkpoints is not null)
        {
            await _checkpoints.DisposeAsync().ConfigureAwait(false); // the final save
        }

        await _events.DisposeAsync().ConfigureAwait(false);
        FeedMetrics.Unregister(_queues);
        _shutdown.Dispose();
    }

    private async Task RequestAsync(C2Channel channel, long strategyId, bool subscribe, long? resumeFrom, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(strategyId);
        WebSocketConnection connection = Volatile.Read(ref _state) == 2 && _connection is { } c
            ? c
            : throw new C2FeedException(C2FeedError.ConnectionNotOpen, "The client is not connected.");

        SubscriptionRegistry.PendingRequest request = _subscriptions.Begin(channel, strategyId, subscribe, _options.MaxSubscriptions);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ClientMessageWriter.MaxSubscriptionRequestLength);
        try
        {
            _writer.TryWriteSubscriptionRequest(
                buffer,
                subscribe ? SubscriptionAction.Subscribe : SubscriptionAction.Unsubscribe,
                channel == C2Channel.Signal ? SubscriptionChannel.StrategySignal : SubscriptionChannel.StrategyPositions,
                strategyId,
                request.RequestIdUtf8,
                DateTime.UtcNow,
                resumeFrom,
                out int length);
            if (resumeFrom is long resume)
            {
                // Signals at or below resume_from were processed before: never deliver them again.
                _sequences.Seed(strategyId, resume);
            }

            Task loop = _currentLoop;
            Log.Requesting(_logger, subscribe ? "subscribe" : "unsubscribe", channel, strategyId, resumeFrom, request.RequestId);
            await connection.SendAsync(buffer.AsMemory(0, length), isText: true, cancellationToken).ConfigureAwait(false);

            // The answer, or the end of the connection that carried the request: never wait out a dead one.
            Task first = await Task.WhenAny(request.Completion.Task, loop).WaitAsync(_options.RequestTimeout, cancellationToken).ConfigureAwait(false);
            if (first != request.Completion.Task)
            {
                _subscriptions.Abandon(request);
                throw new C2FeedException(C2FeedError.ConnectionLost, $"The connection ended before the {(subscribe ? "subscription" : "unsubscription")} of {channel} {strategyId} was answered.");
            }

            await request.Completion.Task.ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            _subscriptions.Abandon(request);
            throw new C2FeedException(C2FeedError.Timeout, $"No answer to the {(subscribe ? "subscription" : "unsubscription")} of {channel} {strategyId} within {_options.RequestTimeout}.", ex);
        }
        catch (OperationCanceledException)
        {
            _subscriptions.Abandon(request);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Session state machine: Connected → (loop ends) → Disconnected → unless closing, a 401, or
    /// reconnect is off: wait (backoff + jitter, longer after rejections) → connect → restore
    /// subscriptions with resume_from → Connected … until closed or out of attempts.
    /// </summary>
    private async Task SessionAsync(Task<CloseResult> loop)
    {
        C2FeedException? error;
        while (true)
        {
            error = await AwaitLoopAsync(loop).ConfigureAwait(false);
            if (_closing || !_options.Reconnect || error is null or { Error: C2FeedError.AuthenticationFailed or C2FeedError.HandlerFailed })
            {
                break;
            }

            Task<CloseResult>? next = await ReconnectAsync(error).ConfigureAwait(false);
            if (next is null)
            {
                error = _lastReconnectError ?? error;
                break;
            }

            loop = next;
        }

        SetStateAtLeast(3);
        _subscriptions.FailAll(error ?? new C2FeedException(C2FeedError.ConnectionNotOpen, "The connection was closed."));
        _queues.Complete();
        if (error is null || _closing)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(error);
        }
    }

    /// <summary>Waits for a read loop to end and announces how (Disconnected event, log).</summary>
    private async Task<C2FeedException?> AwaitLoopAsync(Task<CloseResult> loop)
    {
        C2FeedException? error = null;
        int? closeStatus = null;
        string? closeReason = null;
        try
        {
            CloseResult closed = await loop.ConfigureAwait(false);
            closeStatus = closed.Code;
            closeReason = closed.Reason;
            if (!_closing)
            {
                error = new C2FeedException(C2FeedError.ConnectionClosed, $"The server closed the connection ({closed.Code} {closed.Reason}).")
                {
                    CloseStatus = closed.Code,
                    CloseReason = closed.Reason,
                };
            }
        }
        catch (C2FeedException ex)
        {
            error = ex;
            closeStatus = ex.CloseStatus;
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
#pragma warning disable CA1031 // The session must survive anything a loop ends with; it becomes the typed error.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error = new C2FeedException(C2FeedError.ConnectionLost, "The connection failed unexpectedly.", ex);
        }

        Interlocked.CompareExchange(ref _state, 1, 2); // connected → reconnecting (never touches ended/disposed)

        if (_connection is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        Log.Disconnected(_logger, error?.Error, closeStatus, error);
        _events.RaiseDisconnected(new C2DisconnectedEventArgs(error, closeStatus, closeReason));
        return error;
    }

    /// <summary>
    /// Waits at least <paramref name="delay"/> by the monotonic clock: timers may fire a millisecond or two
    /// early, and a server's <c>Retry-After</c> is a floor, not an estimate.
    /// </summary>
    private static async Task DelayAtLeastAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        TimeSpan remaining = delay;
        while (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : remaining, cancellationToken).ConfigureAwait(false);
            remaining = delay - Stopwatch.GetElapsedTime(started);
        }
    }

    /// <summary>Reconnect attempts until one succeeds (returns its loop) or the client gives up (null).</summary>
    private async Task<Task<CloseResult>?> ReconnectAsync(C2FeedException lost)
    {
        C2FeedException last = lost;
        for (int attempt = 1; _options.MaxReconnectAttempts is not int max || attempt <= max; attempt++)
        {
            TimeSpan delay = _options.ReconnectDelay(attempt, last, Random.Shared.NextDouble());
            Log.Reconnecting(_logger, attempt, delay, last.Error);
            _events.RaiseReconnecting(new C2ReconnectingEventArgs(attempt, delay, last));
            try
            {
                await DelayAtLeastAsync(delay, _shutdown.Token).ConfigureAwait(false);
                if (_options.SlowConsumerPolicy == C2SlowConsumerPolicy.DisconnectAndResume)
                {
                    await _queues.WaitForDrainAsync(_shutdown.Token).ConfigureAwait(false);
                }

                Task<CloseResult> loop = await ConnectOnceAsync(_shutdown.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _queues.Counters.Reconnects);
                await RestoreSubscriptionsAsync().ConfigureAwait(false);
                return loop;
            }
            catch (OperationCanceledException) when (_shutdown.IsCancellationRequested || _closing)
            {
                return null;
            }
            catch (C2FeedException ex)
            {
                last = ex;
                _lastReconnectError = ex;
                if (ex.Error == C2FeedError.AuthenticationFailed)
                {
                    return null; // an invalid key stays invalid: never retried in a loop
                }
            }
        }

        return null;
    }

    /// <summary>Re-subscribes every acknowledged subscription; signals resume after the last seq_id delivered.</summary>
    private async Task RestoreSubscriptionsAsync()
    {
        foreach ((C2Channel channel, long strategyId) in _subscriptions.Active)
        {
            long? resumeFrom = channel == C2Channel.Signal ? _sequences.Last(strategyId) : null;
            try
            {
                await RequestAsync(channel, strategyId, subscribe: true, resumeFrom, _shutdown.Token).ConfigureAwait(false);
            }
            catch (C2FeedException ex)
            {
                // A rejection leaves the connection up (ServerError event); a lost connection ends its
                // loop, which the session sees next. Either way the loop is handed back, never abandoned.
                Log.RestoreFailed(_logger, channel, strategyId, ex);
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

    private void SetStateAtLeast(int state)
    {
        int current;
        do
        {
            current = Volatile.Read(ref _state);
        }
        while (current < state && Interlocked.CompareExchange(ref _state, state, current) != current);
    }

    private static async Task ConsumeAsync(ChannelReader<C2FeedMessage> reader, Func<C2FeedMessage, CancellationToken, ValueTask> handler, CancellationToken cancellationToken)
    {
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out C2FeedMessage? message))
            {
                int generation = message.Generation;
                try
                {
                    await handler(message, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    // If the handler disposed it already, the instance may be someone else's lease by now.
                    message.DisposeIfGeneration(generation);
                }
            }
        }
    }
}
