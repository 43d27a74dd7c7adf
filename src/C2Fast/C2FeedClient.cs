using System.Threading.Channels;
using C2Fast.Diagnostics;
using C2Fast.Session;
using C2Fast.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace C2Fast;

/// <summary>
/// The Collective2 API v4 feed client: one connection at a time, heartbeats answered on the read path,
/// subscriptions, and the messages of subscribed strategies handed to consumers in order.
/// </summary>
/// <remarks>
/// <para>
/// Typical use: construct, <see cref="ConnectAsync"/>, <see cref="SubscribeAsync"/>, then read
/// <see cref="ReadAllAsync"/> (or <see cref="Partitions"/>, or <see cref="RunConsumersAsync"/>) and dispose every
/// message when done with it. Messages of one strategy always arrive in order and never twice: a signal whose
/// <c>seq_id</c> is not above the last one delivered for its strategy is discarded. After a lost connection the
/// client reconnects and resumes by itself (<see cref="C2FeedOptions.Reconnect"/>).
/// </para>
/// <para>
/// Two ways to receive, chosen by the constructor (<see cref="Delivery"/>): through bounded queues read by your
/// consumer threads (the default), or inline, on the read loop's own thread.
/// </para>
/// <para>
/// The read loop never runs application code (except an inline handler): events are raised on a background task,
/// one at a time, in order. Heartbeats are acknowledged from the read loop as soon as they are parsed and never wait
/// behind queued messages; past <see cref="C2QueueOptions.MaxBufferedBytes"/> or at a full partition the
/// <see cref="C2QueueOptions.SlowConsumerPolicy"/> applies.
/// </para>
/// <para>Thread-safe. <see cref="ConnectAsync"/> is called once per client; create a new client to start over.</para>
/// </remarks>
public sealed class C2FeedClient : IAsyncDisposable
{
    private readonly FeedSession _session;

    /// <summary>Creates a client that delivers through queues (<see cref="C2DeliveryMode.Queued"/>). Nothing connects until <see cref="ConnectAsync"/>.</summary>
    /// <param name="options">The settings; validated here (the exception names the property).</param>
    /// <param name="loggerFactory">Where logs go; none by default. The API key is never logged.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public C2FeedClient(C2FeedOptions options, ILoggerFactory? loggerFactory = null)
        : this(options, null, loggerFactory, null)
    {
    }

    /// <summary>
    /// Creates a client that hands every message to <paramref name="inlineHandler"/> on the read loop's own thread
    /// (<see cref="C2DeliveryMode.Inline"/>): no queue, no pooled copy, no thread hop.
    /// </summary>
    /// <remarks>
    /// <para>
    /// For one consumer that does little per message and wants the lowest latency and CPU. The handler is called once
    /// per message, in order, with a message that is valid only during the call: reading it afterwards throws
    /// <see cref="ObjectDisposedException"/>, so copy what you keep (for example <see cref="C2FeedMessage.Json"/>.<c>ToArray()</c>).
    /// It needs no dispose. A signal is committed to the checkpoint when the handler returns.
    /// </para>
    /// <para>
    /// The handler runs where heartbeats are answered: while it runs, nothing is read and no heartbeat is
    /// acknowledged, and the server drops a connection that does not answer within 40 s. It must not block, and
    /// must not wait for this client's own requests (a subscribe waits for an answer only the loop can read). If it
    /// throws, the connection is dropped and the client completes with <see cref="C2FeedError.HandlerFailed"/> (no
    /// reconnect; the message is not committed, so a restart from the checkpoint sees it again).
    /// </para>
    /// <para>
    /// There are no queues: <see cref="Partitions"/> is empty, and <see cref="ReadAllAsync"/> and
    /// <see cref="RunConsumersAsync"/> throw. <see cref="C2QueueOptions.Partitions"/> must be 1 and
    /// <see cref="C2QueueOptions.SlowConsumerPolicy"/> <see cref="C2SlowConsumerPolicy.Wait"/>: the handler's own pace is the backpressure.
    /// </para>
    /// </remarks>
    /// <param name="options">The settings; validated here.</param>
    /// <param name="inlineHandler">Called for every message, on the read loop.</param>
    /// <param name="loggerFactory">Where logs go; none by default.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or <paramref name="inlineHandler"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range, or the queue options do not fit inline delivery.</exception>
    public C2FeedClient(C2FeedOptions options, Action<C2FeedMessage> inlineHandler, ILoggerFactory? loggerFactory = null)
        : this(options, ThrowHelper.NotNull(inlineHandler, nameof(inlineHandler)), loggerFactory, null)
    {
    }

