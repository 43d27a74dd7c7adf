using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace C2Fast.Cli;

/// <summary>
/// A child process the command drives (a bench client, the soak's client): its stdout lines arrive on
/// <see cref="Lines"/> in order (a filter may take some as they come, e.g. log lines), the end of its stderr is kept
/// for failure messages, stdin is open when asked for. Disposing kills it if it is still running.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly StringBuilder _stderr = new();
    private readonly int _errorsKept;

    private ChildProcess(Process process, int errorsKept)
    {
        _process = process;
        _errorsKept = errorsKept;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once it exited, else -1.</summary>
    public int ExitCode => _process.HasExited ? _process.ExitCode : -1;

    /// <summary>Its stdout, line by line; completes when stdout closes.</summary>
    public ChannelReader<string> Lines => _lines.Reader;

    /// <summary>Its stdin (only when started with <c>input: true</c>).</summary>
    public StreamWriter Input => _process.StandardInput;

    /// <summary>The end of its stderr so far, for messages.</summary>
    public string Errors
    {
        get
        {
            lock (_stderr)
            {
                string text = _stderr.ToString().Trim();
                return text.Length > _errorsKept ? "…" + text[^_errorsKept..] : text;
            }
        }
    }

    /// <summary>": " and <see cref="Errors"/>, or nothing when stderr is empty: the tail of a failure message.</summary>
    public string ErrorsSuffix => Errors is { Length: > 0 } errors ? ": " + errors : "";

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/>.</summary>
    /// <param name="fileName">The program.</param>
    /// <param name="arguments">Its arguments, each passed as is.</param>
    /// <param name="input">Whether to open its stdin.</param>
    /// <param name="take">Sees each stdout line first; a line it returns true for is not put on <see cref="Lines"/>.</param>
    /// <param name="errorsKept">How many characters of the end of stderr <see cref="Errors"/> keeps.</param>
    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, bool input, Func<string, bool>? take = null, int errorsKept = 2000)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var child = new ChildProcess(process, errorsKept);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                child._lines.Writer.TryComplete();
            }
            else if (take is null || !take(e.Data))
            {
                child._lines.Writer.TryWrite(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (child._stderr)
                {
                    child._stderr.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for the process to exit; kills it after <paramref name="timeout"/>. The exit code, -1 if killed.</summary>
    public async Task<int> WaitExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout).ConfigureAwait(false);
            return _process.ExitCode;
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
            return -1;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
    }
}
