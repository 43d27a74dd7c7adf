using Microsoft.Extensions.Logging;

namespace C2Fast.Session;

/// <summary>
/// The client's events, raised on the <see cref="EventPump"/> task. The loop only posts; the
/// application's handlers run elsewhere, one at a time, in the order things happened.
/// </summary>
internal sealed class FeedEvents : IAsyncDisposable
{
    private readonly EventPump _pump;
    private readonly object _sender;

    public FeedEvents(object sender, ILogger logger)
    {
        _sender = sender;
        _pump = new EventPump(logger);
    }

    public event EventHandler<C2ConnectedEventArgs>? Connected;

    public event EventHandler<C2DisconnectedEventArgs>? Disconnected;

    public event EventHandler<C2SubscriptionEventArgs>? SubscriptionAcknowledgedEvent;

    public event EventHandler<C2ServerErrorEventArgs>? ServerErrorEvent;

    public event EventHandler<C2GapEventArgs>? GapEvent;

    public event EventHandler<C2ProtocolErrorEventArgs>? ProtocolErrorEvent;

    public event EventHandler<C2DropEventArgs>? DropEvent;

    public event EventHandler<C2ReconnectingEventArgs>? Reconnecting;

    public void RaiseConnected(C2ConnectedEventArgs e) => _pump.Post(() => Connected?.Invoke(_sender, e));

    public void RaiseDisconnected(C2DisconnectedEventArgs e) => _pump.Post(() => Disconnected?.Invoke(_sender, e));

    public void RaiseReconnecting(C2ReconnectingEventArgs e) => _pump.Post(() => Reconnecting?.Invoke(_sender, e));

    public void SubscriptionAcknowledged(C2SubscriptionEventArgs e) => _pump.Post(() => SubscriptionAcknowledgedEvent?.Invoke(_sender, e));

    public void ServerError(C2ServerErrorEventArgs e) => _pump.Post(() => ServerErrorEvent?.Invoke(_sender, e));

    public void Gap(C2GapEventArgs e) => _pump.Post(() => GapEvent?.Invoke(_sender, e));

    public void ProtocolError(C2ProtocolErrorEventArgs e) => _pump.Post(() => ProtocolErrorEvent?.Invoke(_sender, e));

    /// <summary>Posts a drop notice that reads the counters when it runs (so bursts coalesce).</summary>
    public void Dropped(Func<C2DropEventArgs> snapshot, Action acknowledge) => _pump.Post(() =>
    {
        acknowledge();
        DropEvent?.Invoke(_sender, snapshot());
    });

    public ValueTask DisposeAsync() => _pump.DisposeAsync();
}
