using System.CommandLine;
using C2Fast.Cli;
using C2Fast.IntegrationTests.Simulator;
using C2Fast.Simulator;

namespace C2Fast.IntegrationTests.Cli;

/// <summary>`c2fast simulate` run in process until cancelled: it starts the simulator. Its parsing tests are in C2Fast.Tests.</summary>
public class SimulateCommandTests
{
    [Fact]
    public async Task Invoke_RunsUntilCancelled_PrintsEndpointStatusAndStopsCleanly()
    {
        var output = new SyncWriter();
        var result = CliApp.CreateRootCommand().Parse("simulate --strategies 101 --signal-rate 20 --status-interval 0.1");
        using var cts = new CancellationTokenSource();

        var run = result.InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, cts.Token);
        await SimOptions.EventuallyAsync(() => output.ToString().Contains("signals=", StringComparison.Ordinal), "a status line");
        var listening = System.Text.RegularExpressions.Regex.Match(output.ToString(), @"listening on (ws://\S+)").Groups[1].Value;
        var sim = new Uri(listening);
        using (var ws = new System.Net.WebSockets.ClientWebSocket())
        {
            ws.Options.SetRequestHeader("Authorization", "Bearer " + C2SimulatorOptions.DemoApiKey);
            await ws.ConnectAsync(sim, CancellationToken.None);
            await ws.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        await cts.CancelAsync();
        var exitCode = await run.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(0, exitCode);
        Assert.Matches(@"listening on ws://127\.0\.0\.1:\d+/ws", output.ToString());
        Assert.Contains(C2SimulatorOptions.DemoApiKey, output.ToString(), StringComparison.Ordinal);
        Assert.Contains("stopping", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("accepted=1", output.ToString(), StringComparison.Ordinal);
    }

    /// <summary>A StringWriter safe to read while the command writes.</summary>
    private sealed class SyncWriter : StringWriter
    {
        private readonly Lock _gate = new();

        public override void Write(char value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            lock (_gate)
            {
                base.WriteLine(value);
            }

            return Task.CompletedTask;
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return base.ToString();
            }
        }
    }
}
