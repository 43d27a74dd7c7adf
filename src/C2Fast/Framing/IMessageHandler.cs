using System.Buffers;

namespace C2Fast.Framing;

/// <summary>Receives complete data messages from the read loop.</summary>
internal interface IMessageHandler
{
    /// <summary>Called on the read loop for every complete message, in arrival order.</summary>
    /// <param name="connection">The connection, for <see cref="WebSocketConnection.QueueReply"/> (loop thread only).</param>
    /// <param name="isText">Whether the message is text (already validated as UTF-8) rather than binary.</param>
    /// <param name="payload">The message. Borrowed from the receive buffer: valid only during the call.</param>
    /// <returns>
    /// <see langword="true"/> to go on; <see langword="false"/> to pause reading (backpressure) until
    /// <see cref="WaitForCapacityAsync"/> completes. The message counts as taken either way.
    /// </returns>
    bool OnMessage(WebSocketConnection connection, bool isText, in ReadOnlySequence<byte> payload);

    /// <summary>Completes when the handler can take messages again after <see cref="OnMessage"/> returned false.</summary>
    ValueTask WaitForCapacityAsync(WebSocketConnection connection, CancellationToken cancellationToken);
}
