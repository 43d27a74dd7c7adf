namespace C2Fast.Session;

/// <summary>Where a session is in its life (see <see cref="FeedSession"/>).</summary>
internal enum SessionState
{
    /// <summary>Made; nothing connected yet.</summary>
    Created,

    /// <summary>The first connection is being made.</summary>
    Connecting,

    /// <summary>A connection is up and <c>connection.connected</c> arrived.</summary>
    Connected,

    /// <summary>The connection was lost; waiting to try again, or trying.</summary>
    Reconnecting,

    /// <summary>The feed ended for good (closed, failed, or gave up); queued messages stay readable.</summary>
    Ended,

    /// <summary>Disposed: everything released.</summary>
    Disposed,
}
