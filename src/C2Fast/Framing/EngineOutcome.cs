namespace C2Fast.Framing;

/// <summary>How the engine's read loop ended.</summary>
internal enum EngineEnd : byte
{
    /// <summary>The close handshake completed (either side began it); see <see cref="EngineOutcome.ServerInitiated"/>.</summary>
    Closed,

    /// <summary>We closed (close frame sent, or TCP dropped while closing) and the server's close never came: code 1006.</summary>
    CloseUnanswered,

    /// <summary>The server broke RFC 6455: we sent close with <see cref="EngineOutcome.CloseCode"/> and failed the connection.</summary>
    ProtocolError,

    /// <summary>The transport ended (EOF) without a close frame.</summary>
    TransportClosed,

    /// <summary>Reading or writing the transport failed; see <see cref="EngineOutcome.Exception"/>.</summary>
    TransportFailed,

    /// <summary>No bytes arrived for the silence timeout: a half-open connection.</summary>
    SilenceTimeout,

    /// <summary><see cref="WebSocketEngine.Abort"/> was called, or the handler asked to stop (<see cref="MessageAction.Abort"/>).</summary>
    Aborted,

    /// <summary>Something unexpected escaped the loop (a defect); see <see cref="EngineOutcome.Exception"/>.</summary>
    Faulted,
}

/// <summary>The end of a connection, as a value: the engine never throws it.</summary>
/// <param name="End">How it ended.</param>
/// <param name="CloseCode">The server's close code (<see cref="EngineEnd.Closed"/>: 1005 when its frame had none), the code we failed with (<see cref="EngineEnd.ProtocolError"/>), or 1006.</param>
/// <param name="CloseReason">The server's close reason (may be empty).</param>
/// <param name="ServerInitiated">Whether the server sent the first close frame.</param>
/// <param name="Error">The violated rule of a <see cref="EngineEnd.ProtocolError"/>.</param>
/// <param name="Exception">The transport's exception, or the defect, when there is one.</param>
internal readonly record struct EngineOutcome(
    EngineEnd End,
    int CloseCode = CloseFrame.Abnormal,
    string CloseReason = "",
    bool ServerInitiated = false,
    FrameError Error = FrameError.None,
    Exception? Exception = null);

/// <summary>What became of a frame handed to the engine to send.</summary>
internal enum SendResult : byte
{
    /// <summary>Written to the transport.</summary>
    Sent,

    /// <summary>Not written: the connection is closing or closed (our close frame went out, or it ended).</summary>
    NotOpen,

    /// <summary>The transport failed while writing; the connection is being torn down.</summary>
    Failed,
}
