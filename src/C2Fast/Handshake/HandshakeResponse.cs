namespace C2Fast.Handshake;

/// <summary>What <see cref="HandshakeResponseParser"/> found in a response head.</summary>
/// <remarks>Ranges index the header block (the first <see cref="HeaderLength"/> bytes of the response).</remarks>
internal struct HandshakeResponse
{
    /// <summary>The HTTP status code.</summary>
    public int StatusCode;

    /// <summary>Bytes of the head including the final CRLF CRLF; frames (101) or the body (errors) follow.</summary>
    public int HeaderLength;

    /// <summary>The violated rule when the parser answered InvalidData.</summary>
    public HandshakeError Error;

    /// <summary><c>Content-Length</c>, or -1 when absent.</summary>
    public long ContentLength;

    /// <summary>Whether <c>Transfer-Encoding</c> names <c>chunked</c>.</summary>
    public bool Chunked;

    /// <summary>The value of <c>X-WS-Error</c>, if present.</summary>
    public Range ErrorHeader;

    /// <summary>The value of <c>Retry-After</c>, if present.</summary>
    public Range RetryAfter;

    /// <summary>The value of <c>Content-Type</c>, if present.</summary>
    public Range ContentType;
}
