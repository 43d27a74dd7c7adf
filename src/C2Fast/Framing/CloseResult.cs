namespace C2Fast.Framing;

/// <summary>How a connection ended after a close handshake.</summary>
/// <param name="Code">The server's close code; 1005 when its close frame had none, 1006 when it never answered ours.</param>
/// <param name="Reason">The server's close reason (may be empty).</param>
/// <param name="ServerInitiated">Whether the server sent the first close frame.</param>
internal readonly record struct CloseResult(int Code, string Reason, bool ServerInitiated);
