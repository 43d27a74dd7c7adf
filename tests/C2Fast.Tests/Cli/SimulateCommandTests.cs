using System.CommandLine;
using C2Fast.Cli;
using C2Fast.Cli.Commands;
using C2Fast.Simulator;

namespace C2Fast.Tests.Cli;

public class SimulateCommandTests
{
    private static (SimulateCommand Command, ParseResult Result) Parse(string args)
    {
        var simulate = new SimulateCommand();
        var root = new RootCommand { simulate.Command };
        return (simulate, root.Parse("simulate " + args));
    }

    [Fact]
    public void ToOptions_EveryFlag_MappedToSimulatorOptions()
    {
        var (command, result) = Parse(
            "--port 5123 --tls --api-key a --api-key b --heartbeat-interval 0.5 --heartbeat-grace 0.25 --strategies 101,102 --strategies 103 " +
            "--allowed-strategies 7 --signal-rate 2.5 --positions-interval 0 --history 1500 --replay-limit 100 --seq-jumps 4 --limit-race " +
            "--max-connections-per-key 3 --global-connection-limit 9 --heartbeat-miss-code 4000 " +
            "--drop-after 5 --stall-after 6 --stall-seconds 0.5 --split-after 7 --close-after 8 --close-code 1012 --no-heartbeats " +
            "--reject-handshakes 2 --reject-status 503 --flood-messages 100 --flood-rate 50 --flood-on-connect");

        Assert.Empty(result.Errors);
        var options = command.ToOptions(result);
        options.Validate();
        Assert.Equal(5123, options.Port);
        Assert.True(options.UseTls);
        Assert.Equal(["a", "b"], options.ApiKeys);
        Assert.Equal(TimeSpan.FromSeconds(0.5), options.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(0.25), options.HeartbeatGrace);
        Assert.Equal([101L, 102, 103], options.Strategies);
        Assert.Equal([7L], options.AllowedStrategies!);
        Assert.Equal(2.5, options.SignalRate);
        Assert.Equal(TimeSpan.Zero, options.PositionsInterval);
        Assert.Equal(1500, options.History);
        Assert.Equal(100, options.ReplayLimit);
        Assert.Equal(4, options.SeqJumpEvery);
        Assert.Equal(C2ConnectionLimitBehavior.RaceClose1008, options.ConnectionLimitBehavior);
        Assert.Equal((3, 9, 4000), (options.MaxConnectionsPerKey, options.GlobalConnectionLimit, options.HeartbeatMissCloseCode));
        Assert.Equal(new C2FaultPlan
        {
            DropAfterMessages = 5, StallAfterMessages = 6, StallDuration = TimeSpan.FromSeconds(0.5), SplitFrameAfterMessages = 7,
            CloseAfterMessages = 8, CloseCode = 1012, SendHeartbeats = false, RejectHandshakes = 2, RejectStatusCode = 503,
        }, options.Faults);
        Assert.Equal(100, options.Flood!.MessageCount);
        Assert.Equal(50, options.Flood.RatePerSecond);
        Assert.Equal(C2FloodTrigger.Connect, options.Flood.Trigger);
    }

    [Fact]
    public void ToOptions_NoFlags_DemoKeyAndDocumentedDefaults()
    {
        var (command, result) = Parse("");

        var options = command.ToOptions(result);

        Assert.Equal([C2SimulatorOptions.DemoApiKey], options.ApiKeys);
        Assert.Equal(TimeSpan.FromSeconds(30), options.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), options.HeartbeatGrace);
        Assert.Equal(10, options.MaxConnectionsPerKey);
        Assert.Equal(1000, options.ReplayLimit);
        Assert.Null(options.AllowedStrategies);
        Assert.Null(options.Flood);
        Assert.Equal(C2FaultPlan.None, options.Faults);
    }

    [Theory]
    [InlineData("--strategies 101,abc")]
    [InlineData("--strategies 0")]
    [InlineData("--heartbeat-interval 0")]
    [InlineData("--heartbeat-interval -1")]
    [InlineData("--port notanumber")]
    public void Parse_InvalidValue_ReportsError(string args)
    {
        var (_, result) = Parse(args);

        Assert.NotEmpty(result.Errors);
    }

    [Fact]
    public async Task Invoke_InvalidOptionCombination_ExitCode2WithMessage()
    {
        var error = new StringWriter();
        var result = CliApp.CreateRootCommand().Parse("simulate --reject-status 404");

        var exitCode = await result.InvokeAsync(new InvocationConfiguration { Output = TextWriter.Null, Error = error });

        Assert.Equal(2, exitCode);
        Assert.Contains("RejectStatusCode", error.ToString(), StringComparison.Ordinal);
    }
}
