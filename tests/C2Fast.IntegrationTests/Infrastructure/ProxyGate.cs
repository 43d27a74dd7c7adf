namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>
/// A stall switch for one direction: open (bytes flow) or closed until <see cref="Open"/> or until a
/// duration passes. Waiters await <see cref="WhenOpen"/>; thread-safe, usable while bytes flow.
/// </summary>
internal sealed class ProxyGate : IDisposable
{
    private readonly Lock _lock = new();
    private TaskCompletionSource? _closed;
    private ITimer? _release;
    private long _version; // a timer only opens the stall it was created for

    /// <summary>Whether the gate holds bytes now.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) is not null;

    /// <summary>A task that completes when the gate is open (already completed when it is).</summary>
    public Task WhenOpen => Volatile.Read(ref _closed)?.Task ?? Task.CompletedTask;

    /// <summary>Closes the gate, until <see cref="Open"/> or for <paramref name="duration"/> (replacing any running duration).</summary>
    public void Close(TimeSpan? duration)
    {
        lock (_lock)
        {
            Volatile.Write(ref _closed, _closed ?? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            _release?.Dispose();
            _release = null;
            long version = ++_version;
            if (duration is TimeSpan due)
            {
                _release = TimeProvider.System.CreateTimer(
                    static state =>
                    {
                        var (gate, version) = ((ProxyGate, long))state!;
                        gate.Open(version);
                    },
                    (this, version),
                    due,
                    Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Opens the gate; held bytes flow again.</summary>
    public void Open() => Open(null);

    /// <summary>Opens the gate and stops its timer.</summary>
    public void Dispose() => Open(null);

    private void Open(long? version)
    {
        TaskCompletionSource? closed;
        lock (_lock)
        {
            if (version is long v && v != _version)
            {
                return; // a later Close or Open replaced this stall
            }

            _version++;
            _release?.Dispose();
            _release = null;
            closed = _closed;
            Volatile.Write(ref _closed, null);
        }

        closed?.TrySetResult();
    }
}
