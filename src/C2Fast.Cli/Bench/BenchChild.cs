using System.Text.Json;

namespace C2Fast.Cli.Bench;

/// <summary>
/// A bench client process (<c>c2fast bench-client</c> or the python script): its stdout lines arrive on a channel,
/// <c>READY</c> and <c>RESULT {json}</c> are waited for with time limits, stderr is kept for failure messages.
/// Disposing kills it if it is still running.
/// </summary>
internal sealed class BenchChild : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private BenchChild(ChildProcess process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    /// <summary>The child's stderr so far (the end of it, for messages).</summary>
    public string Errors => _process.Errors;

    public static BenchChild Start(string fileName, IEnumerable<string> arguments)
        => new(ChildProcess.Start(fileName, arguments, input: false, errorsKept: 600));

    /// <summary>Waits for the <c>READY</c> line.</summary>
    /// <exception cref="BenchFailure">The child ended, printed a result instead, or the time ran out.</exception>
    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        string line = await NextLineAsync(line => line == "READY" || line.StartsWith("RESULT ", StringComparison.Ordinal), timeout, "READY", cancellationToken).ConfigureAwait(false);
        if (line != "READY")
        {
            throw new BenchFailure($"the client did not connect: {ParseResult(line).Status}");
        }
    }

    /// <summary>Waits for the <c>WARM</c> line of a stall run with a warm-up.</summary>
    /// <exception cref="BenchFailure">The child ended, printed a result instead, or the time ran out.</exception>
    public async Task WaitWarmAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        string line = await NextLineAsync(line => line == "WARM" || line.StartsWith("RESULT ", StringComparison.Ordinal), timeout, "WARM", cancellationToken).ConfigureAwait(false);
        if (line != "WARM")
        {
            throw new BenchFailure($"the client failed in its warm-up: {ParseResult(line).Status}");
        }
    }

    /// <summary>Waits for the <c>RESULT</c> line and parses it.</summary>
    public async Task<BenchClientResult> WaitResultAsync(TimeSpan timeout, CancellationToken cancellationToken)
        => ParseResult(await NextLineAsync(line => line.StartsWith("RESULT ", StringComparison.Ordinal), timeout, "RESULT", cancellationToken).ConfigureAwait(false));

    /// <summary>Waits for the process to exit; kills it after <paramref name="timeout"/>. Returns the exit code (-1 if killed).</summary>
    public Task<int> WaitExitAsync(TimeSpan timeout) => _process.WaitExitAsync(timeout);

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    internal static BenchClientResult ParseResult(string line)
    {
        try
        {
            return JsonSerializer.Deserialize(line.AsSpan("RESULT ".Length), BenchJson.Default.BenchClientResult)
                ?? throw new BenchFailure("empty RESULT line");
        }
        catch (JsonException ex)
        {
            throw new BenchFailure($"unreadable RESULT line ({ex.Message}): {line}");
        }
    }

    private async Task<string> NextLineAsync(Func<string, bool> wanted, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            while (await _process.Lines.WaitToReadAsync(limit.Token).ConfigureAwait(false))
            {
                while (_process.Lines.TryRead(out string? line))
                {
                    if (wanted(line))
                    {
                        return line;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BenchFailure($"no {what} within {timeout.TotalSeconds:0} s{_process.ErrorsSuffix}");
        }

        await WaitExitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        throw new BenchFailure($"the client exited (code {_process.ExitCode}) before {what}{_process.ErrorsSuffix}");
    }
}

/// <summary>A bench run that failed; its message goes into the report.</summary>
internal sealed class BenchFailure : Exception
{
    public BenchFailure()
    {
    }

    public BenchFailure(string message)
        : base(message)
    {
    }

    public BenchFailure(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
