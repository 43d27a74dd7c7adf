namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>Which independent WebSocket implementation a <see cref="PeerProcess"/> runs.</summary>
public enum PeerKind
{
    /// <summary>tests/peers/ws_server.py on Debian python3-websockets 10.4, run with /usr/bin/python3.</summary>
    Python,

    /// <summary>tests/peers/ws_server.js on npm ws 8 (tests/peers/node_modules), run with node.</summary>
    Node,
}
