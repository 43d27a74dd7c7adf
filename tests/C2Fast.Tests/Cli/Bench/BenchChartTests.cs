using System.Buffers.Binary;
using System.CommandLine;
using System.Text.Json;
using System.Xml.Linq;
using C2Fast.Cli;
using C2Fast.Cli.Bench;

namespace C2Fast.Tests.Cli.Bench;

public sealed class BenchChartTests : IDisposable
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly string[] Clients = ["c2fast", "cws-stj", "cws-reader", "websocket-client", "python", "raw"];

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("c2fast-chart-");

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>Every client × mix × transport, rates spread like a real run (python ~50 k … raw ~4 M), or <paramref name="rows"/>.</summary>
    private static BenchReport Report(IReadOnlyList<BenchRow>? rows = null) => new()
    {
        Machine = new BenchMachine("AMD EPYC", 2, "Debian GNU/Linux 12 (bookworm)", ".NET 10", 24L << 30, "2026-11-25T05:46:42Z"),
        Settings = new BenchSettings
        {
            CommandLine = "c2fast bench", Rounds = 3, Mixes = ["small", "typical", "large"], Transports = ["ws", "wss"], Clients = Clients,
            Messages = new Dictionary<string, long>(), Python = "/usr/bin/python3",
        },
        Basis = [],
        Rows = rows ?? [.. from transport in new[] { "ws", "wss" }
                           from mix in new[] { "small", "typical", "large" }
                           from i in Enumerable.Range(0, Clients.Length)
                           select Row(Clients[i], mix, transport, Clients[i] switch { "python" => 50e3, "raw" => 4e6, _ => 3e5 / (i + 1) } / (mix == "large" ? 10 : 1))],
        HeartbeatRoundTrips = [],
        StalledConsumer = [],
        Targets = [],
        Runs = [],
        Failures = [],
    };

    private static BenchRow Row(string client, string mix, string transport, double? rate, string status = "ok") => new()
    {
        Client = client, Mix = mix, Transport = transport, Status = status, MessagesPerSecond = rate, RoundRates = [],
    };

    private static (int Width, int Height) PngSize(string path)
    {
        byte[] png = File.ReadAllBytes(path);
        Assert.Equal(PngSignature, png[..8]);
        Assert.Equal("IHDR"u8.ToArray(), png[12..16]);
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    private static string SvgText(string path)
    {
        XDocument svg = XDocument.Load(path);
        Assert.Equal("svg", svg.Root!.Name.LocalName);
        return string.Join('\n', svg.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim()));
    }

    [Fact]
    public void Save_FullReportToPng_TwoPanelsOfRealPixels()
    {
        string path = Path.Combine(_dir.FullName, "chart.png");

        BenchChart.Save(Report(), path);

        Assert.Equal((1440, 728), PngSize(path));
        Assert.InRange(new FileInfo(path).Length, 10_000, 2_000_000); // bars, text and antialiasing, not a blank canvas
    }

    [Fact]
    public void Save_FullReportToSvg_ParsesAndNamesEveryClientMixAndTransport()
    {
        string path = Path.Combine(_dir.FullName, "chart.SVG");

        BenchChart.Save(Report(), path);

        string text = SvgText(path);
        Assert.All(Clients, c => Assert.Contains(c, text, StringComparison.Ordinal));
        Assert.All(new[] { "small", "typical", "large", "ws (plain TCP)", "wss (TLS)", "2026-11-25", "AMD EPYC", "4.0M", "10k", "1M" },
            s => Assert.Contains(s, text, StringComparison.Ordinal));
    }

    [Fact]
    public void Save_OnlyWsOneMixWithFailedAndSkippedRows_OnePanelWithoutThem()
    {
        BenchReport report = Report(
        [
            Row("c2fast", "typical", "ws", 400e3),
            Row("raw", "typical", "ws", 4e6),
            Row("cws-stj", "typical", "ws", 10, "FAILED"),
            Row("python", "typical", "ws", null, "skipped (python3-websockets not installed)"),
            Row("websocket-client", "typical", "ws", double.NaN),
            Row("cws-reader", "typical", "wss", 0),
        ]);
        string png = Path.Combine(_dir.FullName, "ws.png");
        string svg = Path.Combine(_dir.FullName, "ws.svg");

        BenchChart.Save(report, png);
        BenchChart.Save(report, svg);

        Assert.Equal((960, 728), PngSize(png)); // one panel, as wide as the title needs
        string text = SvgText(svg);
        Assert.Contains("c2fast", text, StringComparison.Ordinal);
        Assert.Contains("typical", text, StringComparison.Ordinal);
        Assert.All(new[] { "cws-stj", "python", "websocket-client", "cws-reader", "wss", "small", "large" }, s => Assert.DoesNotContain(s, text, StringComparison.Ordinal));
    }

    [Fact]
    public void Save_NoRowOk_StillDrawsTheTitle()
    {
        string path = Path.Combine(_dir.FullName, "empty.svg");

        BenchChart.Save(Report([Row("c2fast", "small", "ws", null, "FAILED")]), path);

        Assert.Contains("c2fast bench", SvgText(path), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a.png", true)]
    [InlineData("/tmp/b.SVG", true)]
    [InlineData("c.jpg", false)]
    [InlineData("png", false)]
    public void IsSupported_ByExtension(string path, bool supported) => Assert.Equal(supported, BenchChart.IsSupported(path));

    [Fact]
    public async Task BenchChartCommand_FromSavedJson_WritesTheChartAndRejectsBadInput()
    {
        string json = Path.Combine(_dir.FullName, "results.json");
        string chart = Path.Combine(_dir.FullName, "out.svg");
        await File.WriteAllTextAsync(json, JsonSerializer.Serialize(Report(), BenchJson.Indented.BenchReport));
        await File.WriteAllTextAsync(Path.Combine(_dir.FullName, "bad.json"), "{ not json");

        Task<int> Run(string args) => CliApp.CreateRootCommand().Parse(args).InvokeAsync(new InvocationConfiguration { Output = TextWriter.Null, Error = TextWriter.Null });

        Assert.Equal(0, await Run($"bench-chart {json} {chart}"));
        Assert.Contains("cws-reader", SvgText(chart), StringComparison.Ordinal);
        Assert.Equal(2, await Run($"bench-chart {json} {Path.Combine(_dir.FullName, "out.jpg")}"));
        Assert.Equal(2, await Run($"bench-chart {Path.Combine(_dir.FullName, "bad.json")} {chart}"));
        Assert.Equal(2, await Run($"bench-chart {Path.Combine(_dir.FullName, "missing.json")} {chart}"));
    }
}
