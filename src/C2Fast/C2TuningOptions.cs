using C2Fast.Diagnostics;

namespace C2Fast;

/// <summary>Performance knobs and parser limits; none changes the delivery guarantee (<see cref="C2FeedOptions.Tuning"/>).</summary>
public sealed record C2TuningOptions
{
    /// <summary>
    /// Whether each connection reads its socket on a thread of its own, blocking in the kernel until data arrives;
    /// the read loop (parse, heartbeat acks, delivery, an inline handler) then runs on that thread, woken by the
    /// kernel directly. With <see langword="false"/> the socket is read asynchronously: the runtime's socket engine
    /// hands every read that had to wait from its epoll thread to a thread-pool thread, one more wake-up per read.
    /// The thread is a background thread named "C2Fast receive"; it ends with the connection. Default true.
    /// </summary>
    public bool DedicatedReceiveThread { get; init; } = true;

    /// <summary>
    /// Size of the receive buffer blocks (at least 512 bytes; reads are an eighth of it). The receive pipe stops
    /// reading the socket once max(1 MiB, 2 blocks) are unread, plus at most one frame the loop waits for. Default 64 KiB.
    /// </summary>
    public int ReceiveBufferSize { get; init; } = 64 * 1024;

    /// <summary>Kernel socket receive buffer (SO_RCVBUF); <see langword="null"/> keeps the OS default and its auto-tuning. Default null.</summary>
    public int? SocketReceiveBufferSize { get; init; }

    /// <summary>Kernel socket send buffer (SO_SNDBUF); <see langword="null"/> keeps the OS default. Default null.</summary>
    public int? SocketSendBufferSize { get; init; }

    /// <summary>
    /// Messages kept in the pool for reuse (0 to 1,048,576). A backlog up to this many messages allocates nothing;
    /// beyond it each message allocates while consumers lag. The pool only keeps what was once in use at the same
    /// time, so its memory follows the deepest backlog seen. Default 65,536 (the default queue capacity).
    /// </summary>
    public int MessagePoolSize { get; init; } = 65_536;

    /// <summary>Largest JSON nesting accepted in a server message (2 to 4096); deeper ones become <see cref="C2FeedClient.ProtocolError"/> events. Default 64.</summary>
    public int MaxJsonDepth { get; init; } = 64;

    internal void Validate()
    {
        OptionRules.InRange(ReceiveBufferSize, 512, 64 * 1024 * 1024, "Tuning.ReceiveBufferSize");
        if (SocketReceiveBufferSize is < 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange("Tuning.SocketReceiveBufferSize", SocketReceiveBufferSize, "Must be positive or null.");
        }

        if (SocketSendBufferSize is < 1)
        {
            ThrowHelper.ThrowArgumentOutOfRange("Tuning.SocketSendBufferSize", SocketSendBufferSize, "Must be positive or null.");
        }

        OptionRules.InRange(MessagePoolSize, 0, 1 << 20, "Tuning.MessagePoolSize");
        OptionRules.InRange(MaxJsonDepth, 2, 4096, "Tuning.MaxJsonDepth");
    }
}
