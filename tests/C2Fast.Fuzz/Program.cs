using C2Fast.Fuzz.Targets;
using SharpFuzz;

namespace C2Fast.Fuzz;

/// <summary>
/// <c>C2Fast.Fuzz TARGET</c> runs under afl-fuzz (SharpFuzz's out-of-process fork server: a crash or a hang in the
/// child is recorded and the child restarted); <c>--list</c> lists the targets; <c>replay TARGET PATH...</c> runs
/// files or folders of inputs without AFL and reports each; <c>seeds DIR</c> writes the seed corpus.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] is "--list" or "list")
        {
            foreach (IFuzzTarget target in FuzzTargets.All)
            {
                Console.WriteLine($"{target.Name,-20} {target.Description}");
            }

            return 0;
        }

        if (args.Length >= 3 && args[0] == "replay")
        {
            GiveTraceSomewhereToWrite();
            return Replay(Target(args[1]), args[2..]);
        }

        if (args.Length == 2 && args[0] == "seeds")
        {
            SeedCorpus.Write(args[1]);
            return 0;
        }

        if (args.Length == 1 && FuzzTargets.Find(args[0]) is { } fuzzed)
        {
            Fuzzer.OutOfProcess.Run(stream =>
            {
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                fuzzed.Run(copy.GetBuffer().AsSpan(0, (int)copy.Length));
            });
            return 0;
        }

        Console.Error.WriteLine("usage: C2Fast.Fuzz TARGET | --list | replay TARGET PATH... | seeds DIR");
        return 2;
    }

    // An instrumented C2Fast.dll (out/publish) writes every branch to the AFL map, which only Fuzzer.Run sets up:
    // without AFL it needs a map of its own, or the first branch writes through a null pointer.
    private static unsafe void GiveTraceSomewhereToWrite()
    {
        if (SharpFuzz.Common.Trace.SharedMem == null)
        {
            SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1 << 16);
        }
    }

    private static IFuzzTarget Target(string name)
        => FuzzTargets.Find(name) ?? throw new ArgumentException($"no target '{name}'; see --list");

    private static int Replay(IFuzzTarget target, string[] paths)
    {
        int failed = 0, passed = 0;
        IEnumerable<string> files = paths.SelectMany<string, string>(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : [p]);
        foreach (string file in files)
        {
            try
            {
                target.Run(File.ReadAllBytes(file));
                passed++;
            }
#pragma warning disable CA1031 // Every failure is a result to print.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failed++;
                Console.WriteLine($"FAIL {file}\n{ex}\n");
            }
        }

        Console.WriteLine($"{target.Name}: {passed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }
}
