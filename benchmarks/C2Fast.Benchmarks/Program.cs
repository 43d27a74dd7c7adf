using BenchmarkDotNet.Running;
using C2Fast.Benchmarks;

// Every benchmark class in this assembly; pick with --filter, e.g. --filter '*FrameHeader*'.
// "--loop" runs one envelope contender in a plain loop for profilers (see PlainLoop).
if (args.Length > 0 && args[0] == "--loop")
{
    return PlainLoop.Run(args);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
