using System.Threading.Channels;
using C2Fast.Transport;

namespace C2Fast.Tests.Infrastructure;

/// <summary>
/// Hands a session a fresh <see cref="InMemoryTransport"/> for each connection attempt, and the test the
/// <see cref="ScriptedServer"/> at its other end, with the fake time the attempt was made at.
/// </summary>
internal sealed class InMemoryConnector(TimeProvider time)
{
    private readonly Channel<(ScriptedServer Server, DateTimeOffset At)> _attempts = Channel.CreateUnbounded<(ScriptedServer, DateTimeOffset)>();
    private int _count;

    /// <summary>Connection attempts so far.</summary>
    public int Attempts => Volatile.Read(ref _count);

    /// <summary>The session's transport factory.</summary>
    public Task<ITransport> ConnectAsync(CancellationToken cancellationToken)
    {
        var transport = new InMemoryTransport();
        Interlocked.Increment(ref _count);
        _attempts.Writer.TryWrite((new ScriptedServer(transport), time.GetUtcNow()));
        return Task.FromResult<ITransport>(transport);
    }

    /// <summary>The next connection attempt's server end.</summary>
    /// <exception cref="TimeoutException">No attempt within the bound.</exception>
    public async Task<(ScriptedServer Server, DateTimeOffset At)> NextAsync(TimeSpan? timeout = null)
    {
        try
        {
            return await _attempts.Reader.ReadAsync().AsTask().WaitAsync(timeout ?? ScriptedServer.Timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No connection attempt within {timeout ?? ScriptedServer.Timeout} ({Attempts} so far).");
        }
    }

    /// <summary>Whether an attempt is waiting to be taken (no waiting).</summary>
    public bool HasPending => _attempts.Reader.Count > 0;
}
