using System.Text;

namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>
/// The HTTP request head a client sent to <see cref="RawKestrelServer"/>, parsed loosely (no
/// validation) so tests can assert exactly what was on the wire.
/// </summary>
internal sealed class RawRequestHead
{
    private RawRequestHead(string rawText, string requestLine, string method, string target, string version, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        RawText = rawText;
        RequestLine = requestLine;
        Method = method;
        Target = target;
        Version = version;
        Headers = headers;
    }

    /// <summary>The head exactly as received (Latin-1 decoded), including the final empty line.</summary>
    public string RawText { get; }

    /// <summary>E.g. <c>GET /ws HTTP/1.1</c>.</summary>
    public string RequestLine { get; }

    public string Method { get; }

    public string Target { get; }

    public string Version { get; }

    /// <summary>Header fields in wire order, names as sent, values with surrounding whitespace trimmed.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    public string? Host => GetHeader("Host");

    public string? Authorization => GetHeader("Authorization");

    public string? SecWebSocketKey => GetHeader("Sec-WebSocket-Key");

    public string? SecWebSocketVersion => GetHeader("Sec-WebSocket-Version");

    /// <summary>First value of a header (case-insensitive name), or null.</summary>
    public string? GetHeader(string name)
    {
        foreach (var header in Headers)
        {
            if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return header.Value;
            }
        }

        return null;
    }

    /// <summary>All values of a header (case-insensitive name), in wire order.</summary>
    public IReadOnlyList<string> GetHeaders(string name) =>
        Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToArray();

    public bool HasHeader(string name) => GetHeader(name) is not null;

    /// <summary>Parses a head that ends with CRLF CRLF (the terminator included or not).</summary>
    /// <exception cref="InvalidDataException">The request line is not <c>METHOD TARGET VERSION</c>.</exception>
    public static RawRequestHead Parse(ReadOnlySpan<byte> head)
    {
        var text = Encoding.Latin1.GetString(head);
        var lines = text.Split("\r\n");
        var parts = lines[0].Split(' ');
        if (parts.Length != 3)
        {
            throw new InvalidDataException($"Bad request line '{lines[0]}'.");
        }

        var headers = new List<KeyValuePair<string, string>>();
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }

            var colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            headers.Add(colon < 0
                ? new KeyValuePair<string, string>(lines[i], "")
                : new KeyValuePair<string, string>(lines[i][..colon], lines[i][(colon + 1)..].Trim(' ', '\t')));
        }

        return new RawRequestHead(text, lines[0], parts[0], parts[1], parts[2], headers);
    }

    public override string ToString() => RawText;
}
