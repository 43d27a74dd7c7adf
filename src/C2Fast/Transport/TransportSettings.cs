using System.Security.Cryptography.X509Certificates;

namespace C2Fast.Transport;

/// <summary>What the transport needs to know: where to connect, how to tune the socket, how much to buffer.</summary>
/// <param name="Host">The host name or address literal to resolve and connect to.</param>
/// <param name="Port">The TCP port.</param>
/// <param name="UseTls">Whether to run TLS over the socket (host-name validation against <paramref name="Host"/>).</param>
/// <param name="TrustedCaCertificate">An extra CA to trust besides the system roots; null for none.</param>
/// <param name="ReceiveBufferSize">Size of the receive pipe's blocks (reads are an eighth of it).</param>
/// <param name="ReceiveThread">Whether a thread of its own reads the socket (blocking in the kernel) instead of the runtime's async socket engine.</param>
/// <param name="SocketReceiveBufferSize">SO_RCVBUF, or null for the OS default.</param>
/// <param name="SocketSendBufferSize">SO_SNDBUF, or null for the OS default.</param>
/// <param name="TcpKeepAliveTime">Idle time before TCP keep-alive probes; zero disables keep-alive.</param>
internal sealed record TransportSettings(
    string Host,
    int Port,
    bool UseTls,
    X509Certificate2? TrustedCaCertificate = null,
    int ReceiveBufferSize = 64 * 1024,
    bool ReceiveThread = false,
    int? SocketReceiveBufferSize = null,
    int? SocketSendBufferSize = null,
    TimeSpan TcpKeepAliveTime = default)
{
    /// <summary>
    /// Unread bytes at which the receive pump stops reading the socket (and resumes at half): the bound on
    /// what the client buffers while its read loop is paused. A frame the loop waits for is always read whole,
    /// beyond this bound, because the loop marks an incomplete frame as examined.
    /// </summary>
    public long PauseThresholdBytes => Math.Max(1024 * 1024, 2L * ReceiveBufferSize);
}
