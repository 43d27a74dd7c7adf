using System.Buffers;
using System.Text;

namespace C2Fast.Handshake;

/// <summary>Builds the HTTP/1.1 upgrade request of RFC 6455 §4.1 with the C2 Bearer key.</summary>
/// <remarks>Runs once per connection, so it favours clarity over zero allocation.</remarks>
internal static class HandshakeRequest
{
    /// <summary>Writes the request; every value has already passed <see cref="IsValidHeaderValue"/>.</summary>
    public static void Write(IBufferWriter<byte> output, Uri uri, string? apiKey, ReadOnlySpan<byte> secWebSocketKey, IReadOnlyDictionary<string, string>? additionalHeaders)
    {
        var text = new StringBuilder(256);
        text.Append("GET ").Append(uri.PathAndQuery.Length == 0 ? "/" : uri.PathAndQuery).Append(" HTTP/1.1\r\n");
        // RFC 9112 §3.2: Host is uri-host [":" port]; an IPv6 literal keeps its brackets.
        string host = uri.HostNameType == UriHostNameType.IPv6 ? $"[{uri.IdnHost}]" : uri.IdnHost;
        text.Append("Host: ").Append(host);
        if (!uri.IsDefaultPort)
        {
            text.Append(':').Append(uri.Port);
        }

        text.Append("\r\n");
        text.Append("Upgrade: websocket\r\n");
        text.Append("Connection: Upgrade\r\n");
        text.Append("Sec-WebSocket-Key: ").Append(AcceptKey.ToText(secWebSocketKey)).Append("\r\n");
        text.Append("Sec-WebSocket-Version: 13\r\n");
        if (!string.IsNullOrEmpty(apiKey))
        {
            text.Append("Authorization: Bearer ").Append(apiKey).Append("\r\n");
        }

        if (additionalHeaders is not null)
        {
            foreach (KeyValuePair<string, string> header in additionalHeaders)
            {
                text.Append(header.Key).Append(": ").Append(header.Value).Append("\r\n");
            }
        }

        text.Append("\r\n");
        Encoding.ASCII.GetBytes(text.ToString(), output);
    }

    /// <summary>
    /// RFC 9110 §5.5: a field value is visible ASCII, space and tab; CR, LF and other control
    /// characters would let a value inject headers, so they are refused before anything is sent.
    /// Non-ASCII is refused too: it has no portable encoding in a header.
    /// </summary>
    public static bool IsValidHeaderValue(string value)
    {
        foreach (char c in value)
        {
            if (c > 0x7E || (c < 0x20 && c != '\t'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>RFC 9110 §5.1: a field name is a non-empty token.</summary>
    public static bool IsValidHeaderName(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Headers the handshake owns; an additional header may not replace them.</summary>
    public static bool IsReservedHeader(string name)
        => name.Equals("Host", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("Sec-WebSocket-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase);
}
