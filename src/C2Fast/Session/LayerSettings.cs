using C2Fast.Dispatch;
using C2Fast.Framing;
using C2Fast.Handshake;
using C2Fast.Transport;

namespace C2Fast.Session;

/// <summary>The public options, translated once into each lower layer's own small settings.</summary>
internal static class LayerSettings
{
    public static TransportSettings Transport(C2FeedOptions options) => new(
        options.Endpoint.IdnHost,
        options.Endpoint.Port,
        options.Endpoint.Scheme == "wss",
        options.Connection.TrustedCaCertificate,
        options.Tuning.ReceiveBufferSize,
        options.Tuning.DedicatedReceiveThread,
        options.Tuning.SocketReceiveBufferSize,
        options.Tuning.SocketSendBufferSize,
        options.Connection.TcpKeepAliveTime);

    public static HandshakeSettings Handshake(C2FeedOptions options) => new(
        options.Endpoint,
        options.ApiKey,
        options.Connection.AdditionalHeaders,
        options.Connection.MaxHandshakeResponseSize);

    public static EngineSettings Engine(C2FeedOptions options) => new(
        options.Connection.MaxMessageSize,
        options.Connection.CloseTimeout,
        options.Heartbeat.SilenceTimeout,
        options.TimeProvider);

    public static QueueSettings Queues(C2FeedOptions options) => new(
        options.Queues.Partitions,
        options.Queues.Capacity,
        options.Queues.MaxBufferedBytes,
        options.Queues.SlowConsumerPolicy switch
        {
            C2SlowConsumerPolicy.DropOldest => OverflowPolicy.DropOldest,
            C2SlowConsumerPolicy.DropNewest => OverflowPolicy.DropNewest,
            C2SlowConsumerPolicy.DisconnectAndResume => OverflowPolicy.Shed,
            _ => OverflowPolicy.Wait,
        },
        options.Tuning.MessagePoolSize);
}