    /// <summary>A client whose connections use <paramref name="connect"/> for their transport (in-memory tests).</summary>
    internal C2FeedClient(C2FeedOptions options, Action<C2FeedMessage>? inlineHandler, ILoggerFactory? loggerFactory, Func<CancellationToken, Task<ITransport>>? connect)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (inlineHandler is not null && options.Queues.Partitions != 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange("Queues.Partitions", options.Queues.Partitions, "Must be 1 for an inline client (it has no partitions).");
        }

        if (inlineHandler is not null && options.Queues.SlowConsumerPolicy != C2SlowConsumerPolicy.Wait)
        {
            ThrowHelper.ThrowArgumentOutOfRange("Queues.SlowConsumerPolicy", options.Queues.SlowConsumerPolicy, "Must be Wait for an inline client (it queues nothing to drop).");
        }

        Options = options;
        Delivery = inlineHandler is null ? C2DeliveryMode.Queued : C2DeliveryMode.Inline;
        ILogger logger = loggerFactory?.CreateLogger<C2FeedClient>() ?? (ILogger)NullLogger.Instance;
        _session = new FeedSession(options, inlineHandler, this, logger, connect);
    }

    /// <summary>Raised each time a connection is ready (after <c>connection.connected</c>), reconnects included.</summary>
    public event EventHandler<C2ConnectedEventArgs>? Connected
    {
        add => _session.Events.Connected += value;
        remove => _session.Events.Connected -= value;
    }

    /// <summary>Raised each time a connection ends, with the reason (a reconnect may follow).</summary>
    public event EventHandler<C2DisconnectedEventArgs>? Disconnected
    {
        add => _session.Events.Disconnected += value;
        remove => _session.Events.Disconnected -= value;
    }

    /// <summary>Raised before each automatic reconnect attempt, with the delay and the reason.</summary>
    public event EventHandler<C2ReconnectingEventArgs>? Reconnecting
    {
        add => _session.Events.Reconnecting += value;
        remove => _session.Events.Reconnecting -= value;
    }

    /// <summary>Raised when a subscribe or unsubscribe is acknowledged.</summary>
    public event EventHandler<C2SubscriptionEventArgs>? SubscriptionAcknowledged
    {
        add => _session.Events.SubscriptionAcknowledgedEvent += value;
        remove => _session.Events.SubscriptionAcknowledgedEvent -= value;
    }

    /// <summary>Raised for every server <c>error</c> message (single or <c>errors</c> array).</summary>
    public event EventHandler<C2ServerErrorEventArgs>? ServerError
    {
        add => _session.Events.ServerErrorEvent += value;
        remove => _session.Events.ServerErrorEvent -= value;
    }

    /// <summary>Raised for a <c>gap</c>: that strategy's state is incomplete and needs a REST re-sync. Live delivery continues.</summary>
    public event EventHandler<C2GapEventArgs>? GapDetected
    {
        add => _session.Events.GapEvent += value;
        remove => _session.Events.GapEvent -= value;
    }

    /// <summary>Raised for a server message that cannot be used (not JSON, not an envelope, no text, binary); it is never delivered and the connection carries on.</summary>
    public event EventHandler<C2ProtocolErrorEventArgs>? ProtocolError
    {
        add => _session.Events.ProtocolErrorEvent += value;
        remove => _session.Events.ProtocolErrorEvent -= value;
    }

    /// <summary>Raised when the slow-consumer policy drops messages (bursts coalesce into one event).</summary>
    public event EventHandler<C2DropEventArgs>? MessagesDropped
    {
        add => _session.Events.DropEvent += value;
        remove => _session.Events.DropEvent -= value;
    }

    /// <summary>The settings this client was created with.</summary>
    public C2FeedOptions Options { get; }

    /// <summary>How this client hands messages over: chosen by the constructor.</summary>
    public C2DeliveryMode Delivery { get; }

    /// <summary>Whether a connection is up and <c>connection.connected</c> has arrived.</summary>
    public bool IsConnected => _session.State == SessionState.Connected;

    /// <summary>
    /// Completes when the feed ends for good: successfully after <see cref="CloseAsync"/> or disposal; faulted with a
    /// <see cref="C2FeedException"/> after a 401, when reconnecting is off, when the attempts ran out, or when the
    /// inline handler threw (<see cref="C2FeedError.HandlerFailed"/>).
    /// </summary>
    public Task Completion => _session.Completion;

    /// <summary>
    /// One reader per consumer partition (<see cref="C2QueueOptions.Partitions"/>; one by default): partition i holds,
    /// in order, the messages of the strategies whose id modulo the partition count is i. Dispose each message read.
    /// A reader completes when the feed has ended and it is drained. Empty for an inline client.
    /// </summary>
    /// <remarks><c>WaitToReadAsync</c> + <c>TryRead</c> allocate nothing, cancellable or not; <c>ReadAsync</c> allocates when it has to wait.</remarks>
    public IReadOnlyList<ChannelReader<C2FeedMessage>> Partitions => _session.Partitions;

    /// <summary>Every delivered message, in order, as an async stream: the client's one partition. Dispose each message.</summary>
    /// <param name="cancellationToken">Ends the enumeration.</param>
    /// <returns>The messages; the stream ends when the feed has ended and the queue is drained.</returns>
    /// <exception cref="InvalidOperationException">There are several partitions (read <see cref="Partitions"/> or use <see cref="RunConsumersAsync"/>), or the client is inline.</exception>
    public IAsyncEnumerable<C2FeedMessage> ReadAllAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfInline();
        if (Partitions.Count != 1)
        {
            ThrowHelper.ThrowInvalidOperation("With several partitions read each one of Partitions, or use RunConsumersAsync.");
        }

        return Partitions[0].ReadAllAsync(cancellationToken);
    }

    /// <summary>
    /// Runs one consumer task per partition, calling <paramref name="handler"/> for every message in order within its
    /// partition, and disposing the message when the handler returns (a dispose in the handler is harmless).
    /// </summary>
    /// <returns>Completes when the feed has ended and every queued message was handled, or faults with the first handler exception.</returns>
    /// <exception cref="InvalidOperationException">The client is inline.</exception>
    public Task RunConsumersAsync(Func<C2FeedMessage, CancellationToken, ValueTask> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ThrowIfInline();
        var consumers = new Task[Partitions.Count];
        for (int i = 0; i < consumers.Length; i++)
        {
            ChannelReader<C2FeedMessage> reader = Partitions[i];
            consumers[i] = Task.Run(() => ConsumeAsync(reader, handler, cancellationToken), cancellationToken);
        }

        return Task.WhenAll(consumers);
    }

    /// <summary>Connects, upgrades and waits for <c>connection.connected</c>, all within <see cref="C2ConnectionOptions.ConnectTimeout"/>.</summary>
    /// <remarks>
    /// This first connection is not retried: its failure is thrown. Later losses reconnect (see <see cref="C2FeedOptions.Reconnect"/>).
    /// With a <see cref="C2FeedOptions.CheckpointStore"/>, the checkpoints are loaded first; the store's own errors
    /// (see <see cref="IC2CheckpointStore.LoadAsync"/>) are thrown as they are.
    /// </remarks>
    /// <exception cref="C2FeedException">
    /// The connection failed or was rejected (see <see cref="C2FeedException.Error"/>), or the client was closed or
    /// disposed while connecting (<see cref="C2FeedError.ConnectionNotOpen"/>).
    /// </exception>
    /// <exception cref="InvalidOperationException">Called twice.</exception>
    public Task ConnectAsync(CancellationToken cancellationToken = default) => _session.ConnectAsync(cancellationToken);

    /// <summary>
    /// Subscribes a strategy on a channel and waits for the <c>subscription.ack</c>. Subscriptions are restored after a
    /// reconnect (signals with <c>resume_from</c> = the last seq_id delivered).
    /// </summary>
    /// <param name="channel">The channel.</param>
    /// <param name="strategyId">The strategy (positive).</param>
    /// <param name="resumeFrom">
    /// <see cref="C2Channel.Signal"/> only: the last seq_id already processed; the server replays every later signal
    /// (at most 1000, then a <c>gap</c>), and no signal at or below it is ever delivered. Null: the strategy's
    /// checkpoint from <see cref="C2FeedOptions.CheckpointStore"/> if there is one, else live only.
    /// </param>
    /// <param name="cancellationToken">Stops waiting (the request may still take effect on the server).</param>
    /// <exception cref="C2FeedException">
    /// <see cref="C2FeedError.ServerError"/> (e.g. FORBIDDEN, with <see cref="C2FeedException.ServerCode"/>),
    /// <see cref="C2FeedError.SubscriptionLimitExceeded"/> (nothing sent), <see cref="C2FeedError.Timeout"/>,
    /// <see cref="C2FeedError.ConnectionNotOpen"/>, or a connection failure.
    /// </exception>
    /// <exception cref="ArgumentException"><paramref name="resumeFrom"/> was given for the positions channel.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="strategyId"/> is not positive or <paramref name="resumeFrom"/> is negative.</exception>
    public Task SubscribeAsync(C2Channel channel, long strategyId, long? resumeFrom = null, CancellationToken cancellationToken = default)
    {
        if (resumeFrom is not null && channel != C2Channel.Signal)
        {
            ThrowHelper.ThrowArgument(nameof(resumeFrom), "resume_from applies to the strategy.signal channel only.");
        }

        if (resumeFrom is < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(resumeFrom), resumeFrom, "Must not be negative.");
        }

        // After a restart, resume each strategy from its checkpoint unless told otherwise.
        if (resumeFrom is null && channel == C2Channel.Signal)
        {
            resumeFrom = _session.CheckpointOf(strategyId);
        }

        return _session.RequestAsync(channel, strategyId, subscribe: true, resumeFrom, cancellationToken);
    }

    /// <summary>Unsubscribes a strategy from a channel and waits for the acknowledgement; delivery for it stops.</summary>
    /// <exception cref="C2FeedException">As for <see cref="SubscribeAsync"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="strategyId"/> is not positive.</exception>
    public Task UnsubscribeAsync(C2Channel channel, long strategyId, CancellationToken cancellationToken = default)
        => _session.RequestAsync(channel, strategyId, subscribe: false, null, cancellationToken);

    /// <summary>
    /// Saves the checkpoints of every disposed signal now (they are also saved every
    /// <see cref="C2FeedOptions.CheckpointInterval"/>). Call it right after making work durable elsewhere to shrink
    /// what a crash would replay. Does nothing without a <see cref="C2FeedOptions.CheckpointStore"/>.
    /// </summary>
    public Task SaveCheckpointsAsync(CancellationToken cancellationToken = default) => _session.SaveCheckpointsAsync(cancellationToken);

    /// <summary>The client's counters now.</summary>
    public C2FeedStatistics GetStatistics() => _session.GetStatistics();

    /// <summary>
    /// Closes the connection cleanly (close 1000), stops reconnecting or connecting, and waits for the feed to end
    /// (<see cref="Completion"/> then completes successfully). Queued messages stay readable.
    /// </summary>
    public Task CloseAsync(CancellationToken cancellationToken = default) => _session.CloseAsync(cancellationToken);

    /// <summary>
    /// Closes (best effort: sending the close and then waiting for the server's end are each bounded by
    /// <see cref="C2ConnectionOptions.CloseTimeout"/>), returns every queued message, makes the final checkpoint save and
    /// stops events once those already raised have run.
    /// </summary>
    public ValueTask DisposeAsync() => _session.DisposeAsync();

    private void ThrowIfInline()
    {
        if (Delivery == C2DeliveryMode.Inline)
        {
            ThrowHelper.ThrowInvalidOperation("This client hands every message to its inline handler; there are no queues to read.");
        }
    }

    private static async Task ConsumeAsync(ChannelReader<C2FeedMessage> reader, Func<C2FeedMessage, CancellationToken, ValueTask> handler, CancellationToken cancellationToken)
    {
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out C2FeedMessage message))
            {
                try
                {
                    await handler(message, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    message.Dispose(); // idempotent: harmless if the handler disposed it
                }
            }
        }
    }
}
