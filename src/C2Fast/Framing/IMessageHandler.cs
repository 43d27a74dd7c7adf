using System.Buffers;

namespace C2Fast.Framing;

/// <summary>Receives complete data messages from the read loop.</summary>
internal interface IMessageHandler
{
    /// <summary>Called on the read loop for every complete message, in arrival order.</summary>
    /// <param name="isText">Whether the message is text (already validated as UTF-8) rather than binary.</param>
    /// <param name="payload">The message. Borrowed from the receive buffer: valid only during the call.</param>
    void OnMessage(bool isText, in ReadOnlySequence<byte> payload);
}
