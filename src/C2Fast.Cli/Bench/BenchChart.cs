using System.Globalization;
using ScottPlot;
using SkiaSharp;

namespace C2Fast.Cli.Bench;

/// <summary>
/// The bench at a glance: median messages/s per client, grouped by mix, one panel per transport (ws, wss) side by side,
/// on a shared log-scale y axis, with C2Fast in a colour of its own. PNG or SVG by the file's extension.
/// </summary>
/// <remarks>
/// Only rows with status <c>ok</c> and a positive rate are drawn: a failed or skipped client leaves a gap in its
/// group, and a transport or mix with no such row leaves no panel or group. Clients keep one colour and one slot in
/// every group, so a bar is found by position as well as colour. ScottPlot is only loaded when a chart is drawn, so the
/// bench child processes (the same executable) never pay for it.
/// </remarks>
internal static class BenchChart
{
    private const int PanelWidth = 720;

    /// <summary>Wide enough for the title's machine line when there is only one panel.</summary>
    private const int MinWidth = 960;

    /// <summary>A multiple of <see cref="GridRows"/>, so the header ends on a whole pixel (no seam in the SVG).</summary>
    private const int Height = 728;

    /// <summary>Header (title and legend) rows out of <see cref="GridRows"/>: the panels share the rest.</summary>
    private const int HeaderRows = 2;
    private const int GridRows = 14;

    /// <summary>C2Fast first and vivid; the others in a cool, muted range (raw drain lightest: it is the ceiling, not a client).</summary>
    private static readonly string[] Palette = ["#E4572E", "#F3A712", "#1F4E79", "#4F81BD", "#76B7B2", "#7F7F7F", "#C9C9C9"];

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>
    /// Whether SkiaSharp found no font at all (its NoDependencies build reads only <c>/usr/share/fonts</c>, empty in a
    /// bare container): the chart then has bars but no text, and the commands say so.
    /// </summary>
    public static bool NoFonts => SKTypeface.Default.GlyphCount == 0;

    /// <summary>What to tell the user when <see cref="NoFonts"/>.</summary>
    public const string NoFontsHint = "no font found under /usr/share/fonts, so the chart has no text; install one (Debian: fonts-dejavu-core) and redraw it with `c2fast bench-chart`.";

    /// <summary>Whether <paramref name="path"/> ends in <c>.png</c> or <c>.svg</c> (any case).</summary>
    public static bool IsSupported(string path) => Path.GetExtension(path).ToUpperInvariant() is ".PNG" or ".SVG";

    /// <summary>Draws <paramref name="report"/> into <paramref name="path"/>: SVG for <c>.svg</c>, PNG otherwise.</summary>
    public static void Save(BenchReport report, string path)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(path);
        List<BenchRow> rows = [.. report.Rows.Where(r => r.Status == "ok" && r.MessagesPerSecond is > 0 && double.IsFinite(r.MessagesPerSecond.Value))];
        List<string> transports = Ordered(rows.Select(r => r.Transport), ["ws", "wss"]);
        List<string> mixes = Ordered(rows.Select(r => r.Mix), [.. BenchMixes.All.Select(BenchMixes.Name)]);
        List<string> clients = Ordered(rows.Select(r => r.Client), [.. BenchClients.All.Select(BenchClients.Name)]);

        (double bottom, double top) = Decades(rows);
        var multiplot = new Multiplot();
        var layout = new ScottPlot.MultiplotLayouts.CustomGrid();
        int columns = Math.Max(1, transports.Count);
        string font = SansFont();
        Plot header = multiplot.AddPlot();
        layout.Set(header, new GridCell(0, 0, GridRows, columns, HeaderRows, columns));
        DrawHeader(header, report, clients, font);
        for (int i = 0; i < transports.Count; i++)
        {
            Plot panel = multiplot.AddPlot();
            layout.Set(panel, new GridCell(HeaderRows, i, GridRows, columns, GridRows - HeaderRows, 1));
            DrawPanel(panel, transports[i], rows.Where(r => r.Transport == transports[i]).ToList(), mixes, clients, bottom, top, font);
        }

