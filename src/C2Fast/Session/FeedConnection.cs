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

    /// <summary>Stops the loop (if it still runs), waits for it, then drops the transport.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        engine.Abort();
        await loop.ConfigureAwait(false);
        await engine.DisposeAsync().ConfigureAwait(false);
        await transport.DisposeAsync().ConfigureAwait(false);
    }
}
