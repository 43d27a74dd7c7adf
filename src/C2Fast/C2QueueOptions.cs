using C2Fast.Diagnostics;

namespace C2Fast;

/// <summary>Consumer queues and backpressure (<see cref="C2FeedOptions.Queues"/>). Not used by an inline client, except as stated.</summary>
public sealed record C2QueueOptions
{
    /// <summary>The largest <see cref="Capacity"/>: 16,777,216 messages per partition.</summary>
    public const int MaxCapacity = 1 << 24;

    /// <summary>
    /// How many consumer partitions messages are spread over, by strategy id, so each strategy's messages stay in
    /// order within its partition (1 to 64). Must be 1 for an inline client. Default 1.
    /// </summary>
    public int Partitions { get; init; } = 1;

    /// <summary>
    /// Capacity of each partition, in messages (1 to <see cref="MaxCapacity"/>). The ring's memory follows the deepest
    /// backlog seen, not this bound. Default 65,536.
    /// </summary>
    public int Capacity { get; init; } = 65_536;

    /// <summary>
    /// Budget of bytes held by undisposed messages across all partitions (their JSON; each pooled copy has a buffer of
    /// at least 512 bytes). Below it, and while every partition has room, the read loop keeps reading whatever consumers
    /// do; past it, or at a full partition, <see cref="SlowConsumerPolicy"/> acts. Must hold one
    /// message of <see cref="C2ConnectionOptions.MaxMessageSize"/>. Default 64 MiB.
    /// </summary>
    public long MaxBufferedBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>What happens past <see cref="MaxBufferedBytes"/> or a full partition. Must be <see cref="C2SlowConsumerPolicy.Wait"/> for an inline client. Default <see cref="C2SlowConsumerPolicy.Wait"/> (never loses a signal).</summary>
    public C2SlowConsumerPolicy SlowConsumerPolicy { get; init; } = C2SlowConsumerPolicy.Wait;

    internal void Validate()
    {
        OptionRules.InRange(Partitions, 1, 64, "Queues.Partitions");
        OptionRules.InRange(Capacity, 1, MaxCapacity, "Queues.Capacity");
        OptionRules.InRange(MaxBufferedBytes, 1, long.MaxValue, "Queues.MaxBufferedBytes");
        if (!Enum.IsDefined(SlowConsumerPolicy))
        {
            ThrowHelper.ThrowArgumentOutOfRange("Queues.SlowConsumerPolicy", SlowConsumerPolicy, "Not a defined policy.");
        }
    }
}
