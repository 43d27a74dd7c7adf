using System.Text;
using C2Fast.Diagnostics;
using C2Fast.Handshake;

namespace C2Fast;

/// <summary>Immutable settings of a C2 feed client, validated when the client is created.</summary>
/// <remarks>
/// <para>
/// The defaults suit the production endpoint: only <see cref="ApiKey"/> needs a value. The top level holds what
/// changes behaviour (where to connect, how to subscribe, where checkpoints go); five groups hold the rest, each
/// with its defaults documented: <see cref="Connection"/> (timeouts, TLS, limits), <see cref="Heartbeat"/>
/// (liveness), <see cref="Reconnect"/>, <see cref="Queues"/> (backpressure) and <see cref="Tuning"/>.
/// </para>
/// <para>
/// Create with an object initializer and derive variants with <c>with</c>, including for a group:
/// <c>options with { Reconnect = options.Reconnect with { MaxAttempts = 3 } }</c>.
/// <see cref="ToString"/> never prints the API key.
/// </para>
/// </remarks>
public sealed record C2FeedOptions
{
    /// <summary>The production endpoint, <c>wss://api4-general.collective2.com/ws</c>.</summary>
    public static readonly Uri DefaultEndpoint = new("wss://api4-general.collective2.com/ws");

    /// <summary>The WebSocket endpoint (<c>wss://</c> or <c>ws://</c>). Default: <see cref="DefaultEndpoint"/>.</summary>
    public Uri Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>The C2 API key, sent as <c>Authorization: Bearer &lt;key&gt;</c> on the upgrade request. Default none.</summary>
    /// <remarks>Never logged and never included in exception messages or <see cref="ToString"/>.</remarks>
    public string? ApiKey { get; init; }

    /// <summary>How <c>resume_from</c> is written in a subscription request. Default <see cref="C2ResumeFromFormat.String"/>, as the vendor documents it.</summary>
    public C2ResumeFromFormat ResumeFromFormat { get; init; } = C2ResumeFromFormat.String;

    /// <summary>Channel subscriptions per connection (the vendor allows 100); one more fails before anything is sent. Default 100.</summary>
    public int MaxSubscriptions { get; init; } = 100;

    /// <summary>How long a subscribe or unsubscribe waits for its <c>subscription.ack</c> or <c>error</c>. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Where the last signal <c>seq_id</c> each consumer finished with (disposed) is kept, so a restarted
    /// process resumes where it stopped: a subscribe to <see cref="C2Channel.Signal"/> without an explicit
    /// <c>resumeFrom</c> resumes from it. Default none (e.g. <see cref="C2FileCheckpointStore"/>).
    /// </summary>
    public IC2CheckpointStore? CheckpointStore { get; init; }

    /// <summary>How often changed checkpoints are saved (and once more at close). Default 250 ms.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The clock behind every timeout, delay, timer and timestamp of the client (connect and request timeouts,
    /// reconnect backoff, <c>Retry-After</c>, silence detection, paused acks, checkpoint saves, message
    /// timestamps). Default <see cref="System.TimeProvider.System"/>; tests pass a fake one.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Connecting and closing: timeouts, TLS trust, extra headers and size limits.</summary>
    public C2ConnectionOptions Connection { get; init; } = new();

    /// <summary>Heartbeats and liveness.</summary>
    public C2HeartbeatOptions Heartbeat { get; init; } = new();

    /// <summary>Automatic reconnection after a lost connection.</summary>
    public C2ReconnectOptions Reconnect { get; init; } = new();

    /// <summary>Consumer queues: partitions, capacity, the buffered-bytes budget and what happens past it.</summary>
    public C2QueueOptions Queues { get; init; } = new();

    /// <summary>Performance knobs that change no behaviour.</summary>
    public C2TuningOptions Tuning { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid property (as <c>Group.Property</c> for a group's).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A property is out of range.</exception>
    /// <exception cref="ArgumentNullException">A group is null.</exception>
    public void Validate()
    {
        if (Endpoint is null || !Endpoint.IsAbsoluteUri || (Endpoint.Scheme != "ws" && Endpoint.Scheme != "wss") || !string.IsNullOrEmpty(Endpoint.Fragment))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(Endpoint), Endpoint, "The endpoint must be an absolute ws:// or wss:// URI without a fragment.");
        }

        if (ApiKey is not null && (ApiKey.Length == 0 || !HandshakeRequest.IsValidHeaderValue(ApiKey) || ApiKey.Contains(' ', StringComparison.Ordinal)))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(ApiKey), "[redacted]", "The API key must be non-empty printable ASCII without spaces, CR, LF or other control characters.");
        }

        if (!Enum.IsDefined(ResumeFromFormat))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(ResumeFromFormat), ResumeFromFormat, "Not a defined format.");
        }

        OptionRules.InRange(MaxSubscriptions, 1, int.MaxValue, nameof(MaxSubscriptions));
        OptionRules.Positive(RequestTimeout, nameof(RequestTimeout));
        OptionRules.Positive(CheckpointInterval, nameof(CheckpointInterval));
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentNullException.ThrowIfNull(Connection);
        ArgumentNullException.ThrowIfNull(Heartbeat);
        ArgumentNullException.ThrowIfNull(Reconnect);
        ArgumentNullException.ThrowIfNull(Queues);
        ArgumentNullException.ThrowIfNull(Tuning);
        Connection.Validate();
        Heartbeat.Validate();
        Reconnect.Validate();
        Queues.Validate();
        Tuning.Validate();
        if (Queues.MaxBufferedBytes < Connection.MaxMessageSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange("Queues.MaxBufferedBytes", Queues.MaxBufferedBytes, "Must hold at least one message of Connection.MaxMessageSize.");
        }
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Endpoint = ").Append(Endpoint)
            .Append(", ApiKey = ").Append(ApiKey is null ? "null" : "[redacted]")
            .Append(", Connection = ").Append(Connection)
            .Append(", Heartbeat = ").Append(Heartbeat)
            .Append(", Reconnect = ").Append(Reconnect)
            .Append(", Queues = ").Append(Queues)
            .Append(", Tuning = ").Append(Tuning);
        return true;
    }
}
