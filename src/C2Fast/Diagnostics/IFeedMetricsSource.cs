namespace C2Fast.Diagnostics;

/// <summary>What the <c>C2Fast</c> meter observes of one live client.</summary>
internal interface IFeedMetricsSource
{
    /// <summary>The client's counters.</summary>
    FeedCounters Counters { get; }

    /// <summary>Messages handed to consumers and not yet disposed.</summary>
    long QueuedMessages { get; }

    /// <summary>Bytes held by those messages.</summary>
    long QueuedBytes { get; }
}
