namespace C2Fast.Diagnostics;

/// <summary>
/// Counters of one client. The read loop is the only writer of the plain fields (the others say who
/// writes them); readers on other threads use <c>Volatile.Read</c> (64-bit reads are
/// atomic on 64-bit hosts). Nothing here costs more than an increment per message.
/// </summary>
internal sealed class FeedCounters
{
    public long MessagesReceived;
    public long BytesReceived;
    public long MessagesDelivered;
    public long HeartbeatsReceived;
    public long HeartbeatsAcknowledged;
    public long PausedAcks; // written by the keep-alive while the loop is paused
    public long DuplicatesDiscarded;
    public long MessagesDropped;
    public long SignalsDropped;
    public long ProtocolErrors;
    public long Gaps;
    public long BackpressurePauses;
    public long Reconnects; // written by the session
}
