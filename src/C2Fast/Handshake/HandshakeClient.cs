using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using C2Fast.Transport;

namespace C2Fast.Handshake;

/// <summary>Drives the upgrade over a connected transport: writes the request, parses the answer.</summary>
/// <remarks>
/// On success the 101 head is consumed from the transport's <see cref="PipeReader"/> and any bytes
/// the server sent after it stay there: they are the first frames.
/// </remarks>
internal static class HandshakeClient
{
    /// <summary>Largest error body read from a rejection (the C2 body is a small JSON object).</summary>
    private const int MaxErrorBody = 64 * 1024;

    /// <exception cref="C2FeedException">
    /// <see cref="C2FeedError.AuthenticationFailed"/> (401), <see cref="C2FeedError.ConnectionRejected"/> (429, 503),
    /// <see cref="C2FeedError.HandshakeFailed"/> (other statuses), <see cref="C2FeedError.InvalidHandshake"/> (RFC violations),
    /// <see cref="C2FeedError.ConnectionLost"/> (the server closed during the handshake).
    /// </exception>
    public static async Task UpgradeAsync(TransportConnection transport, C2FeedOptions options, CancellationToken cancellationToken)
    {
        byte[] key = new byte[AcceptKey.KeyLength];
        byte[] expectedAccept = new byte[AcceptKey.AcceptLength];
        AcceptKey.NewKey(key);
        AcceptKey.ComputeAccept(key, expectedAccept);

        var request = new ArrayBufferWriter<byte>(512);
        HandshakeRequest.Write(request, options.Endpoint, options.ApiKey, key, options.AdditionalHeaders);
        try
        {
            await transport.Stream.WriteAsync(request.WrittenMemory, cancellationToken).ConfigureAwait(false);
            await transport.Stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw ThrowHelper.Create(C2FeedError.ConnectionLost, "The connection failed while sending the upgrade request.", inner: ex);
        }

        PipeReader input = transport.Input;
        while (true)
        {
            ReadResult result = await ReadAsync(input, cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            OperationStatus status = HandshakeResponseParser.TryParse(buffer, options.MaxHandshakeResponseSize, expectedAccept, out HandshakeResponse response);
            switch (status)
            {
                case OperationStatus.Done when response.StatusCode == 101:
                    input.AdvanceTo(buffer.GetPosition(response.HeaderLength));
                    return;
                case OperationStatus.Done:
                    throw await ReadRejectionAsync(input, result, response, cancellationToken).ConfigureAwait(false);
                case OperationStatus.InvalidData:
                    input.AdvanceTo(buffer.Start, buffer.End);
                    throw ThrowHelper.Create(C2FeedError.InvalidHandshake, Describe(response.Error));
                default:
                    if (result.IsCompleted)
                    {
                        input.AdvanceTo(buffer.Start, buffer.End);
                        throw ThrowHelper.Create(C2FeedError.ConnectionLost, "The server closed the connection before completing the upgrade response.");
                    }

                    input.AdvanceTo(buffer.Start, buffer.End);
                    break;
            }
        }
    }

    private static async ValueTask<ReadResult> ReadAsync(PipeReader input, CancellationToken cancellationToken)
    {
        try
        {
            return await input.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw ThrowHelper.Create(C2FeedError.ConnectionLost, "The connection failed during the upgrade.", inner: ex);
        }
    }

    /// <summary>Reads the body of a non-101 answer (bounded) and builds the typed rejection. Error path: allocation is fine.</summary>
    private static async Task<C2FeedException> ReadRejectionAsync(PipeReader input, ReadResult result, HandshakeResponse response, CancellationToken cancellationToken)
    {
        ReadOnlySequence<byte> buffer = result.Buffer;
        byte[] head = buffer.Slice(0, response.HeaderLength).ToArray();
        long wanted = response.ContentLength >= 0 ? Math.Min(response.ContentLength, MaxErrorBody) : MaxErrorBody;

        // The body ends at Content-Length, at the chunked terminator, or at EOF; never past the cap.
        while (!result.IsCompleted && buffer.Length - response.HeaderLength < wanted
               && !(response.Chunked && EndsChunked(buffer.Slice(response.HeaderLength))))
        {
            input.AdvanceTo(buffer.Start, buffer.End);
            result = await ReadAsync(input, cancellationToken).ConfigureAwait(false);
            buffer = result.Buffer;
        }

        ReadOnlySequence<byte> rawBody = buffer.Slice(response.HeaderLength, Math.Min(buffer.Length - response.HeaderLength, wanted));
        byte[] body = response.Chunked ? Dechunk(rawBody.ToArray()) : rawBody.ToArray();
        input.AdvanceTo(buffer.End);

        string? header = Text(head, response.ErrorHeader);
        string? retryAfter = Text(head, response.RetryAfter);
        (string? code, string? message) = ParseBody(body);
        int status = response.StatusCode;
        C2FeedError error = status switch
        {
            401 => C2FeedError.AuthenticationFailed,
            429 or 503 => C2FeedError.ConnectionRejected,
            _ => C2FeedError.HandshakeFailed,
        };

        var text = new StringBuilder($"The server rejected the WebSocket upgrade with HTTP {status.ToString(CultureInfo.InvariantCulture)}");
        if (header is not null)
        {
            text.Append(" (").Append(header).Append(')');
        }

        if (code is not null || message is not null)
        {
            text.Append(": ").Append(code).Append(code is not null && message is not null ? " " : string.Empty).Append(message);
        }

        text.Append('.');
        return new C2FeedException(error, text.ToString())
        {
            HttpStatus = status,
            ServerErrorHeader = header,
            ServerCode = code,
            ServerMessage = message,
            RetryAfter = ParseRetryAfter(retryAfter),
        };
    }

    private static bool EndsChunked(ReadOnlySequence<byte> body)
    {
        // The last chunk is "0\r\n" followed by optional trailers and "\r\n".
        return body.Length >= 5 && body.Slice(body.Length - 5).ToArray().AsSpan().SequenceEqual("0\r\n\r\n"u8);
    }

    /// <summary>Decodes an HTTP/1.1 chunked body (RFC 9112 §7.1), keeping what decodes cleanly.</summary>
    private static byte[] Dechunk(byte[] raw)
    {
        var output = new List<byte>(raw.Length);
        int i = 0;
        while (i < raw.Length)
        {
            int lineEnd = raw.AsSpan(i).IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                break;
            }

            ReadOnlySpan<byte> sizeText = raw.AsSpan(i, lineEnd);
            int extension = sizeText.IndexOf((byte)';');
            if (extension >= 0)
            {
                sizeText = sizeText[..extension];
            }

            if (!int.TryParse(Encoding.ASCII.GetString(sizeText).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int size) || size <= 0)
            {
                break;
            }

            i += lineEnd + 2;
            int take = Math.Min(size, raw.Length - i);
            output.AddRange(raw.AsSpan(i, take));
            i += size + 2;
        }

        return [.. output];
    }

