using System.Buffers;

namespace C2Fast.Handshake;

/// <summary>
/// Pure parser of the server's answer to the upgrade request (RFC 6455 §4.1, RFC 9112 §4).
/// </summary>
/// <remarks>
/// State machine: wait for the blank line that ends the head (never past the size limit), then
/// one pass over the status line and header lines. A 101 must carry <c>Upgrade: websocket</c>,
/// a <c>Connection</c> list with <c>Upgrade</c>, the exact <c>Sec-WebSocket-Accept</c>, and no
/// extension or subprotocol (we request none). Any other status is returned as Done with the
/// few headers the caller needs to build its error (X-WS-Error, Retry-After, body framing).
/// No allocation when the head sits in one segment.
/// </remarks>
internal static class HandshakeResponseParser
{
    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    /// <summary>Parses the response head at the start of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Bytes received so far.</param>
    /// <param name="maxHeadLength">Largest head accepted; a longer one fails before more bytes are awaited.</param>
    /// <param name="expectedAccept">The base64 accept value computed from our key.</param>
    /// <param name="response">What was found (also on InvalidData, with <see cref="HandshakeResponse.Error"/>).</param>
    public static OperationStatus TryParse(in ReadOnlySequence<byte> buffer, int maxHeadLength, ReadOnlySpan<byte> expectedAccept, out HandshakeResponse response)
    {
        response = default;
        response.ContentLength = -1;

        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> head, EndOfHead, advancePastDelimiter: true))
        {
            // Limits are checked before waiting for data: a head that is already too long fails now.
            if (buffer.Length > maxHeadLength)
            {
                response.Error = HandshakeError.ResponseTooLarge;
                return OperationStatus.InvalidData;
            }

            return OperationStatus.NeedMoreData;
        }

        int headLength = (int)reader.Consumed;
        if (headLength > maxHeadLength)
        {
            response.Error = HandshakeError.ResponseTooLarge;
            return OperationStatus.InvalidData;
        }

        response.HeaderLength = headLength;
        if (head.IsSingleSegment)
        {
            return ParseHead(head.FirstSpan, expectedAccept, ref response);
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent((int)head.Length);
        try
        {
            head.CopyTo(rented);
            return ParseHead(rented.AsSpan(0, (int)head.Length), expectedAccept, ref response);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Parses a complete head (without its final blank line).</summary>
    private static OperationStatus ParseHead(ReadOnlySpan<byte> head, ReadOnlySpan<byte> expectedAccept, ref HandshakeResponse response)
    {
        int lineEnd = head.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> statusLine = lineEnd < 0 ? head : head[..lineEnd];
        if (!TryParseStatusLine(statusLine, out int status, out bool http11))
        {
            return Invalid(HandshakeError.MalformedStatusLine, ref response);
        }

        response.StatusCode = status;
        bool upgrade = false, connection = false, acceptSeen = false, acceptOk = false;
        bool extension = false, subprotocol = false;
        int offset = lineEnd < 0 ? head.Length : lineEnd + 2;

        while (offset < head.Length)
        {
            ReadOnlySpan<byte> rest = head[offset..];
            int end = rest.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> line = end < 0 ? rest : rest[..end];
            int lineStart = offset;
            offset += end < 0 ? rest.Length : end + 2;

            // RFC 9112 §5.2: obsolete line folding is rejected; RFC 9110 §5.1: a name is a token followed by ':'.
            int colon = line.IndexOf((byte)':');
            if (colon <= 0 || line[0] is (byte)' ' or (byte)'\t' || !IsToken(line[..colon]))
            {
                return Invalid(HandshakeError.MalformedHeader, ref response);
            }

            ReadOnlySpan<byte> name = line[..colon];
            ReadOnlySpan<byte> value = TrimOws(line[(colon + 1)..], out int valueStart);
            var valueRange = new Range(lineStart + colon + 1 + valueStart, lineStart + colon + 1 + valueStart + value.Length);

            if (NameIs(name, "Upgrade"u8))
            {
                upgrade |= ListContains(value, "websocket"u8);
            }
            else if (NameIs(name, "Connection"u8))
            {
                connection |= ListContains(value, "upgrade"u8);
            }
            else if (NameIs(name, "Sec-WebSocket-Accept"u8))
            {
                // A repeated accept header is ambiguous, so it fails like a wrong one.
                acceptOk = !acceptSeen && value.SequenceEqual(expectedAccept);
                acceptSeen = true;
            }
            else if (NameIs(name, "Sec-WebSocket-Extensions"u8))
            {
                extension |= !value.IsEmpty;
            }
            else if (NameIs(name, "Sec-WebSocket-Protocol"u8))
            {
                subprotocol |= !value.IsEmpty;
            }
            else if (NameIs(name, "Content-Length"u8))
            {
                // RFC 9110 §8.6: 1*DIGIT, nothing else (Utf8Parser alone would take a sign).
                if (value.IsEmpty || value.ContainsAnyExceptInRange((byte)'0', (byte)'9')
                    || !System.Buffers.Text.Utf8Parser.TryParse(value, out long length, out int used) || used != value.Length)
                {
                    return Invalid(HandshakeError.MalformedHeader, ref response);
                }

                response.ContentLength = length;
            }
            else if (NameIs(name, "Transfer-Encoding"u8))
            {
                response.Chunked |= ListContains(value, "chunked"u8);
            }
            else if (NameIs(name, "X-WS-Error"u8))
            {
                response.ErrorHeader = valueRange;
            }
            else if (NameIs(name, "Retry-After"u8))
            {
                response.RetryAfter = valueRange;
            }
            else if (NameIs(name, "Content-Type"u8))
            {
                response.ContentType = valueRange;
            }
        }

        if (status != 101)
        {
            // Not an upgrade: the caller turns it into a typed rejection.
            return OperationStatus.Done;
        }

        // RFC 6455 §4.1: the 101 is an HTTP/1.1 response.
        if (!http11)
        {
            return Invalid(HandshakeError.MalformedStatusLine, ref response);
        }

        // RFC 6455 §4.1 (client step 2): "Upgrade" must be "websocket", case-insensitively.
        if (!upgrade)
        {
            return Invalid(HandshakeError.MissingUpgrade, ref response);
        }

        // RFC 6455 §4.1 (client step 3): "Connection" must contain the token "Upgrade", case-insensitively.
        if (!connection)
        {
            return Invalid(HandshakeError.MissingConnection, ref response);
        }

        // RFC 6455 §4.1 (client step 4): "Sec-WebSocket-Accept" must be base64(SHA-1(key + GUID)).
        if (!acceptOk)
        {
            return Invalid(HandshakeError.InvalidAccept, ref response);
        }

        // RFC 6455 §4.1 (client step 5): an extension not requested by the client fails the connection.
        if (extension)
        {
            return Invalid(HandshakeError.UnrequestedExtension, ref response);
        }

        // RFC 6455 §4.1 (client step 6): a subprotocol not requested by the client fails the connection.
        if (subprotocol)
        {
            return Invalid(HandshakeError.UnrequestedSubprotocol, ref response);
        }

        return OperationStatus.Done;
    }

    /// <summary><c>HTTP/1.x SP 3DIGIT [SP reason]</c>.</summary>
    private static bool TryParseStatusLine(ReadOnlySpan<byte> line, out int status, out bool http11)
    {
        status = 0;
        http11 = false;
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || line[8] != (byte)' '
            || (line.Length > 12 && line[12] != (byte)' '))
        {
            return false;
        }

        http11 = line[7] == (byte)'1';
        for (int i = 9; i < 12; i++)
        {
            if (!char.IsAsciiDigit((char)line[i]))
            {
                return false;
            }

            status = (status * 10) + (line[i] - '0');
        }

        return status >= 100;
    }

    private static bool NameIs(ReadOnlySpan<byte> name, ReadOnlySpan<byte> expected)
        => System.Text.Ascii.EqualsIgnoreCase(name, expected);

    /// <summary>Whether a comma-separated token list contains <paramref name="token"/> (case-insensitive).</summary>
    private static bool ListContains(ReadOnlySpan<byte> list, ReadOnlySpan<byte> token)
    {
        foreach (Range part in list.Split((byte)','))
        {
            if (NameIs(TrimOws(list[part], out _), token))
            {
                return true;
            }
        }

        return false;
    }

    private static ReadOnlySpan<byte> TrimOws(ReadOnlySpan<byte> value, out int start)
    {
        start = 0;
        while (start < value.Length && value[start] is (byte)' ' or (byte)'\t')
        {
            start++;
        }

        int end = value.Length;
        while (end > start && value[end - 1] is (byte)' ' or (byte)'\t')
        {
            end--;
        }

        return value[start..end];
    }

    private static bool IsToken(ReadOnlySpan<byte> name)
    {
        foreach (byte b in name)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || "!#$%&'*+-.^_`|~"u8.Contains(b)))
            {
                return false;
            }
        }

        return true;
    }

    private static OperationStatus Invalid(HandshakeError error, ref HandshakeResponse response)
    {
        response.Error = error;
        return OperationStatus.InvalidData;
    }
}
