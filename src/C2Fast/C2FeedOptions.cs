using System.Security.Cryptography.X509Certificates;
using System.Text;
using C2Fast.Handshake;

namespace C2Fast;

/// <summary>Immutable settings of a C2 feed connection, validated when a connection starts.</summary>
/// <remarks>
/// Defaults suit the production endpoint. Create with an object initializer and derive variants
/// with <c>with</c>. <see cref="ToString"/> never prints the API key.
/// </remarks>
public sealed record C2FeedOptions
{
    /// <summary>The production endpoint, <c>wss://api4-general.collective2.com/ws</c>.</summary>
    public static readonly Uri DefaultEndpoint = new("wss://api4-general.collective2.com/ws");

    /// <summary>The WebSocket endpoint (<c>wss://</c> or <c>ws://</c>). Default: <see cref="DefaultEndpoint"/>.</summary>
    public Uri Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>The C2 API key, sent as <c>Authorization: Bearer &lt;key&gt;</c> on the upgrade request.</summary>
    /// <remarks>Never logged and never included in exception messages or <see cref="ToString"/>.</remarks>
    public string? ApiKey { get; init; }

    /// <summary>Extra headers for the upgrade request. Names must be HTTP tokens and may not replace the handshake's own headers.</summary>
    public IReadOnlyDictionary<string, string>? AdditionalHeaders { get; init; }

    /// <summary>Time allowed for DNS, TCP connect, TLS and the upgrade together. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>After close frames are exchanged (or we sent ours), how long to wait for the server before dropping TCP. Default 5 s.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest message (all fragments together) accepted; larger fails with close 1009 as soon as a header shows it. Default 16 MiB.</summary>
    public int MaxMessageSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest HTTP response head accepted during the upgrade. Default 16 KiB.</summary>
    public int MaxHandshakeResponseSize { get; init; } = 16 * 1024;

    /// <summary>
    /// An extra CA certificate to trust for <c>wss://</c>, for tests and private deployments.
    /// Host-name validation stays on; the system roots remain trusted. Default none.
    /// </summary>
    /// <remarks>There is deliberately no option that disables certificate validation.</remarks>
    public X509Certificate2? TrustedCaCertificate { get; init; }

    /// <summary>Size of the buffers the socket reader asks the pool for. Default 64 KiB.</summary>
    public int ReceiveBufferSize { get; init; } = 64 * 1024;

    /// <summary>
    /// Whether each connection reads its socket on a thread of its own, blocking in the kernel until data
    /// arrives; the read loop (parse, heartbeat acks, delivery, an <see cref="InlineHandler"/>) then runs on
    /// that thread. Data wakes it directly. With <see langword="false"/> the socket is read asynchronously:
    /// the runtime's socket engine hands every read that had to wait from its epoll thread to a thread-pool
    /// thread, a second wake-up per read, and the read loop competes with the consumers for pool threads. On a
    /// 2-core machine under a flood of typical signals over ws the thread gave about 1.3× the messages/s with
    /// a queue consumer and no measurable change with an <see cref="InlineHandler"/> or over wss (perf.md).
    /// The thread is a background thread named "C2Fast receive"; it ends with the connection. Default true.
    /// </summary>
    public bool DedicatedReceiveThread { get; init; } = true;

    /// <summary>Kernel socket receive buffer (SO_RCVBUF); <see langword="null"/> keeps the OS default and its auto-tuning. Default null.</summary>
    public int? SocketReceiveBufferSize { get; init; }

    /// <summary>Kernel socket send buffer (SO_SNDBUF); <see langword="null"/> keeps the OS default. Default null.</summary>
    public int? SocketSendBufferSize { get; init; }