        multiplot.Layout = layout;
        int width = Math.Max(MinWidth, PanelWidth * columns);
        if (Path.GetExtension(path).Equals(".svg", StringComparison.OrdinalIgnoreCase))
        {
            // ScottPlot lays a plot out on its first render and draws it again once the labels are measured; settle the
            // layout off-screen so the SVG holds one copy of each element, not two.
            using (var layoutPass = new SKNoDrawCanvas(width, Height))
            {
                multiplot.Render(layoutPass, new PixelRect(0, width, Height, 0));
            }

            using FileStream stream = File.Create(path);
            using SKCanvas canvas = SKSvgCanvas.Create(SKRect.Create(width, Height), stream);
            multiplot.Render(canvas, new PixelRect(0, width, Height, 0));
        }
        else
        {
            multiplot.SavePng(path, width, Height);
        }
    }

    private static void DrawHeader(Plot header, BenchReport report, List<string> clients, string font)
    {
        header.Font.Set(font);
        BenchMachine m = report.Machine;
        string rounds = report.Settings.Rounds == 1 ? "1 round" : $"median of {report.Settings.Rounds} rounds";
        header.Title($"c2fast bench: messages/s per client ({rounds}{(report.Settings.Quick ? ", --quick" : "")})\n"
            + $"{Day(m.Date)} · {m.CpuModel}, {m.Cores} cores, {m.MemoryBytes / (1L << 30)} GiB · {m.Os} · {m.DotNet}", 15);
        header.HideAxesAndGrid();
        header.Axes.Title.IsVisible = true;
        header.Legend.ManualItems.AddRange(clients.Select(c => new LegendItem { LabelText = c, FillColor = ColorOf(c) }));
        header.Legend.Orientation = Orientation.Horizontal;
        header.Legend.Alignment = Alignment.MiddleCenter;
        header.Legend.FontSize = 13;
        header.Legend.FontName = font;
        header.Legend.OutlineWidth = 0;
        header.Legend.ShadowColor = Colors.Transparent;
        header.Legend.TightHorizontalWrapping = true;
        header.Legend.IsVisible = clients.Count > 0;
    }

    private static void DrawPanel(Plot panel, string transport, List<BenchRow> rows, List<string> mixes, List<string> clients, double bottom, double top, string font)
    {
        panel.Font.Set(font);
        double slot = 0.84 / Math.Max(1, clients.Count);
        var bars = new List<Bar>();
        foreach (BenchRow row in rows)
        {
            int group = mixes.IndexOf(row.Mix);
            int index = clients.IndexOf(row.Client);
            double rate = row.MessagesPerSecond!.Value;
            bars.Add(new Bar
            {
                Position = group - 0.42 + (slot * (index + 0.5)),
                Size = slot * 0.9,
                ValueBase = bottom,
                Value = Math.Log10(rate),
                FillColor = ColorOf(row.Client),
                LineWidth = 0,
                Label = Rate(rate),
            });
        }

        ScottPlot.Plottables.BarPlot plot = panel.Add.Bars(bars);
        plot.ValueLabelStyle.FontSize = 10;
        plot.ValueLabelStyle.FontName = font;

        panel.Title(transport == "wss" ? "wss (TLS)" : transport == "ws" ? "ws (plain TCP)" : transport, 14);
        panel.Axes.Bottom.SetTicks([.. Enumerable.Range(0, mixes.Count).Select(i => (double)i)], [.. mixes.Select(MixLabel)]);
        panel.Axes.Bottom.MajorTickStyle.Length = 0;
        panel.Axes.Bottom.TickLabelStyle.FontSize = 13;
        panel.Axes.Left.TickGenerator = LogTicks(bottom, top);
        panel.Axes.Left.Label.Text = "messages/s (log scale, higher is better)";
        panel.Axes.Left.Label.FontSize = 13;
        panel.Axes.SetLimits(-0.5, mixes.Count - 0.5, bottom, top);
        panel.Grid.XAxisStyle.MajorLineStyle.Width = 0;
        panel.Grid.YAxisStyle.MinorLineStyle.Width = 1;
        panel.Grid.YAxisStyle.MinorLineStyle.Color = Colors.Black.WithAlpha(0.05);
    }

    /// <summary>Major ticks at every power of ten (1k, 10k, 100k, 1M…), minor ones at 2–9 × each.</summary>
    private static ScottPlot.TickGenerators.NumericManual LogTicks(double bottom, double top)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int decade = (int)Math.Floor(bottom); decade <= (int)Math.Ceiling(top); decade++)
        {
            ticks.AddMajor(decade, decade switch
            {
                >= 6 => Math.Pow(10, decade - 6).ToString("0", Invariant) + "M",
                >= 3 => Math.Pow(10, decade - 3).ToString("0", Invariant) + "k",
                _ => Math.Pow(10, decade).ToString("0", Invariant),
            });
            for (int k = 2; k < 10 && decade + Math.Log10(k) < top; k++)
            {
                ticks.AddMinor(decade + Math.Log10(k));
            }
        }

        return ticks;
    }

    /// <summary>
    /// The y range in log10 units: from a round 1, 2 or 5 × 10ⁿ at most 0.6 × the slowest rate (so its bar shows) to a
    /// little above the fastest (room for its label). A log axis has no zero, so the bars start where the axis does.
    /// </summary>
    private static (double Bottom, double Top) Decades(List<BenchRow> rows)
    {
        if (rows.Count == 0)
        {
            return (3, 6);
        }

        double floor = rows.Min(r => r.MessagesPerSecond!.Value) * 0.6;
        double decade = Math.Pow(10, Math.Floor(Math.Log10(floor)));
        double bottom = Math.Log10(floor >= 5 * decade ? 5 * decade : floor >= 2 * decade ? 2 * decade : decade);
        double max = Math.Log10(rows.Max(r => r.MessagesPerSecond!.Value));
        return (bottom, Math.Max(bottom + 1, max + 0.15));
    }

    /// <summary>
    /// A sans-serif family the font manager has, else ScottPlot's pick: its own detection settles on the first font it
    /// finds when SkiaSharp has no fontconfig (the NoDependencies native asset), which on Debian is DejaVu Serif.
    /// </summary>
    private static string SansFont()
    {
        string[] families = SKFontManager.Default.GetFontFamilies();
        return Array.Find(["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica", "Segoe UI"], f => families.Contains(f)) ?? Fonts.Default;
    }

    /// <summary>The mix's name over its message size.</summary>
    private static string MixLabel(string mix) => !BenchMixes.TryParse(mix, out BenchMix known) ? mix : known switch
    {
        BenchMix.Small => $"{mix}\n~150 B",
        BenchMix.Typical => $"{mix}\n~300 B",
        _ => $"{mix}\n~4 KiB",
    };

    /// <summary>The known names in their usual order, then any others in report order.</summary>
    private static List<string> Ordered(IEnumerable<string> present, string[] known)
    {
        List<string> seen = [.. present.Distinct()];
        return [.. known.Where(seen.Contains), .. seen.Where(s => !known.Contains(s))];
    }

    private static Color ColorOf(string client)
    {
        int index = Array.FindIndex(BenchClients.All, k => BenchClients.Name(k) == client);
        return Color.FromHex(Palette[index < 0 ? Palette.Length - 1 : index]);
    }

    private static string Rate(double perSecond) => perSecond switch
    {
        >= 1e6 => (perSecond / 1e6).ToString("0.0", Invariant) + "M",
        >= 1e4 => (perSecond / 1e3).ToString("0", Invariant) + "k",
        >= 1e3 => (perSecond / 1e3).ToString("0.#", Invariant) + "k",
        _ => perSecond.ToString("0", Invariant),
    };

    /// <summary>The date part of the report's ISO timestamp (the whole string if it is not one).</summary>
    private static string Day(string date) =>
        DateTimeOffset.TryParse(date, Invariant, DateTimeStyles.AssumeUniversal, out DateTimeOffset when) ? when.ToString("yyyy-MM-dd", Invariant) : date;
}
