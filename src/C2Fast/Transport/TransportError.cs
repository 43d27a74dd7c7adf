namespace C2Fast.Transport;

/// <summary>Why the transport could not be set up.</summary>
internal enum TransportError : byte
{
    /// <summary>DNS failed, or no address accepted the TCP connection.</summary>
    ConnectFailed = 1,

    /// <summary>The TLS handshake failed (certificate, protocol, or the connection dropped during it).</summary>
    TlsFailed,
}

/// <summary>A failure to set up the transport; the session maps it to the public error type.</summary>
internal sealed class TransportException(TransportError error, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>What failed.</summary>
    public TransportError Error { get; } = error;
}
