using System.Runtime.CompilerServices;

namespace C2Fast.Tests.Infrastructure;

/// <summary>Thread-pool headroom for the test process, set once before any test runs.</summary>
/// <remarks>
/// The test host parks two thread-pool workers for the whole run (vstest's message loop blocks in
/// <c>Socket.Poll</c>, the xunit adapter in <c>WaitOne</c>). On a 2-core machine the pool's minimum is 2, so every
/// other work item (timers, socket completions, the simulator's heartbeats, the client's liveness watchdog) then waits
/// for the pool's starvation detection to add a thread, about half a second each, at start and again after idle
/// threads retire. Tests with sub-second heartbeat deadlines saw silent gaps of up to a second that no server or
/// client caused (captured with dotnet-stack). A few more threads than cores removes that artifact; the production
/// client never relies on it.
/// </remarks>
internal static class TestThreadPool
{
#pragma warning disable CA2255 // A test assembly, not a library: the runner must not start with a starved pool.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        ThreadPool.GetMinThreads(out int workers, out int completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, Environment.ProcessorCount + 4), completionPorts);
    }
}
