namespace C2Fast.Simulator.Protocol;

/// <summary>The <c>msg_type</c>, channel and action strings of the protocol (error codes: <see cref="C2ErrorCodes"/>).</summary>
internal static class MessageTypes
{
    public const string Connected = "connection.connected";
    public const string Heartbeat = "heartbeat";
    public const string HeartbeatAck = "heartbeat.ack";
    public const string SubscriptionRequest = "subscription.request";
    public const string SubscriptionAck = "subscription.ack";
    public const string Signal = "strategy.signal";
    public const string Positions = "strategy.positions";
    public const string Gap = "gap";
    public const string Error = "error";

    public const string Subscribe = "subscribe";
    public const string Unsubscribe = "unsubscribe";
}

/// <summary>One validation failure: the element of an <c>error</c> payload or of its <c>errors</c> array.</summary>
internal readonly record struct ErrorItem(string Code, string? Field, string Message);
