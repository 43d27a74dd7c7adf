namespace C2Fast.Dispatch;

/// <summary>
/// Counters of one client. The read loop is the only writer of the plain fields; readers on other
/// threads see them through <see cref="Snapshot"/> (64-bit reads are atomic on 64-bit hosts).
/// </summary>
internal sealed class FeedCounters
{
    public long MessagesReceived;
    public long BytesReceived;
    public long MessagesDelivered;
    public long HeartbeatsAcknowledged;
    public long PausedAcks; // written by the keep-alive while the loop is paused
    public long DuplicatesDiscarded;
    public long MessagesDropped;
    public long SignalsDropped;
    public long ProtocolErrors;
    public long Gaps;
    public long BackpressurePauses;
    public long Reconnects;

    public C2FeedStatistics Snapshot(long queuedMessages, long queuedBytes) => new()
    {
        MessagesReceived = Volatile.Read(ref MessagesReceived),
        BytesReceived = Volatile.Read(ref BytesReceived),
        MessagesDelivered = Volatile.Read(ref MessagesDelivered),
        HeartbeatsAcknowledged = Volatile.Read(ref HeartbeatsAcknowledged),
        PausedAcks = Volatile.Read(ref PausedAcks),
        DuplicatesDiscarded = Volatile.Read(ref DuplicatesDiscarded),
        MessagesDropped = Volatile.Read(ref MessagesDropped),
        SignalsDropped = Volatile.Read(ref SignalsDropped),
        ProtocolErrors = Volatile.Read(ref ProtocolErrors),
        Gaps = Volatile.Read(ref Gaps),
        BackpressurePauses = Volatile.Read(ref BackpressurePauses),
        Reconnects = Volatile.Read(ref Reconnects),
        QueuedMessages = queuedMessages,
        QueuedBytes = queuedBytes,
    };
}
