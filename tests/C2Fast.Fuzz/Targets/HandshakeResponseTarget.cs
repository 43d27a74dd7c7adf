using System.Buffers;
using C2Fast.Handshake;

namespace C2Fast.Fuzz.Targets;

/// <summary>
/// <see cref="HandshakeResponseParser"/>. Input: the bytes the server sent after our upgrade request (a response
/// head, maybe followed by a body or frames). The expected accept value is the one RFC 6455 §1.3 gives for its
/// sample key.
/// </summary>
/// <remarks>
/// Invariants: the parser agrees with an independent reading of RFC 9112 §4/§5 and RFC 6455 §4.1 as the parser
/// documents them (status, error, status code, head length, Content-Length, chunked, the ranges of X-WS-Error,
/// Retry-After and Content-Type), at the 16 KiB limit and at an input-chosen small one; the head ends at the first
/// blank line and never reaches past it (a strict prefix of the head is NeedMoreData or too large, bytes after it
/// change nothing); ranges lie inside the head; the whole input, one byte per segment, input-chosen cuts, cuts around
/// the blank line and copies flush against guard pages all give the same answer.
/// </remarks>
internal sealed class HandshakeResponseTarget : IFuzzTarget
{
    private const int MaxInput = 8 * 1024;
    private const int DefaultLimit = 16 * 1024;

    private static readonly byte[] ExpectedAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="u8.ToArray();

    public string Name => "handshake-response";

    public string Description => "HandshakeResponseParser vs an RFC 9112/6455 reference, prefixes, segment shapes, guard pages";

    public void Run(ReadOnlySpan<byte> input)
    {
        Span<byte> accept = stackalloc byte[AcceptKey.AcceptLength];
        AcceptKey.ComputeAccept("dGhlIHNhbXBsZSBub25jZQ=="u8, accept);
        Invariant.SequenceEqual(ExpectedAccept, accept, "AcceptKey.ComputeAccept of the RFC 6455 §1.3 sample");

        ReadOnlySpan<byte> data = input[..Math.Min(input.Length, MaxInput)];
        Check(data, DefaultLimit);
        Check(data, (int)(Shapes.Hash(data) % (ulong)(data.Length + 1)));
    }

    private static void Check(ReadOnlySpan<byte> data, int limit)
    {
        string at = $"limit {limit}, input {Invariant.Hex(data)}";
        Result whole = Parse(new ReadOnlySequence<byte>(data.ToArray()), limit);
        Invariant.Equal(Reference(data, limit), whole, $"parser vs reference ({at})");

        if (whole.Status != OperationStatus.NeedMoreData && whole.HeaderLength > 0)
        {
            Invariant.True(whole.HeaderLength <= data.Length && data[..whole.HeaderLength].EndsWith("\r\n\r\n"u8) && data.IndexOf("\r\n\r\n"u8) + 4 == whole.HeaderLength, $"head of {whole.HeaderLength} bytes does not end at the first blank line ({at})");
            foreach (Range range in new[] { whole.ErrorHeader, whole.RetryAfter, whole.ContentType })
            {
                Invariant.True(range.Start.Value <= range.End.Value && range.End.Value <= whole.HeaderLength, $"range {range} outside the head ({at})");
            }

            // Bytes after the head change nothing.
            Invariant.Equal(whole, Parse(new ReadOnlySequence<byte>(data[..whole.HeaderLength].ToArray()), limit), $"the head alone ({at})");
        }

        // Prefixes: all of them for short inputs, a sample otherwise.
        int step = data.Length <= 512 ? 1 : Math.Max(1, data.Length / 16);
        for (int k = 0; k < data.Length; k += step)
        {
            Result prefix = Parse(new ReadOnlySequence<byte>(data[..k].ToArray()), limit);
            Invariant.Equal(Reference(data[..k], limit), prefix, $"prefix of {k} bytes ({at})");
        }

        Invariant.Equal(whole, Parse(Shapes.OneBytePerSegment(data), limit), $"one byte per segment ({at})");
        Invariant.Equal(whole, Parse(Shapes.SplitAt(data, Shapes.DerivedOffsets(data, 3)), limit), $"input-chosen cuts ({at})");
        int blank = data.IndexOf("\r\n\r\n"u8);
        if (blank >= 0)
        {
            for (int cut = blank; cut <= blank + 4; cut++)
            {
                Invariant.Equal(whole, Parse(Shapes.SplitAt(data, cut), limit), $"cut at {cut}, around the blank line ({at})");
            }

            Invariant.Equal(whole, Parse(Shapes.SplitAt(data, blank + 1, blank + 2, blank + 3), limit), $"the blank line in four segments ({at})");
        }

        Invariant.Equal(whole, GuardedPages.WithSequence(data, atEnd: true, s => Parse(s, limit)), $"flush against the end guard ({at})");
        Invariant.Equal(whole, GuardedPages.WithSequence(data, atEnd: false, s => Parse(s, limit)), $"flush against the start guard ({at})");
    }

