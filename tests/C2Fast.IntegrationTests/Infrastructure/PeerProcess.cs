using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using C2Fast.Tests.Infrastructure;

namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>
/// One running independent WebSocket server (tests/peers/ws_server.py or ws_server.js) on
/// 127.0.0.1 with an ephemeral port. Start it with <see cref="StartAsync"/>; it is killed (whole
/// process tree) on <see cref="DisposeAsync"/>, and it exits by itself if this test process dies
/// (it watches its stdin). Missing prerequisites fail loudly; nothing is ever skipped.
/// </summary>
internal sealed class PeerProcess : IAsyncDisposable
{
    public const string PythonPath = "/usr/bin/python3";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<int> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _lineAdded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;
    private volatile bool _exitConfirmed;

    private PeerProcess(PeerKind kind, PeerOptions options, Process process)
    {
        Kind = kind;
        Options = options;
        _process = process;
    }

    public PeerKind Kind { get; }

    public PeerOptions Options { get; }

    /// <summary>The port the peer printed in its <c>LISTENING &lt;port&gt;</c> line.</summary>
    public int Port { get; private set; }

    /// <summary><c>ws://127.0.0.1:port/</c> or <c>wss://127.0.0.1:port/</c>.</summary>
    public Uri BaseUri { get; private set; } = null!;

    /// <summary>The absolute directory of tests/peers (from the assembly's <c>PeersDirectory</c> metadata).</summary>
    public static string PeersDirectory { get; } = FindPeersDirectory();

