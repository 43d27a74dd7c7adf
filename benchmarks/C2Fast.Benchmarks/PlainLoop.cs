using System.Diagnostics;

namespace C2Fast.Benchmarks;

/// <summary>
/// Runs one envelope contender in a plain loop: a target for profilers (<c>dotnet-trace</c>,
/// <c>DOTNET_JitDisasm</c>) and a quick interleaved check between BenchmarkDotNet runs. Not a
/// measurement: figures come from BenchmarkDotNet. (Under valgrind the JIT falls back to
/// MinOpts for many methods here, so callgrind counts do not describe the real code.)
/// </summary>
/// <example><c>dotnet C2Fast.Benchmarks.dll --loop Parser Signal 1000000</c></example>
internal static class PlainLoop
{
    public static int Run(string[] args)
    {
        if (args.Length != 4)
        {
            Console.Error.WriteLine("usage: --loop <Parser|ParserReaderPath|SerializerSourceGenerated|ReaderTokensOnly> <Heartbeat|Signal|Positions> <iterations>");
            return 2;
        }

        var bench = new EnvelopeBenchmarks { Message = Enum.Parse<EnvelopeBenchmarks.Kind>(args[2]), Segments = 1 };
        bench.Setup();
        Func<long> body = args[1] switch
        {
            "Parser" => bench.Parser,
            "ParserReaderPath" => bench.ParserReaderPath,
            "SerializerSourceGenerated" => bench.SerializerSourceGenerated,
            "ReaderTokensOnly" => bench.ReaderTokensOnly,
            _ => throw new ArgumentException($"unknown contender {args[1]}"),
        };

        int iterations = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
        long sum = 0;
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            sum += body();
        }

        Console.WriteLine($"{args[1]} {args[2]} x{iterations}: {watch.Elapsed.TotalNanoseconds / Math.Max(1, iterations):F0} ns/op (checksum {sum})");
        return 0;
    }
}
