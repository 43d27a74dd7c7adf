namespace C2Fast.Cli.Bench.Clients;

/// <summary>Counts a client has reached so far, readable when it times out.</summary>
internal sealed class BenchProgress
{
    public long Messages;
    public long Bytes;
}

/// <summary>One client implementation: connect, report ready, receive what the mode says, return its figures.</summary>
internal interface IBenchClient
{
    /// <param name="args">What to receive.</param>
    /// <param name="ready">Called once connected (after <c>connection.connected</c>); the parent floods after it.</param>
    /// <param name="progress">Counts so far.</param>
    /// <param name="cancellationToken">The run's time limit.</param>
    Task<BenchClientResult> RunAsync(BenchClientArgs args, Func<Task> ready, BenchProgress progress, CancellationToken cancellationToken);
}
