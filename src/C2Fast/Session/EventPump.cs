using System.Threading.Channels;
using C2Fast.Diagnostics;
using Microsoft.Extensions.Logging;

namespace C2Fast.Session;

/// <summary>
/// Runs application event handlers on one background task, in order, so the read loop never
/// runs user code. A throwing handler is logged and does not stop later events.
/// </summary>
internal sealed class EventPump : IAsyncDisposable
{
    private readonly Channel<Action> _queue = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger _logger;
    private readonly Task _runner;

    public EventPump(ILogger logger)
    {
        _logger = logger;
        _runner = Task.Run(RunAsync);
    }

    public void Post(Action action) => _queue.Writer.TryWrite(action);

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _runner.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        await foreach (Action action in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                action();
            }
#pragma warning disable CA1031 // An application handler's failure must not stop the feed's events.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.EventHandlerFailed(_logger, ex);
            }
        }
    }
}
