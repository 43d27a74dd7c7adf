using System.Reflection;
using C2Fast.Simulator;

namespace C2Fast.IntegrationTests.Readme;

public class EmbeddingExampleTests
{
    private static string RepositoryRoot()
    {
        string peers = typeof(EmbeddingExampleTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PeersDirectory").Value!;
        return Path.GetFullPath(Path.Combine(peers, "..", ".."));
    }

    private static IEnumerable<string> Normalized(IEnumerable<string> lines)
    {
        string[] kept = lines.Where(l => l.Trim().Length > 0).ToArray();
        int indent = kept.Min(l => l.Length - l.TrimStart().Length);
        return kept.Select(l => l[indent..].TrimEnd());
    }

    [Fact]
    public void Readme_ContainsTheCompiledExampleVerbatim()
    {
        string[] source = File.ReadAllLines(Path.Combine(RepositoryRoot(), "tests", "C2Fast.IntegrationTests", "Readme", "EmbeddingExample.cs"));
        int begin = Array.FindIndex(source, l => l.Contains("README:begin", StringComparison.Ordinal));
        int end = Array.FindIndex(source, l => l.Contains("README:end", StringComparison.Ordinal));
        string example = string.Join('\n', Normalized(source[(begin + 1)..end]));

        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        string[] readmeLines = readme.Split('\n');
        int start = Array.FindIndex(readmeLines, l => l.StartsWith("```csharp", StringComparison.Ordinal));
        Assert.True(start >= 0, "README has no ```csharp block");
        int stop = Array.FindIndex(readmeLines, start + 1, l => l.StartsWith("```", StringComparison.Ordinal));
        string block = string.Join('\n', Normalized(readmeLines[(start + 1)..stop]));

        Assert.Contains(example, block, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Example_RunsAgainstTheSimulator_TradesEveryNewSignalAndReturnsTheLastSeqId()
    {
        await using C2Simulator simulator = await C2Simulator.StartNewAsync(new C2SimulatorOptions { Strategies = [101], History = 10 });
        var options = new C2FeedOptions { Endpoint = simulator.Uri!, ApiKey = C2SimulatorOptions.DemoApiKey };
        var traded = new List<C2Signal>();
        using var cts = new CancellationTokenSource();

        Task<long> run = EmbeddingExample.RunAsync(options, 101, lastSeqId: 4, signal =>
        {
            traded.Add(signal);
            if (traded.Count == 6)
            {
                cts.Cancel();
            }
        }, cts.Token);

        long last = await run.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(6, traded.Count);
        Assert.Equal(10, last);
        Assert.All(traded, s => Assert.Equal(101, s.StrategyId));
    }
}
