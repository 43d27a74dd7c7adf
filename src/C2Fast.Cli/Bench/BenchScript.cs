using System.Diagnostics;

namespace C2Fast.Cli.Bench;

/// <summary>The vendor's python loop shipped inside c2fast (embedded resource), and the interpreter that can run it.</summary>
internal static class BenchScript
{
    public const string FileName = "bench_seed_client.py";

    /// <summary>Writes the script into <paramref name="directory"/>.</summary>
    public static async Task ExtractAsync(string directory, CancellationToken cancellationToken)
    {
        Stream resource = typeof(BenchScript).Assembly.GetManifestResourceStream("C2Fast.Cli.Bench." + FileName)
            ?? throw new InvalidOperationException("the python bench script is missing from the c2fast assembly");
        await using (resource.ConfigureAwait(false))
        {
            FileStream file = File.Create(Path.Combine(directory, FileName));
            await using (file.ConfigureAwait(false))
            {
                await resource.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The first of Debian's <c>/usr/bin/python3</c> and <c>python3</c> on PATH that can <c>import websockets</c>,
    /// with its version text; or <see langword="null"/> and why not.
    /// </summary>
    public static async Task<(string? Interpreter, string Status)> FindPythonAsync(CancellationToken cancellationToken)
    {
        string reason = "python3-websockets not installed";
        foreach (string candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                var start = new ProcessStartInfo(candidate) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (string argument in new[] { "-c", "import sys, websockets; print(sys.version.split()[0], websockets.__version__)" })
                {
                    start.ArgumentList.Add(argument);
                }

                using Process process = Process.Start(start)!;
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                limit.CancelAfter(TimeSpan.FromSeconds(15));
                string output = await process.StandardOutput.ReadToEndAsync(limit.Token).ConfigureAwait(false);
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
                if (process.ExitCode == 0)
                {
                    string[] versions = output.Trim().Split(' ');
                    return (candidate, $"{candidate} (Python {versions[0]}, websockets {versions.ElementAtOrDefault(1)})");
                }
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or OperationCanceledException or IOException)
            {
                // Not there: try the next one.
            }
        }

        return (null, reason);
    }
}
