using C2Fast.Framing;
using C2Fast.Transport;

namespace C2Fast.Session;

/// <summary>One live connection of a session: its transport, its engine, the handler its loop calls, and the loop.</summary>
internal sealed class FeedConnection(ITransport transport, WebSocketEngine engine, SessionMessageHandler handler, Task<EngineOutcome> loop) : IAsyncDisposable
{
    private int _disposed;

    public WebSocketEngine Engine => engine;

    public SessionMessageHandler Handler => handler;

    /// <summary>The read loop; it never faults: how the connection ended is its result.</summary>
    public Task<EngineOutcome> Loop => loop;

    /// <summary>
    /// Stops the loop (if it still runs) and drops the transport first, so nothing the loop or a sender still waits for
    /// on the wire (a write stuck on a full TCP window) can hold the teardown; then waits for the loop and releases all.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        engine.Abort();
        transport.Abort();
        await loop.ConfigureAwait(false);
        await engine.DisposeAsync().ConfigureAwait(false);
        await transport.DisposeAsync().ConfigureAwait(false);
    }
}