    private static string? Text(byte[] head, Range range)
    {
        (int offset, int length) = range.GetOffsetAndLength(head.Length);
        return length == 0 && offset == 0 ? null : Encoding.Latin1.GetString(head, offset, length);
    }

    /// <summary>The documented rejection body is <c>{"code":"…","message":"…"}</c>; anything else is kept out of the exception.</summary>
    private static (string? Code, string? Message) ParseBody(byte[] body)
    {
        if (body.Length == 0)
        {
            return (null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            return (StringProperty(document.RootElement, "code"), StringProperty(document.RootElement, "message"));
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static string? StringProperty(JsonElement element, string name)
        => element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>RFC 9110 §10.2.3: delta-seconds or an HTTP-date.</summary>
    internal static TimeSpan? ParseRetryAfter(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset date))
        {
            TimeSpan delta = date - DateTimeOffset.UtcNow;
            return delta > TimeSpan.Zero ? delta : TimeSpan.Zero;
        }

        return null;
    }

    private static string Describe(HandshakeError error) => error switch
    {
        HandshakeError.MalformedStatusLine => "The upgrade response has a malformed status line (RFC 9112 §4).",
        HandshakeError.MalformedHeader => "The upgrade response has a malformed header line (RFC 9112 §5).",
        HandshakeError.ResponseTooLarge => "The upgrade response head exceeds MaxHandshakeResponseSize.",
        HandshakeError.MissingUpgrade => "The 101 response lacks 'Upgrade: websocket' (RFC 6455 §4.1).",
        HandshakeError.MissingConnection => "The 101 response lacks 'Connection: Upgrade' (RFC 6455 §4.1).",
        HandshakeError.InvalidAccept => "The 101 response has a missing, repeated or wrong Sec-WebSocket-Accept (RFC 6455 §4.1).",
        HandshakeError.UnrequestedExtension => "The 101 response names an extension the client did not request (RFC 6455 §4.1).",
        HandshakeError.UnrequestedSubprotocol => "The 101 response names a subprotocol the client did not request (RFC 6455 §4.1).",
        _ => "The upgrade response is invalid.",
    };
}
