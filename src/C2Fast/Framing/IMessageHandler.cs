namespace C2Fast.Framing;

/// <summary>Receives complete data messages from the read loop.</summary>
internal interface IMessageHandler
{
    /// <summary>Called on the read loop for every complete message, in arrival order.</summary>
    /// <param name="connection">The connection, for <see cref="WebSocketConnection.QueueReply"/> (loop thread only).</param>
    /// <param name="isText">Whether the message is text (already validated as UTF-8) rather than binary.</param>
    /// <param name="payload">The whole message, contiguous. Borrowed from the receive (or assembly) buffer: valid only during the call.</param>
    /// <returns>
    /// <see langword="true"/> to go on; <see langword="false"/> to pause reading (backpressure) until
    /// <see cref="WaitForCapacityAsync"/> completes. The message counts as taken either way.
    /// </returns>
    bool OnMessage(WebSocketConnection connection, bool isText, ReadOnlySpan<byte> payload);

    /// <summary>
    /// Called on the read loop once it has handled every complete frame of one socket read, before it
    /// waits for more bytes or pauses: the moment to hand a batch over (wake consumers).
    /// </summary>
    void OnReadCompleted(WebSocketConnection connection);

    /// <summary>
    /// Called on the read loop ahead of handling, while it is paused or when one read finds a backlog
    /// (<see cref="WebSocketConnection.BacklogLookaheadBytes"/> or more), for each complete unfragmented text
    /// message past the loop's position, in order and at most once each. The payload is not checked as UTF-8 yet
    /// (the loop checks it when it gets there): the handler validates what it acts on. It may answer the message
    /// now (<see cref="WebSocketConnection.QueueReply"/>) but must not deliver it: the same message reaches
    /// <see cref="OnMessage"/> when the loop gets there.
    /// </summary>
    void OnLookahead(WebSocketConnection connection, ReadOnlySpan<byte> payload);

    /// <summary>
    /// Called on the read loop once replies it queued (<see cref="WebSocketConnection.QueueReply"/>) were
    /// written to the socket: <paramref name="count"/> of them, in one write. Replies still queued when the
    /// connection's close frame has gone out are dropped and not reported.
    /// </summary>
    void OnRepliesWritten(int count)
    {
    }

    /// <summary>Completes when the handler can take messages again after <see cref="OnMessage"/> returned false.</summary>
    ValueTask WaitForCapacityAsync(WebSocketConnection connection, CancellationToken cancellationToken);
}
