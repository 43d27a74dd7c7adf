using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;

namespace C2Fast.Handshake;

/// <summary>Drives the upgrade over a connected duplex pipe: writes the request, parses the answer.</summary>
/// <remarks>
/// On success the 101 head is consumed from <see cref="IDuplexPipe.Input"/> and any bytes the server sent
/// after it stay there, unexamined: they are the first frames.
/// </remarks>
internal static class HandshakeClient
{
    /// <summary>Largest error body read from a rejection (the C2 body is a small JSON object).</summary>
    internal const int MaxErrorBody = 64 * 1024;

    /// <summary>
    /// Longest wait for a rejection's body once its head has arrived. The status (and its <c>Retry-After</c>) is what
    /// the caller acts on; a server that announces no length and holds the connection open must not turn a 429 into
    /// a connect timeout.
    /// </summary>
    internal static readonly TimeSpan ErrorBodyTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>Upgrades the connection to WebSocket.</summary>
    /// <param name="transport">The connected byte pipes.</param>
    /// <param name="settings">The request's target, key and headers, and the response limit.</param>
    /// <param name="time">The clock for an HTTP-date <c>Retry-After</c>.</param>
    /// <param name="cancellationToken">The caller's connect timeout.</param>
    /// <exception cref="HandshakeException">The server rejected the upgrade, broke RFC 6455 §4.1, or the connection ended.</exception>
    public static async Task UpgradeAsync(IDuplexPipe transport, HandshakeSettings settings, TimeProvider time, CancellationToken cancellationToken)
    {
        byte[] key = new byte[AcceptKey.KeyLength];
        byte[] expectedAccept = new byte[AcceptKey.AcceptLength];
        AcceptKey.NewKey(key);
        AcceptKey.ComputeAccept(key, expectedAccept);

        try
        {
            HandshakeRequest.Write(transport.Output, settings.Endpoint, settings.ApiKey, key, settings.AdditionalHeaders);
            FlushResult flushed = await transport.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (flushed.IsCompleted || flushed.IsCanceled)
            {
                throw Lost("The connection was dropped while sending the upgrade request.", null);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            throw Lost("The connection failed while sending the upgrade request.", ex);
        }

        PipeReader input = transport.Input;
        while (true)
        {
            ReadResult result = await ReadAsync(input, cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            OperationStatus status = HandshakeResponseParser.TryParse(buffer, settings.MaxResponseHeadBytes, expectedAccept, out HandshakeResponse response);
            switch (status)
            {
                case OperationStatus.Done when response.StatusCode == 101:
                    input.AdvanceTo(buffer.GetPosition(response.HeaderLength));
                    return;
                case OperationStatus.Done when response.StatusCode is >= 100 and < 200:
                    // An interim answer (100 Continue, 103 Early Hints): RFC 9110 §15.2, the final one follows.
                    input.AdvanceTo(buffer.GetPosition(response.HeaderLength));
                    continue;
                case OperationStatus.Done:
                    throw await ReadRejectionAsync(input, result, response, time, cancellationToken).ConfigureAwait(false);
                case OperationStatus.InvalidData:
                    input.AdvanceTo(buffer.Start, buffer.End);
                    throw Invalid(response.Error);
                default:
                    input.AdvanceTo(buffer.Start, buffer.End);
                    if (result.IsCompleted)
                    {
                        throw Lost("The server closed the connection before completing the upgrade response.", null);
                    }

                    break;
            }
        }
    }

    private static HandshakeException Lost(string message, Exception? inner) => new(HandshakeError.ConnectionLost, message, inner: inner);

    private static HandshakeException Invalid(HandshakeError error) => new(error, Describe(error));

    private static async ValueTask<ReadResult> ReadAsync(PipeReader input, CancellationToken cancellationToken)
    {
        try
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            return result.IsCanceled ? throw Lost("The connection was dropped during the upgrade.", null) : result;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            throw Lost("The connection failed during the upgrade.", ex);
        }
    }

    /// <summary>Reads the body of a non-101 answer (bounded) and builds the typed rejection. Error path: allocation is fine.</summary>
    private static async Task<HandshakeException> ReadRejectionAsync(PipeReader input, ReadResult result, HandshakeResponse response, TimeProvider time, CancellationToken cancellationToken)
    {
        ReadOnlySequence<byte> buffer = result.Buffer;
        byte[] head = buffer.Slice(0, response.HeaderLength).ToArray();
        long wanted = response.ContentLength >= 0 ? Math.Min(response.ContentLength, MaxErrorBody) : MaxErrorBody;

        // The body ends at Content-Length, at the chunked terminator, or at EOF; never past the cap nor past
        // ErrorBodyTimeout. A connection that fails, or a deadline that runs out, while the body is read still reports
        // the rejection, with what arrived: the status (and its Retry-After) is what the caller acts on.
        byte[] received = Body(buffer, response.HeaderLength, wanted);
        using var bodyDeadline = new CancellationTokenSource(ErrorBodyTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bodyDeadline.Token);
        try
        {
            while (!result.IsCompleted && buffer.Length - response.HeaderLength < wanted
                   && !(response.Chunked && EndsChunked(buffer.Slice(response.HeaderLength))))
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                result = await ReadAsync(input, linked.Token).ConfigureAwait(false);
                buffer = result.Buffer;
                received = Body(buffer, response.HeaderLength, wanted);
            }

            input.AdvanceTo(buffer.End);
        }
        catch (Exception ex) when (ex is HandshakeException or OperationCanceledException)
        {
            // Reported below as the rejection it is.
        }

        byte[] body = response.Chunked ? Dechunk(received) : received;

        string? header = Text(head, response.ErrorHeader);
        (string? code, string? message) = ParseBody(body);
        int status = response.StatusCode;
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
        var rejection = new HandshakeRejection(status, header, code, message, ParseRetryAfter(Text(head, response.RetryAfter), time.GetUtcNow()));
        return new HandshakeException(HandshakeError.Rejected, text.ToString(), rejection);
    }

