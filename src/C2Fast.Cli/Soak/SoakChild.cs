using System.Text.Json;

namespace C2Fast.Cli.Soak;

/// <summary>
/// The soak's client process (<c>c2fast soak-client</c>): commands go to its stdin one line at a time, answers come
/// back in order on stdout (<c>READY</c>, <c>OK</c>, <c>STAT {json}</c>, <c>RESULT {json}</c>); <c>LOG</c> lines go
/// to a callback as they come. Disposing kills it if it is still running.
/// </summary>
internal sealed class SoakChild : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly SemaphoreSlim _requests = new(1, 1);

    private SoakChild(ChildProcess process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The end of the child's stderr, for messages.</summary>
    public string Errors => _process.Errors;

    public static SoakChild Start(string fileName, IEnumerable<string> arguments, Action<string> log)
        => new(ChildProcess.Start(fileName, arguments, input: true, take: line =>
        {
            if (!line.StartsWith("LOG ", StringComparison.Ordinal))
            {
                return false;
            }

            log(line[4..]);
            return true;
        }));

    /// <summary>Waits for <c>READY</c>.</summary>
    /// <exception cref="SoakFailure">The child ended or the time ran out.</exception>
    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        string line = await NextAnswerAsync(timeout, "READY", cancellationToken).ConfigureAwait(false);
        if (line != "READY")
        {
            throw new SoakFailure($"the client process printed '{line}' instead of READY");
        }
    }

    /// <summary>Sends STAT (or SAMPLE, with a full collection first) and parses the answer.</summary>
    public async Task<SoakClientStat> StatAsync(bool sample, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string line = await RequestAsync(sample ? "SAMPLE" : "STAT", timeout, cancellationToken).ConfigureAwait(false);
        return Parse(line, "STAT ", SoakJson.Default.SoakClientStat);
    }

    /// <summary>Sends CALM: the consumers stop stalling.</summary>
    public Task CalmAsync(TimeSpan timeout, CancellationToken cancellationToken) => RequestAsync("CALM", timeout, cancellationToken);

    /// <summary>Sends STOP with the last seq_id published per strategy and parses the RESULT.</summary>
    public async Task<SoakClientResult> StopAsync(IReadOnlyDictionary<long, long> lastPublished, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string command = "STOP " + string.Join(',', lastPublished.Select(p => FormattableString.Invariant($"{p.Key}={p.Value}")));
        string line = await RequestAsync(command, timeout, cancellationToken).ConfigureAwait(false);
        return Parse(line, "RESULT ", SoakJson.Default.SoakClientResult);
    }

    /// <summary>Waits for the process to exit; kills it after <paramref name="timeout"/>. The exit code, -1 if killed.</summary>
    public Task<int> WaitExitAsync(TimeSpan timeout) => _process.WaitExitAsync(timeout);

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync().ConfigureAwait(false);
        _requests.Dispose();
    }

    private async Task<string> RequestAsync(string command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _requests.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            try
            {
                await _process.Input.WriteLineAsync(command.AsMemory(), cancellationToken).ConfigureAwait(false);
                await _process.Input.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw new SoakFailure($"the client process is gone ({ex.Message}){Tail()}", ex);
            }

            return await NextAnswerAsync(timeout, command.Split(' ')[0], cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _requests.Release();
        }
    }

    private async Task<string> NextAnswerAsync(TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            if (await _process.Lines.WaitToReadAsync(limit.Token).ConfigureAwait(false) && _process.Lines.TryRead(out string? line))
            {
                return line;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SoakFailure($"no answer to {what} within {timeout.TotalSeconds:0} s{Tail()}");
        }

        await WaitExitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        throw new SoakFailure($"the client process exited (code {_process.ExitCode}) before answering {what}{Tail()}");
    }

    private string Tail() => _process.ErrorsSuffix;

    private static T Parse<T>(string line, string prefix, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        if (!line.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new SoakFailure($"expected {prefix.Trim()}, got: {line}");
        }

        try
        {
            return JsonSerializer.Deserialize(line.AsSpan(prefix.Length), type) ?? throw new SoakFailure("empty " + prefix.Trim());
        }
        catch (JsonException ex)
        {
            throw new SoakFailure($"unreadable {prefix.Trim()} line ({ex.Message}): {line}", ex);
        }
    }
}

/// <summary>The soak itself could not go on (the client process died or stopped answering, the server would not restart).</summary>
internal sealed class SoakFailure : Exception
{
    public SoakFailure()
    {
    }

    public SoakFailure(string message)
        : base(message)
    {
    }

    public SoakFailure(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
