namespace C2Fast;

/// <summary>How a <see cref="C2FeedClient"/> hands messages over; chosen by the constructor.</summary>
public enum C2DeliveryMode
{
    /// <summary>
    /// Messages are copied into pooled handles and queued, per partition, for consumer threads:
    /// <see cref="C2FeedClient.ReadAllAsync"/>, <see cref="C2FeedClient.Partitions"/>, <see cref="C2FeedClient.RunConsumersAsync"/>.
    /// </summary>
    Queued,

    /// <summary>
    /// Every message is handed to the application's handler on the read loop's own thread, in order, with no queue
    /// and no thread hop (<see cref="C2FeedClient(C2FeedOptions, Action{C2FeedMessage}, Microsoft.Extensions.Logging.ILoggerFactory?)"/>).
    /// </summary>
    Inline,
}