    // What arrived of the body so far, at most the cap (a copy: the pipe's buffer is returned at the next read).
    private static byte[] Body(ReadOnlySequence<byte> buffer, int headerLength, long wanted)
        => buffer.Length > headerLength ? buffer.Slice(headerLength, Math.Min(buffer.Length - headerLength, wanted)).ToArray() : [];

    private static bool EndsChunked(ReadOnlySequence<byte> body)
    {
        // The last chunk is "0\r\n" followed by optional trailers and "\r\n".
        return body.Length >= 5 && body.Slice(body.Length - 5).ToArray().AsSpan().SequenceEqual("0\r\n\r\n"u8);
    }

    /// <summary>Decodes an HTTP/1.1 chunked body (RFC 9112 §7.1), keeping what decodes cleanly; never reads past the input.</summary>
    internal static byte[] Dechunk(byte[] raw)
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

            if (!long.TryParse(Encoding.ASCII.GetString(sizeText).Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long size) || size <= 0)
            {
                break;
            }

            i += lineEnd + 2;
            int remaining = raw.Length - i;
            if (size >= remaining)
            {
                output.AddRange(raw.AsSpan(i, remaining)); // a chunk announced longer than what arrived: keep what is there
                break;
            }

            output.AddRange(raw.AsSpan(i, (int)size));
            i += (int)size + 2;
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
    {
        if (!element.TryGetProperty(name, out JsonElement value) || value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return value.GetRawText(); // escapes that are not valid UTF-16 (a lone surrogate): the raw JSON instead
        }
    }

    /// <summary>RFC 9110 §10.2.3: delta-seconds or an HTTP-date (a date is measured from <paramref name="now"/>).</summary>
    internal static TimeSpan? ParseRetryAfter(string? value, DateTimeOffset now)
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
            TimeSpan delta = date - now;
            return delta > TimeSpan.Zero ? delta : TimeSpan.Zero;
        }

        return null;
    }

    internal static string Describe(HandshakeError error) => error switch
    {
        HandshakeError.MalformedStatusLine => "The upgrade response has a malformed status line (RFC 9112 §4).",
        HandshakeError.MalformedHeader => "The upgrade response has a malformed header line (RFC 9112 §5).",
        HandshakeError.ResponseTooLarge => "The upgrade response head exceeds the configured maximum size.",
        HandshakeError.MissingUpgrade => "The 101 response lacks 'Upgrade: websocket' (RFC 6455 §4.1).",
        HandshakeError.MissingConnection => "The 101 response lacks 'Connection: Upgrade' (RFC 6455 §4.1).",
        HandshakeError.InvalidAccept => "The 101 response has a missing, repeated or wrong Sec-WebSocket-Accept (RFC 6455 §4.1).",
        HandshakeError.UnrequestedExtension => "The 101 response names an extension the client did not request (RFC 6455 §4.1).",
        HandshakeError.UnrequestedSubprotocol => "The 101 response names a subprotocol the client did not request (RFC 6455 §4.1).",
        _ => "The upgrade response is invalid.",
    };
}
