using Microsoft.Extensions.Hosting;

namespace C2Fast.Simulator.Hosting;

/// <summary>
/// Replaces the host's console lifetime: a simulator embedded in a test run, the CLI or an application must not
/// register Ctrl+C / SIGTERM handlers of its own. Its owner stops it.
/// </summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
