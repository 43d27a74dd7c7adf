using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace C2Fast.Tests.Infrastructure;

/// <summary>
/// A scripted HTTP response to a WebSocket upgrade request, correct or deliberately broken,
/// written byte-exact by <see cref="RawPeer.SendHandshakeAsync"/>. Immutable; the <c>With*</c>
/// methods return changed copies.
/// </summary>
internal sealed class HandshakeResponse
{
    /// <summary>The GUID of RFC 6455 §1.3.</summary>
    public const string WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private HandshakeResponse(int statusCode, string reasonPhrase, IReadOnlyList<KeyValuePair<string, string>> headers, byte[] trailingBytes)
    {
        StatusCode = statusCode;
        ReasonPhrase = reasonPhrase;
        Headers = headers;
        TrailingBytes = trailingBytes;
    }

    public int StatusCode { get; }

    public string ReasonPhrase { get; }

    /// <summary>Header fields in the order they are written.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>Bytes written in the same write right after the head: a body, or the first frame(s) after a 101.</summary>
    public byte[] TrailingBytes { get; }

    /// <summary>base64(SHA-1(key + GUID)), RFC 6455 §4.2.2.</summary>
    public static string ComputeAccept(string secWebSocketKey)
    {
        ArgumentNullException.ThrowIfNull(secWebSocketKey);
#pragma warning disable CA5350 // SHA-1 is what RFC 6455 mandates here.
        var hash = SHA1.HashData(Encoding.ASCII.GetBytes(secWebSocketKey + WebSocketGuid));
#pragma warning restore CA5350
        return Convert.ToBase64String(hash);
    }

    /// <summary>The correct 101 response for <paramref name="secWebSocketKey"/>: no extension, no subprotocol.</summary>
    public static HandshakeResponse Accept(string secWebSocketKey) => new(
        101,
        "Switching Protocols",
        [
            new("Upgrade", "websocket"),
            new("Connection", "Upgrade"),
            new("Sec-WebSocket-Accept", ComputeAccept(secWebSocketKey)),
        ],
        []);

    /// <summary>A 101 whose <c>Sec-WebSocket-Accept</c> is valid base64 of 20 bytes, but for another key.</summary>
    public static HandshakeResponse WrongAccept(string secWebSocketKey) =>
        Accept(secWebSocketKey).WithHeader("Sec-WebSocket-Accept", ComputeAccept("wrong" + secWebSocketKey));

    /// <summary>Any status with an optional <c>X-WS-Error</c> header and a JSON body (<c>Content-Length</c>, <c>Connection: close</c>).</summary>
    public static HandshakeResponse Reject(int statusCode, string reasonPhrase, string? wsError, string jsonBody)
    {
        var body = Encoding.UTF8.GetBytes(jsonBody);
        var headers = new List<KeyValuePair<string, string>>();
        if (wsError is not null)
        {
            headers.Add(new("X-WS-Error", wsError));
        }

        headers.Add(new("Content-Type", "application/json"));
        headers.Add(new("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture)));
        headers.Add(new("Connection", "close"));
        return new HandshakeResponse(statusCode, reasonPhrase, headers, body);
    }

    /// <summary>The documented C2 rejection (c2-protocol.md §1): 401, <c>X-WS-Error: Invalid API key</c>, JSON body.</summary>
    public static HandshakeResponse Unauthorized() =>
        Reject(401, "Unauthorized", "Invalid API key", """{"code":"UNAUTHORIZED","message":"Invalid API key"}""");

    /// <summary>Sets a header: replaces the first one with that name (case-insensitive) or appends it.</summary>
    public HandshakeResponse WithHeader(string name, string value)
    {
        var headers = Headers.ToList();
        var index = headers.FindIndex(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));
        if (index >= 0)
        {
            headers[index] = new(name, value);
        }
        else
        {
            headers.Add(new(name, value));
        }

        return new HandshakeResponse(StatusCode, ReasonPhrase, headers, TrailingBytes);
    }

    /// <summary>Appends a header even when one with that name exists (duplicates).</summary>
    public HandshakeResponse WithAddedHeader(string name, string value) =>
        new(StatusCode, ReasonPhrase, [.. Headers, new(name, value)], TrailingBytes);

    /// <summary>Removes every header with that name (e.g. <c>Upgrade</c> or <c>Connection</c>).</summary>
    public HandshakeResponse WithoutHeader(string name) =>
        new(StatusCode, ReasonPhrase, Headers.Where(h => !string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).ToArray(), TrailingBytes);

    public HandshakeResponse WithStatus(int statusCode, string reasonPhrase) => new(statusCode, reasonPhrase, Headers, TrailingBytes);

    /// <summary>Bytes sent right after the head in the same write (e.g. a first frame after the 101).</summary>
    public HandshakeResponse WithTrailingBytes(byte[] bytes) => new(StatusCode, ReasonPhrase, Headers, bytes);

    /// <summary>Pads the head with <c>X-Padding-N</c> headers until the head is at least <paramref name="headBytes"/> long.</summary>
    public HandshakeResponse WithHeadPaddedTo(int headBytes)
    {
        var headers = Headers.ToList();
        var size = HeadBytes(StatusCode, ReasonPhrase, headers).Length;
        for (var n = 0; size < headBytes; n++)
        {
            var header = new KeyValuePair<string, string>($"X-Padding-{n.ToString(CultureInfo.InvariantCulture)}", new string('p', 100));
            headers.Add(header);
            size += header.Key.Length + header.Value.Length + 4;
        }

        return new HandshakeResponse(StatusCode, ReasonPhrase, headers, TrailingBytes);
    }

    /// <summary>The head (status line, headers, empty line) followed by <see cref="TrailingBytes"/>.</summary>
    public byte[] ToBytes() => [.. HeadBytes(StatusCode, ReasonPhrase, Headers), .. TrailingBytes];

    public override string ToString() => Encoding.Latin1.GetString(HeadBytes(StatusCode, ReasonPhrase, Headers));

    private static byte[] HeadBytes(int statusCode, string reasonPhrase, IEnumerable<KeyValuePair<string, string>> headers)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {statusCode} {reasonPhrase}\r\n");
        foreach (var header in headers)
        {
            text.Append(header.Key).Append(": ").Append(header.Value).Append("\r\n");
        }

        text.Append("\r\n");
        return Encoding.Latin1.GetBytes(text.ToString());
    }
}
