namespace C2Fast.Dispatch;

/// <summary>What the queues do when consumers are behind (a partition full, or the bytes budget used).</summary>
internal enum OverflowPolicy : byte
{
    /// <summary>Queue it and ask the read loop to pause until there is room.</summary>
    Wait,

    /// <summary>Drop the partition's oldest queued message to make room (counted).</summary>
    DropOldest,

    /// <summary>Drop the incoming message (counted).</summary>
    DropNewest,

    /// <summary>Queue nothing more; the caller closes the connection and resumes later (<see cref="FeedQueues.ShouldShed"/>).</summary>
    Shed,
}

/// <summary>How one client's queues are shaped.</summary>
/// <param name="Partitions">Consumer partitions (messages spread by strategy id).</param>
/// <param name="Capacity">Messages per partition.</param>
/// <param name="MaxBufferedBytes">Budget of bytes held by unreleased leases across partitions.</param>
/// <param name="Policy">What happens past the budget or a full partition.</param>
/// <param name="PoolSize">Leases kept for reuse.</param>
internal sealed record QueueSettings(int Partitions, int Capacity, long MaxBufferedBytes, OverflowPolicy Policy, int PoolSize);
