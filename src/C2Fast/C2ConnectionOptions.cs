using System.Security.Cryptography.X509Certificates;
using System.Text;
using C2Fast.Diagnostics;
using C2Fast.Handshake;

namespace C2Fast;

/// <summary>Connecting and closing: timeouts, TLS trust, extra upgrade headers and size limits (<see cref="C2FeedOptions.Connection"/>).</summary>
public sealed record C2ConnectionOptions
{
    /// <summary>Time allowed for DNS, TCP connect, TLS, the upgrade and <c>connection.connected</c> together. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the close handshake, and then the wait for the server to end TCP, may take before TCP is dropped. Default 5 s.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// An extra CA certificate to trust for <c>wss://</c>, for tests and private deployments. Host-name validation
    /// stays on and the system roots remain trusted. There is deliberately no option that disables validation. Default none.
    /// </summary>
    public X509Certificate2? TrustedCaCertificate { get; init; }

    /// <summary>Extra headers for the upgrade request. Names must be HTTP tokens and may not replace the handshake's own headers. Default none.</summary>
    public IReadOnlyDictionary<string, string>? AdditionalHeaders { get; init; }

    /// <summary>Idle time before TCP keep-alive probes start (a second line behind heartbeat liveness). Default 15 s; <see cref="TimeSpan.Zero"/> disables keep-alive.</summary>
    public TimeSpan TcpKeepAliveTime { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Largest message (all fragments together) accepted; a larger one fails the connection with close 1009 as soon as a frame header shows it. Default 16 MiB.</summary>
    public int MaxMessageSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest HTTP response head accepted during the upgrade (at least 256 bytes). Default 16 KiB.</summary>
    public int MaxHandshakeResponseSize { get; init; } = 16 * 1024;

    internal void Validate()
    {
        OptionRules.Positive(ConnectTimeout, "Connection.ConnectTimeout");
        OptionRules.Positive(CloseTimeout, "Connection.CloseTimeout");
        if (TcpKeepAliveTime < TimeSpan.Zero)
        {
            ThrowHelper.ThrowArgumentOutOfRange("Connection.TcpKeepAliveTime", TcpKeepAliveTime, "Must not be negative.");
        }

        OptionRules.InRange(MaxMessageSize, 1, int.MaxValue, "Connection.MaxMessageSize");
        OptionRules.InRange(MaxHandshakeResponseSize, 256, int.MaxValue, "Connection.MaxHandshakeResponseSize");
        if (AdditionalHeaders is not null)
        {
            foreach (KeyValuePair<string, string> header in AdditionalHeaders)
            {
                if (!HandshakeRequest.IsValidHeaderName(header.Key) || HandshakeRequest.IsReservedHeader(header.Key))
                {
                    ThrowHelper.ThrowArgumentOutOfRange("Connection.AdditionalHeaders", header.Key, "Header names must be HTTP tokens and may not replace the handshake's own headers.");
                }

                if (header.Value is null || !HandshakeRequest.IsValidHeaderValue(header.Value))
                {
                    ThrowHelper.ThrowArgumentOutOfRange("Connection.AdditionalHeaders", header.Key, "Header values may not contain CR, LF, other control characters or non-ASCII.");
                }
            }
        }
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("ConnectTimeout = ").Append(ConnectTimeout)
            .Append(", CloseTimeout = ").Append(CloseTimeout)
            .Append(", TrustedCaCertificate = ").Append(TrustedCaCertificate?.Subject ?? "null")
            .Append(", AdditionalHeaders = ").Append(AdditionalHeaders?.Count ?? 0)
            .Append(", TcpKeepAliveTime = ").Append(TcpKeepAliveTime)
            .Append(", MaxMessageSize = ").Append(MaxMessageSize)
            .Append(", MaxHandshakeResponseSize = ").Append(MaxHandshakeResponseSize);
        return true;
    }
}