    /// <summary>Idle time before TCP keep-alive probes start (a second line behind heartbeat liveness). Default 15 s; <see cref="TimeSpan.Zero"/> disables keep-alive.</summary>
    public TimeSpan TcpKeepAliveTime { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The server's heartbeat period [DOC: 30 s]. With <see cref="HeartbeatGrace"/> it sets client-side liveness.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Grace after a missed heartbeat [DOC: 10 s]. [CHOICE] With no frame at all for
    /// <see cref="HeartbeatInterval"/> + grace (40 s by default) the connection is treated as dead (half-open TCP).
    /// </summary>
    public TimeSpan HeartbeatGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// While backpressure pauses the read loop (<see cref="C2SlowConsumerPolicy.Wait"/> with the budget or a
    /// partition full), a <c>heartbeat.ack</c> is sent this often, so a heartbeat waiting unread behind the
    /// backlog never gets the connection closed (c2-protocol.md §5). Default 100 ms; <see cref="TimeSpan.Zero"/>
    /// turns it off (a consumer stalled past interval + grace then loses the connection). Must be below
    /// <see cref="HeartbeatInterval"/>.
    /// </summary>
    public TimeSpan PausedAckInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// While backpressure pauses the read loop, it keeps reading up to this many bytes past the pause point,
    /// without delivering them, only to answer the heartbeats among them at once (each is then not answered
    /// again when the loop resumes and delivers what it read). So a heartbeat that arrived behind a stalled
    /// consumer's backlog waits for neither the consumer nor <see cref="PausedAckInterval"/>. These bytes are
    /// held on top of <see cref="MaxBufferedBytes"/>. The same look-ahead runs, at no memory cost, when one
    /// socket read finds a backlog of 128 KiB or more (the loop fell behind a flood): the heartbeats in it
    /// are answered before the loop works through it. Default 8 MiB; 0 turns both off.
    /// </summary>
    public int PausedReadAheadBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// How many consumer partitions (bounded channels) messages are spread over, by strategy id,
    /// so each strategy's messages stay in order. Default 1.
    /// </summary>
    public int ConsumerPartitions { get; init; } = 1;

    /// <summary>The largest <see cref="QueueCapacity"/>: 16,777,216 messages per partition.</summary>
    public const int MaxQueueCapacity = 1 << 24;

    /// <summary>
    /// Capacity of each partition's queue, in messages (1 to <see cref="MaxQueueCapacity"/>). Default 65,536.
    /// The queue's memory follows the deepest backlog seen, not this bound.
    /// </summary>
    public int QueueCapacity { get; init; } = 65_536;

    /// <summary>
    /// Budget of bytes held by undisposed messages across all partitions. Below it the read loop
    /// keeps reading and acking heartbeats whatever consumers do; above it <see cref="SlowConsumerPolicy"/> acts. Default 64 MiB.
    /// </summary>
    public long MaxBufferedBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>What to do past <see cref="MaxBufferedBytes"/> or a full partition. Default <see cref="C2SlowConsumerPolicy.Wait"/> (never loses a signal).</summary>
    public C2SlowConsumerPolicy SlowConsumerPolicy { get; init; } = C2SlowConsumerPolicy.Wait;

    /// <summary>
    /// Optional: deliver every message on the read loop's own thread instead of through the consumer
    /// queues. Default null (queues: <see cref="C2FeedClient.Messages"/> and the partitions).
    /// </summary>
    /// <remarks>
    /// <para>
    /// For a single consumer that does little per message and wants the lowest latency and CPU: no
    /// queue, no lease pool, no thread hop. The handler is called once per message, in order, with a
    /// <see cref="C2FeedMessage"/> that is valid only during the call (the client reuses it for the
    /// next message, and reading it afterwards throws <see cref="ObjectDisposedException"/>). Keep what
    /// you need by copying it (for example <see cref="C2FeedMessage.Json"/>.<c>ToArray()</c>);
    /// <see cref="C2FeedMessage.Dispose"/> is not needed and does nothing here. A signal is committed to
    /// the checkpoint when the handler returns.
    /// </para>
    /// <para>
    /// The handler runs where heartbeats are answered: while it runs, nothing is read and no heartbeat
    /// is acknowledged, and the server drops a connection that does not answer within 40 s. It must not
    /// block, and must not wait for this client's own requests (a subscribe waits for an answer only the
    /// loop can read). Slow work belongs on the queues instead. If the handler throws, the connection is
    /// dropped and the client completes with <see cref="C2FeedError.HandlerFailed"/> (no reconnect, and
    /// the message is not committed, so a restart from the checkpoint sees it again).
    /// </para>
    /// <para>
    /// With a handler, <see cref="ConsumerPartitions"/> must be 1 and <see cref="SlowConsumerPolicy"/>
    /// <see cref="C2SlowConsumerPolicy.Wait"/>: the handler's own pace is the backpressure.
    /// </para>
    /// </remarks>
    public Action<C2FeedMessage>? InlineHandler { get; init; }

    /// <summary>How <c>resume_from</c> is sent. [CHOICE] Default <see cref="C2ResumeFromFormat.String"/>.</summary>
    public C2ResumeFromFormat ResumeFromFormat { get; init; } = C2ResumeFromFormat.String;

    /// <summary>Largest JSON nesting accepted in a server message; deeper ones become protocol-error events. Default 64.</summary>
    public int MaxJsonDepth { get; init; } = 64;

    /// <summary>Channel subscriptions per connection [DOC: 100]; one more fails before anything is sent.</summary>
    public int MaxSubscriptions { get; init; } = 100;

    /// <summary>How long a subscribe or unsubscribe waits for its <c>subscription.ack</c> or <c>error</c>. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Messages kept in the lease pool for reuse. Default 65,536 (the default <see cref="QueueCapacity"/>):
    /// a backlog up to a full queue then allocates nothing either; a smaller pool allocates a lease for
    /// every message beyond it while consumers lag. The pool only keeps what was once in use at the same
    /// time, so its memory follows the deepest backlog seen (bounded by the queue and <see cref="MaxBufferedBytes"/>).
    /// </summary>
    public int MessagePoolSize { get; init; } = 65536;

    /// <summary>
    /// Reconnect automatically after a connection is lost (default true): exponential backoff with
    /// full jitter, every subscription restored, <c>strategy.signal</c> ones with <c>resume_from</c>
    /// = the last seq_id delivered. A 401 is never retried. The first <see cref="C2FeedClient.ConnectAsync"/> does not retry.
    /// </summary>
    public bool Reconnect { get; init; } = true;

    /// <summary>Backoff base: attempt n waits a random time in [0, min(cap, base × 2^(n-1))]. Default 0.5 s.</summary>
    public TimeSpan ReconnectBaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Backoff cap. Default 30 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The least wait after a rejection: HTTP 429/503 (a <c>Retry-After</c> header wins if longer)
    /// or close 1008 (connection-limit race [DOC]). Default 5 s.
    /// </summary>
    public TimeSpan RejectionDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Consecutive failed reconnect attempts before giving up (the client then completes faulted); null = never give up. Default null.</summary>
    public int? MaxReconnectAttempts { get; init; }

    /// <summary>
    /// Where the last signal <c>seq_id</c> each consumer finished with (disposed) is kept, so a restarted
    /// process resumes where it stopped: a subscribe to <see cref="C2Channel.Signal"/> without an explicit
    /// <c>resumeFrom</c> resumes from it. Default none (e.g. <see cref="C2FileCheckpointStore"/>).
    /// </summary>
    public IC2CheckpointStore? CheckpointStore { get; init; }

    /// <summary>How often changed checkpoints are saved (and once more at close). Default 250 ms.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> or <see cref="ArgumentException"/> naming the first invalid property.</summary>
    public void Validate()
    {
        if (Endpoint is null || !Endpoint.IsAbsoluteUri || (Endpoint.Scheme != "ws" && Endpoint.Scheme != "wss") || !string.IsNullOrEmpty(Endpoint.Fragment))
        {
            throw new ArgumentOutOfRangeException(nameof(Endpoint), Endpoint, "The endpoint must be an absolute ws:// or wss:// URI without a fragment.");
        }

        if (ApiKey is not null && (ApiKey.Length == 0 || !HandshakeRequest.IsValidHeaderValue(ApiKey) || ApiKey.Contains(' ', StringComparison.Ordinal)))
        {
            throw new ArgumentOutOfRangeException(nameof(ApiKey), "[redacted]", "The API key must be non-empty printable ASCII without spaces, CR, LF or other control characters.");
        }

        if (AdditionalHeaders is not null)
        {
            foreach (KeyValuePair<string, string> header in AdditionalHeaders)
            {
                if (!HandshakeRequest.IsValidHeaderName(header.Key) || HandshakeRequest.IsReservedHeader(header.Key))
                {
                    throw new ArgumentOutOfRangeException(nameof(AdditionalHeaders), header.Key, "Header names must be HTTP tokens and may not replace the handshake's own headers.");
                }

                if (header.Value is null || !HandshakeRequest.IsValidHeaderValue(header.Value))
                {
                    throw new ArgumentOutOfRangeException(nameof(AdditionalHeaders), header.Key, "Header values may not contain CR, LF, other control characters or non-ASCII.");
                }
            }
        }

        Positive(ConnectTimeout, nameof(ConnectTimeout));
        Positive(CloseTimeout, nameof(CloseTimeout));
        if (MaxMessageSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxMessageSize), MaxMessageSize, "Must be at least 1 byte.");
        }