    private static Result Parse(ReadOnlySequence<byte> buffer, int limit)
    {
        OperationStatus status = HandshakeResponseParser.TryParse(buffer, limit, ExpectedAccept, out HandshakeResponse response);
        Invariant.True(status is OperationStatus.Done or OperationStatus.NeedMoreData or OperationStatus.InvalidData, $"status {status}");
        Invariant.True(status == OperationStatus.InvalidData ? response.Error != HandshakeError.None : response.Error == HandshakeError.None, $"{status} with {response.Error}");
        return new Result(status, response.Error, response.StatusCode, response.HeaderLength, response.ContentLength, response.Chunked, response.ErrorHeader, response.RetryAfter, response.ContentType);
    }

    /// <summary>What the response means, read independently from the RFCs and the parser's documented rules.</summary>
    private static Result Reference(ReadOnlySpan<byte> buffer, int limit)
    {
        var r = new Result(OperationStatus.NeedMoreData, HandshakeError.None, 0, 0, -1, false, default, default, default);
        int blank = buffer.IndexOf("\r\n\r\n"u8);
        if (blank < 0 || blank + 4 > limit)
        {
            return buffer.Length > limit || blank >= 0 ? r with { Status = OperationStatus.InvalidData, Error = HandshakeError.ResponseTooLarge } : r;
        }

        r = r with { HeaderLength = blank + 4 };
        ReadOnlySpan<byte> head = buffer[..blank];
        int lineEnd = head.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> statusLine = lineEnd < 0 ? head : head[..lineEnd];

        // RFC 9112 §4: HTTP-version SP 3DIGIT SP [reason]; the parser takes any HTTP/1.x and a missing reason.
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8) || statusLine[8] != ' '
            || !IsDigit(statusLine[9]) || !IsDigit(statusLine[10]) || !IsDigit(statusLine[11])
            || (statusLine.Length > 12 && statusLine[12] != ' ') || statusLine[9] == '0')
        {
            return r with { Status = OperationStatus.InvalidData, Error = HandshakeError.MalformedStatusLine };
        }

        int status = ((statusLine[9] - '0') * 100) + ((statusLine[10] - '0') * 10) + (statusLine[11] - '0');
        bool http11 = statusLine[7] == '1';
        r = r with { StatusCode = status };

        bool upgrade = false, connection = false, acceptSeen = false, acceptOk = false, extension = false, subprotocol = false;
        int offset = lineEnd < 0 ? head.Length : lineEnd + 2;
        while (offset < head.Length)
        {
            int end = head[offset..].IndexOf("\r\n"u8);
            int lineLength = end < 0 ? head.Length - offset : end;
            ReadOnlySpan<byte> line = head.Slice(offset, lineLength);
            int lineStart = offset;
            offset += lineLength + (end < 0 ? 0 : 2);

            // RFC 9110 §5.1 field-name = token, then ':'; RFC 9112 §5.2 no obs-fold (a line starting with SP/HTAB).
            int colon = line.IndexOf((byte)':');
            if (colon <= 0 || !IsToken(line[..colon]))
            {
                return r with { Status = OperationStatus.InvalidData, Error = HandshakeError.MalformedHeader };
            }

            ReadOnlySpan<byte> name = line[..colon];
            int valueStart = colon + 1;
            int valueEnd = line.Length;
            while (valueStart < valueEnd && line[valueStart] is (byte)' ' or (byte)'\t')
            {
                valueStart++;
            }

            while (valueEnd > valueStart && line[valueEnd - 1] is (byte)' ' or (byte)'\t')
            {
                valueEnd--;
            }

            ReadOnlySpan<byte> value = line[valueStart..valueEnd];
            var range = new Range(lineStart + valueStart, lineStart + valueEnd);
            if (Is(name, "upgrade"))
            {
                upgrade |= ListHas(value, "websocket");
            }
            else if (Is(name, "connection"))
            {
                connection |= ListHas(value, "upgrade");
            }
            else if (Is(name, "sec-websocket-accept"))
            {
                acceptOk = !acceptSeen && value.SequenceEqual(ExpectedAccept);
                acceptSeen = true;
            }
            else if (Is(name, "sec-websocket-extensions"))
            {
                extension |= !value.IsEmpty;
            }
            else if (Is(name, "sec-websocket-protocol"))
            {
                subprotocol |= !value.IsEmpty;
            }
            else if (Is(name, "content-length"))
            {
                // RFC 9110 §8.6: Content-Length = 1*DIGIT.
                if (!TryParseDigits(value, out long length))
                {
                    return r with { Status = OperationStatus.InvalidData, Error = HandshakeError.MalformedHeader };
                }

                r = r with { ContentLength = length };
            }
            else if (Is(name, "transfer-encoding"))
            {
                r = r with { Chunked = r.Chunked || ListHas(value, "chunked") };
            }
            else if (Is(name, "x-ws-error"))
            {
                r = r with { ErrorHeader = range };
            }
            else if (Is(name, "retry-after"))
            {
                r = r with { RetryAfter = range };
            }
            else if (Is(name, "content-type"))
            {
                r = r with { ContentType = range };
            }
        }

        HandshakeError error = status != 101 ? HandshakeError.None
            : !http11 ? HandshakeError.MalformedStatusLine
            : !upgrade ? HandshakeError.MissingUpgrade
            : !connection ? HandshakeError.MissingConnection
            : !acceptOk ? HandshakeError.InvalidAccept
            : extension ? HandshakeError.UnrequestedExtension
            : subprotocol ? HandshakeError.UnrequestedSubprotocol
            : HandshakeError.None;
        return r with { Status = error == HandshakeError.None ? OperationStatus.Done : OperationStatus.InvalidData, Error = error };
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static bool TryParseDigits(ReadOnlySpan<byte> value, out long result)
    {
        result = 0;
        if (value.IsEmpty)
        {
            return false;
        }

        foreach (byte b in value)
        {
            if (!IsDigit(b) || result > (long.MaxValue - (b - '0')) / 10)
            {
                return false;
            }

            result = (result * 10) + (b - '0');
        }

        return true;
    }

    // RFC 9110 §5.6.2 tchar.
    private static bool IsToken(ReadOnlySpan<byte> name)
    {
        foreach (byte b in name)
        {
            bool ok = b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
                || "!#$%&'*+-.^_`|~"u8.Contains(b);
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    // ASCII case-insensitive; expected is lower case.
    private static bool Is(ReadOnlySpan<byte> actual, string expected)
    {
        if (actual.Length != expected.Length)
        {
            return false;
        }

        for (int i = 0; i < actual.Length; i++)
        {
            int b = actual[i] is >= (byte)'A' and <= (byte)'Z' ? actual[i] | 0x20 : actual[i];
            if (b != expected[i])
            {
                return false;
            }
        }

        return true;
    }

    // RFC 9110 §5.6.1: #token, elements separated by ',' with optional whitespace.
    private static bool ListHas(ReadOnlySpan<byte> list, string token)
    {
        while (true)
        {
            int comma = list.IndexOf((byte)',');
            ReadOnlySpan<byte> item = (comma < 0 ? list : list[..comma]).Trim(" \t"u8);
            if (Is(item, token))
            {
                return true;
            }

            if (comma < 0)
            {
                return false;
            }

            list = list[(comma + 1)..];
        }
    }

    private readonly record struct Result(
        OperationStatus Status,
        HandshakeError Error,
        int StatusCode,
        int HeaderLength,
        long ContentLength,
        bool Chunked,
        Range ErrorHeader,
        Range RetryAfter,
        Range ContentType);
}
