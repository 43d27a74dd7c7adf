using System.Diagnostics;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using C2Fast.Simulator;
using C2Fast.IntegrationTests.Simulator;

namespace C2Fast.IntegrationTests.Cli;

/// <summary>Runs the built <c>c2fast</c> as a separate process, the way a user does.</summary>
public class SimulateProcessTests
{
    private static string CliDll()
    {
        // The test project references the CLI, so its build output sits next to the tests'.
        var local = Path.Combine(AppContext.BaseDirectory, "C2Fast.Cli.dll");
        Assert.True(File.Exists(local) && File.Exists(Path.ChangeExtension(local, ".runtimeconfig.json")), "C2Fast.Cli.dll (+ runtimeconfig) next to the tests");
        return local;
    }

    [Fact]
    public async Task Simulate_Tls_ClientTrustingThePrintedCaConnects()
    {
        var caPath = Path.Combine(Path.GetTempPath(), $"c2fast-test-ca-{Guid.NewGuid():N}.pem");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { CliDll(), "simulate", "--port", "0", "--tls", "--ca-out", caPath, "--strategies", "101", "--history", "3", "--status-interval", "0.2" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var endpoint = new TaskCompletionSource<(Uri Uri, string CaPath)>(TaskCreationOptions.RunContinuationsAsynchronously);
        Uri? uri = null;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (Regex.Match(e.Data, @"listening on (\S+)") is { Success: true } listen)
            {
                uri = new Uri(listen.Groups[1].Value);
            }

            if (Regex.Match(e.Data, @"written to (\S+)") is { Success: true } ca && uri is not null)
            {
                endpoint.TrySetResult((uri, ca.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var (wss, printedCa) = await endpoint.Task.WaitAsync(TimeSpan.FromSeconds(20));
            using var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(printedCa));

            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", "Bearer " + C2SimulatorOptions.DemoApiKey);
            socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(certificate));
            };
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(wss, timeout.Token);
            var buffer = new byte[4096];
            var first = await socket.ReceiveAsync(buffer, timeout.Token);
            var firstText = Encoding.UTF8.GetString(buffer, 0, first.Count);
            await socket.SendAsync(Encoding.UTF8.GetBytes(
                $$$"""{"msg_type":"subscription.request","request_id":"tls","timestamp":"{{{SimTestClient.Now()}}}","payload":{"action":"subscribe","channel":"strategy.signal","strategy_id":101,"resume_from":"1"}}"""),
                WebSocketMessageType.Text, true, timeout.Token);
            var ack = await socket.ReceiveAsync(buffer, timeout.Token);
            var ackText = Encoding.UTF8.GetString(buffer, 0, ack.Count);
            var replayed = await socket.ReceiveAsync(buffer, timeout.Token);
            var replayedText = Encoding.UTF8.GetString(buffer, 0, replayed.Count);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);

            Assert.Equal("wss", wss.Scheme);
            Assert.Equal(Path.GetFullPath(caPath), printedCa);
            Assert.Contains("connection.connected", firstText, StringComparison.Ordinal);
            Assert.Contains("\"request_id\":\"tls\"", ackText, StringComparison.Ordinal);
            Assert.Contains("\"seq_id\":2", replayedText, StringComparison.Ordinal);
            await SimOptions.EventuallyAsync(() => { lock (output) { return output.ToString().Contains("closes(client)=1000x1", StringComparison.Ordinal); } }, "status line counts the close");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            File.Delete(caPath);
        }
    }

    [Fact]
    public async Task Simulate_Sigterm_StopsCleanlyWithExitCodeZero()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { CliDll(), "simulate", "--port", "0", "--status-interval", "0" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        try
        {
            string? line;
            do
            {
                line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
                Assert.NotNull(line);
            }
            while (!line.Contains("listening on", StringComparison.Ordinal));

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            var rest = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Equal(0, process.ExitCode);
            Assert.Contains("stopping", rest, StringComparison.Ordinal);
            Assert.Contains("conns=0", rest, StringComparison.Ordinal); // the final status line
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }

    [Fact]
    public async Task Simulate_UntrustedCa_TlsHandshakeFails()
    {
        await using var sim = await SimOptions.StartAsync(new C2SimulatorOptions { UseTls = true });
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + C2SimulatorOptions.DemoApiKey);

        var ex = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(sim.Uri!, CancellationToken.None));

        Assert.IsType<System.Net.Http.HttpRequestException>(ex.InnerException);
    }
}