        if (MaxHandshakeResponseSize < 256)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxHandshakeResponseSize), MaxHandshakeResponseSize, "Must be at least 256 bytes.");
        }

        if (ReceiveBufferSize < 512)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveBufferSize), ReceiveBufferSize, "Must be at least 512 bytes.");
        }

        if (SocketReceiveBufferSize is < 1 || SocketSendBufferSize is < 1)
        {
            throw new ArgumentOutOfRangeException(SocketReceiveBufferSize is < 1 ? nameof(SocketReceiveBufferSize) : nameof(SocketSendBufferSize), "Socket buffer sizes must be positive or null.");
        }

        if (TcpKeepAliveTime < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(TcpKeepAliveTime), TcpKeepAliveTime, "Must not be negative.");
        }

        Positive(HeartbeatInterval, nameof(HeartbeatInterval));
        if (HeartbeatGrace < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(HeartbeatGrace), HeartbeatGrace, "Must not be negative.");
        }

        if (PausedAckInterval < TimeSpan.Zero || PausedAckInterval >= HeartbeatInterval)
        {
            throw new ArgumentOutOfRangeException(nameof(PausedAckInterval), PausedAckInterval, "Must be zero (off) or positive and below HeartbeatInterval.");
        }

        AtLeast(PausedReadAheadBytes, 0, int.MaxValue, nameof(PausedReadAheadBytes));
        AtLeast(ConsumerPartitions, 1, 64, nameof(ConsumerPartitions));
        AtLeast(QueueCapacity, 1, MaxQueueCapacity, nameof(QueueCapacity));
        AtLeast(MaxJsonDepth, 2, 4096, nameof(MaxJsonDepth));
        AtLeast(MaxSubscriptions, 1, int.MaxValue, nameof(MaxSubscriptions));
        AtLeast(MessagePoolSize, 0, 1 << 20, nameof(MessagePoolSize));
        if (MaxBufferedBytes < MaxMessageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBufferedBytes), MaxBufferedBytes, "Must hold at least one message of MaxMessageSize.");
        }

        if (!Enum.IsDefined(SlowConsumerPolicy))
        {
            throw new ArgumentOutOfRangeException(nameof(SlowConsumerPolicy), SlowConsumerPolicy, "Not a defined policy.");
        }

        if (InlineHandler is not null && ConsumerPartitions != 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ConsumerPartitions), ConsumerPartitions, "Must be 1 with an InlineHandler (it has no partitions).");
        }

        if (InlineHandler is not null && SlowConsumerPolicy != C2SlowConsumerPolicy.Wait)
        {
            throw new ArgumentOutOfRangeException(nameof(SlowConsumerPolicy), SlowConsumerPolicy, "Must be Wait with an InlineHandler (it queues nothing to drop).");
        }

        if (!Enum.IsDefined(ResumeFromFormat))
        {
            throw new ArgumentOutOfRangeException(nameof(ResumeFromFormat), ResumeFromFormat, "Not a defined format.");
        }

        Positive(RequestTimeout, nameof(RequestTimeout));
        Positive(ReconnectBaseDelay, nameof(ReconnectBaseDelay));
        if (ReconnectMaxDelay < ReconnectBaseDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(ReconnectMaxDelay), ReconnectMaxDelay, "Must be at least ReconnectBaseDelay.");
        }

        if (RejectionDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(RejectionDelay), RejectionDelay, "Must not be negative.");
        }

        Positive(CheckpointInterval, nameof(CheckpointInterval));
        if (MaxReconnectAttempts is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxReconnectAttempts), MaxReconnectAttempts, "Must be at least 1, or null for no limit.");
        }
    }

    /// <summary>The wait before reconnect attempt <paramref name="attempt"/> (1-based) after <paramref name="failure"/>: full jitter, floored after rejections.</summary>
    internal TimeSpan ReconnectDelay(int attempt, C2FeedException? failure, double random)
    {
        double cap = Math.Min(ReconnectMaxDelay.TotalMilliseconds, ReconnectBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30)));
        TimeSpan delay = TimeSpan.FromMilliseconds(cap * random);
        bool rejected = failure is { Error: C2FeedError.ConnectionRejected } or { Error: C2FeedError.ConnectionClosed, CloseStatus: 1008 };
        if (rejected)
        {
            TimeSpan floor = failure!.RetryAfter is TimeSpan retryAfter && retryAfter > RejectionDelay ? retryAfter : RejectionDelay;
            delay = delay > floor ? delay : floor;
        }

        return delay;
    }

    /// <summary>Client-side liveness limit: heartbeat interval + grace.</summary>
    internal TimeSpan SilenceTimeout => HeartbeatInterval + HeartbeatGrace;

    private static void AtLeast(long value, long min, long max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"Must be between {min} and {max}.");
        }
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(name, value, "Must be positive or Timeout.InfiniteTimeSpan.");
        }
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Endpoint = ").Append(Endpoint)
            .Append(", ApiKey = ").Append(ApiKey is null ? "null" : "[redacted]")
            .Append(", ConnectTimeout = ").Append(ConnectTimeout)
            .Append(", MaxMessageSize = ").Append(MaxMessageSize)
            .Append(", TrustedCaCertificate = ").Append(TrustedCaCertificate?.Subject ?? "null");
        return true;
    }
}