    /// <summary>Snapshot of the stdout lines after <c>LISTENING</c> (e.g. <c>CLIENT_CLOSE ...</c>).</summary>
    public IReadOnlyList<string> StdoutLines
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToArray();
            }
        }
    }

    /// <summary>Snapshot of the stderr lines (diagnostics, library warnings).</summary>
    public IReadOnlyList<string> StderrLines
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToArray();
            }
        }
    }

    /// <summary>True once the process has exited (after <see cref="DisposeAsync"/>: once the kill was confirmed).</summary>
    public bool HasExited => Volatile.Read(ref _disposed) != 0 ? _exitConfirmed : _process.HasExited;

    /// <summary>
    /// Starts the peer and waits (up to 15 s) for its <c>LISTENING &lt;port&gt;</c> line.
    /// </summary>
    /// <exception cref="InvalidOperationException">A prerequisite is missing, or the peer died or did not get ready.</exception>
    public static async Task<PeerProcess> StartAsync(PeerKind kind, PeerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new PeerOptions();
        var startInfo = CreateStartInfo(kind, options);
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var peer = new PeerProcess(kind, options, process);
        process.OutputDataReceived += (_, e) => peer.OnLine(e.Data, isStdout: true);
        process.ErrorDataReceived += (_, e) => peer.OnLine(e.Data, isStdout: false);
        process.Exited += (_, _) => peer._listening.TrySetException(new InvalidOperationException($"The {kind} peer exited before it was ready."));

        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            process.Dispose();
            throw new InvalidOperationException(
                $"Cannot start the {kind} peer '{startInfo.FileName}': {ex.Message}. " +
                (kind == PeerKind.Node ? "Install Node.js 20 (node on PATH)." : "Install Debian python3 and python3-websockets."), ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            peer.Port = await peer._listening.Task.WaitAsync(StartTimeout, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or OperationCanceledException)
        {
            // Give the stderr reader a moment so the failure message carries the peer's own words.
            await Task.Delay(300, CancellationToken.None);
            var exitCode = process.HasExited ? $" (exit code {process.ExitCode.ToString(CultureInfo.InvariantCulture)})" : "";
            var describe = peer.Describe();
            await peer.DisposeAsync();
            var what = ex switch
            {
                TimeoutException => $"The {kind} peer did not print 'LISTENING <port>' within {StartTimeout.TotalSeconds:0} s.",
                OperationCanceledException => $"Starting the {kind} peer was canceled.",
                _ => ex.Message,
            };
            throw new InvalidOperationException($"{what}{exitCode}{Environment.NewLine}{describe}", ex);
        }

        peer.BaseUri = new Uri($"{(options.Tls ? "wss" : "ws")}://127.0.0.1:{peer.Port.ToString(CultureInfo.InvariantCulture)}/");
        return peer;
    }

    /// <summary>The absolute URI of a scenario, e.g. <c>Url("/send?sizes=0,125&amp;type=text")</c>.</summary>
    public Uri Url(string pathAndQuery) => new(BaseUri, pathAndQuery);

    /// <summary>
    /// Waits for a stdout line (already received or arriving later) that matches <paramref name="predicate"/>.
    /// </summary>
    /// <exception cref="TimeoutException">No such line in time; the message lists what the peer printed.</exception>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        using var cts = new CancellationTokenSource(timeout);
        var index = 0;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                for (; index < _stdout.Count; index++)
                {
                    if (predicate(_stdout[index]))
                    {
                        return _stdout[index];
                    }
                }

                changed = _lineAdded.Task;
            }

            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The {Kind} peer printed no matching line within {timeout.TotalSeconds:0.#} s.{Environment.NewLine}{Describe()}");
            }
        }
    }

    /// <summary>
    /// Waits for the peer's report of the close frame it received on the connection opened with
    /// <c>?tag=</c><paramref name="tag"/> (line <c>CLIENT_CLOSE#tag code reason</c>). Code 1005 = a close
    /// frame without code, 1006 = no close frame at all.
    /// </summary>
    public async Task<(int Code, string Reason)> WaitForClientCloseAsync(string tag, TimeSpan timeout)
    {
        var prefix = $"CLIENT_CLOSE#{tag} ";
        var line = await WaitForLineAsync(l => l.StartsWith(prefix, StringComparison.Ordinal), timeout);
        var rest = line[prefix.Length..];
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        var codeText = space < 0 ? rest : rest[..space];
        var reason = space < 0 ? "" : rest[(space + 1)..];
        if (!int.TryParse(codeText, NumberStyles.None, CultureInfo.InvariantCulture, out var code))
        {
            throw new InvalidOperationException($"Unparsable peer line '{line}'.");
        }

        return (code, reason);
    }

    /// <summary>Everything the peer printed, for assertion messages and failure diagnostics.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"[{Kind} peer, {_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)}]");
        lock (_gate)
        {
            foreach (var line in _stdout)
            {
                text.AppendLine().Append("stdout: ").Append(line);
            }

            foreach (var line in _stderr)
            {
                text.AppendLine().Append("stderr: ").Append(line);
            }
        }

        return text.ToString();
    }

    public override string ToString() => $"{Kind} {BaseUri}";

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
            _exitConfirmed = true;
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
            _exitConfirmed = true;
        }
        catch (TimeoutException)
        {
            // Kill was sent; the kernel reaps it. Nothing else to do without a broad kill.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static ProcessStartInfo CreateStartInfo(PeerKind kind, PeerOptions options)
    {
        var directory = PeersDirectory;
        ProcessStartInfo startInfo;
        if (kind == PeerKind.Python)
        {
            if (!File.Exists(PythonPath))
            {
                throw new InvalidOperationException($"{PythonPath} is missing: install Debian python3 and python3-websockets (apt-get install -y --no-install-recommends python3-websockets).");
            }

            startInfo = new ProcessStartInfo(PythonPath);
            startInfo.ArgumentList.Add("-u");
            startInfo.ArgumentList.Add(Path.Combine(directory, "ws_server.py"));
        }
        else
        {
            if (!File.Exists(Path.Combine(directory, "node_modules", "ws", "package.json")))
            {
                throw new InvalidOperationException($"npm ws is not installed in {directory}/node_modules: run 'cd tests/peers && npm ci' (or ./test.sh).");
            }

            startInfo = new ProcessStartInfo("node");
            startInfo.ArgumentList.Add(Path.Combine(directory, "ws_server.js"));
        }

        startInfo.ArgumentList.Add("--port");
        startInfo.ArgumentList.Add("0");
        startInfo.ArgumentList.Add("--exit-on-stdin-eof");
        if (options.Tls)
        {
            var files = TestCertificates.Shared.Files;
            startInfo.ArgumentList.Add("--tls");
            startInfo.ArgumentList.Add(files.ServerCertificatePath);
            startInfo.ArgumentList.Add(files.ServerKeyPath);
        }

        if (options.ApiKey is not null)
        {
            startInfo.ArgumentList.Add("--api-key");
            startInfo.ArgumentList.Add(options.ApiKey);
        }

        if (options.MaxSize is not null)
        {
            startInfo.ArgumentList.Add("--max-size");
            startInfo.ArgumentList.Add(options.MaxSize.Value.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var argument in options.ExtraArguments ?? [])
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.WorkingDirectory = directory;
        startInfo.UseShellExecute = false;
        startInfo.RedirectStandardInput = true;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        startInfo.StandardOutputEncoding = Encoding.UTF8;
        startInfo.StandardErrorEncoding = Encoding.UTF8;
        startInfo.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        return startInfo;
    }

    private static string FindPeersDirectory()
    {
        var value = typeof(PeerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "PeersDirectory")?.Value;
        if (string.IsNullOrEmpty(value))
        {
            throw new InvalidOperationException("The test assembly has no [AssemblyMetadata(\"PeersDirectory\", ...)]; see C2Fast.IntegrationTests.csproj.");
        }

        var directory = Path.GetFullPath(value);
        return Directory.Exists(directory)
            ? directory
            : throw new InvalidOperationException($"The peers directory '{directory}' does not exist.");
    }

    private void OnLine(string? line, bool isStdout)
    {
        if (line is null)
        {
            return;
        }

        if (isStdout && !_listening.Task.IsCompleted && line.StartsWith("LISTENING ", StringComparison.Ordinal))
        {
            if (int.TryParse(line.AsSpan("LISTENING ".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0)
            {
                _listening.TrySetResult(port);
            }
            else
            {
                _listening.TrySetException(new InvalidOperationException($"The {Kind} peer printed a bad ready line '{line}'."));
            }

            return;
        }

        TaskCompletionSource signal;
        lock (_gate)
        {
            (isStdout ? _stdout : _stderr).Add(line);
            signal = _lineAdded;
            _lineAdded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        signal.TrySetResult();
    }
}
