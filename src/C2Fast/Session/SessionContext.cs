using C2Fast.Diagnostics;
using C2Fast.Dispatch;
using Microsoft.Extensions.Logging;

namespace C2Fast.Session;

/// <summary>
/// What outlives connections and what every connection's <see cref="SessionMessageHandler"/> works with: the
/// queues (or the inline handler), sequence and checkpoint tracking, requests in flight, subscriptions, events,
/// counters, the clock and the logger.
/// </summary>
internal sealed class SessionContext
{
    public SessionContext(C2FeedOptions options, Action<C2FeedMessage>? inlineHandler, object eventSender, ILogger logger)
    {
        Time = options.TimeProvider;
        Logger = logger;
        MaxJsonDepth = options.Tuning.MaxJsonDepth;
        PausedAckInterval = options.Heartbeat.PausedAckInterval;
        Events = new FeedEvents(eventSender, logger);
        if (inlineHandler is null)
        {
            Queues = new FeedQueues(LayerSettings.Queues(options), Counters);
        }
        else
        {
            InlineHandler = inlineHandler;
            InlineLease = new MessageLease(LeasePool.InitialCapacity, pooled: false, inline: true);
        }

        if (options.CheckpointStore is { } store)
        {
            Checkpoints = new CheckpointTracker(store, options.CheckpointInterval, Time, logger);
            if (Queues is not null)
            {
                Queues.OnConsumed = Checkpoints.Commit;
            }
        }
    }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    public int MaxJsonDepth { get; }

    public TimeSpan PausedAckInterval { get; }

    public FeedCounters Counters { get; } = new();

    public FeedEvents Events { get; }

    /// <summary>The consumer queues; null for an inline client.</summary>
    public FeedQueues? Queues { get; }

    /// <summary>The application's inline handler; null for a queued client.</summary>
    public Action<C2FeedMessage>? InlineHandler { get; }

    /// <summary>The one reusable lease the inline handler sees.</summary>
    public MessageLease? InlineLease { get; }

    public SequenceTracker Sequences { get; } = new();

    public CheckpointTracker? Checkpoints { get; }

    public RequestTracker Requests { get; } = new();

    public SubscriptionRegistry Subscriptions { get; } = new();
}
