using System.CommandLine;
using C2Fast.Cli.Commands;

namespace C2Fast.Cli;

/// <summary>Builds the <c>c2fast</c> command tree. Add a subcommand by adding its <c>Create()</c> here.</summary>
internal static class CliApp
{
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("c2fast: a fast Collective2 API v4 WebSocket feed handler, and a local simulator of the C2 server.");
        root.Subcommands.Add(new SimulateCommand().Command);
        root.Subcommands.Add(new StreamCommand().Command);
        root.Subcommands.Add(new DemoCommand().Command);
        root.Subcommands.Add(new BenchCommand().Command);
        root.Subcommands.Add(new BenchChartCommand().Command);
        root.Subcommands.Add(new BenchClientCommand().Command);
        root.Subcommands.Add(new SoakCommand().Command);
        root.Subcommands.Add(new SoakClientCommand().Command);
        return root;
    }
}
