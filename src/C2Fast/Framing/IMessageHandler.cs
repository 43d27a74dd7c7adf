namespace C2Fast.Framing;

/// <summary>What the read loop does after a message was handed over.</summary>
internal enum MessageAction : byte
{
    /// <summary>Go on with the next frame.</summary>
    Continue,

    /// <summary>Deliver nothing more until <see cref="IMessageHandler.WaitForCapacityAsync"/> completes (backpressure).</summary>
    Pause,

    /// <summary>Stop now: drop the connection without a close handshake (the handler failed).</summary>
    Abort,
}

/// <summary>Receives complete data messages from the engine's read loop.</summary>
/// <remarks>Every member is called on the loop, one at a time.</remarks>
internal interface IMessageHandler
{
    /// <summary>Called for every complete data message, in arrival order.</summary>
    /// <param name="engine">The engine, for <see cref="WebSocketEngine.QueueReply"/> and <see cref="WebSocketEngine.QueueClose"/>.</param>
    /// <param name="isText">Whether the message is text (already validated as UTF-8) rather than binary.</param>
    /// <param name="payload">The whole message, contiguous. Borrowed from the receive (or assembly) buffer: valid only during the call.</param>
    /// <returns>What the loop does next. The message counts as taken whatever the answer.</returns>
    MessageAction OnMessage(WebSocketEngine engine, bool isText, ReadOnlySpan<byte> payload);

    /// <summary>
    /// Called once the loop has handled the frames of one read (or a slice of a large one), before it flushes
    /// the queued replies and waits for more bytes or pauses: the moment to hand a batch over (wake consumers).
    /// </summary>
    void OnReadCompleted(WebSocketEngine engine);

    /// <summary>
    /// Called once replies queued with <see cref="WebSocketEngine.QueueReply"/> were written to the transport:
    /// <paramref name="count"/> of them, in one write. Replies still queued when our close frame has gone out are
    /// dropped and not reported.
    /// </summary>
    void OnRepliesWritten(int count);

    /// <summary>
    /// Completes when the handler can take messages again after <see cref="MessageAction.Pause"/>. The token is
    /// cancelled when the connection is being closed or aborted: the loop then reads on without delivering.
    /// </summary>
    ValueTask WaitForCapacityAsync(WebSocketEngine engine, CancellationToken cancellationToken);
}
