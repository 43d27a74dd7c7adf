using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using C2Fast.Handshake;
using C2Fast.Tests.Infrastructure;
using ScriptedResponse = C2Fast.Tests.Infrastructure.HandshakeResponse;

namespace C2Fast.Tests.Handshake;

/// <summary>
/// The upgrade over in-memory pipes: what the request carries, a correct 101 leaving the first frame unread, a
/// wrong accept, rejections with their status, header, JSON body (plain or chunked) and Retry-After on the fake
/// clock, a connection that ends early, a head over the limit; and the chunked-body decoder on its own.
/// </summary>
public class HandshakeClientTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static readonly Uri Endpoint = new("ws://c2.test:8080/ws/v4?x=1");

    private static HandshakeSettings Settings(string? apiKey = "test-key", int maxHead = 16 * 1024, IReadOnlyDictionary<string, string>? headers = null)
        => new(Endpoint, apiKey, headers, maxHead);

    /// <summary>Starts the upgrade on the client side of <paramref name="transport"/>.</summary>
    private static Task Upgrade(InMemoryTransport transport, HandshakeSettings? settings = null, TimeProvider? clock = null)
        => HandshakeClient.UpgradeAsync(transport, settings ?? Settings(), clock ?? new TestClock(), CancellationToken.None);

    /// <summary>Reads the client's request head on the server side.</summary>
    private static Task<string> ReadRequestAsync(InMemoryTransport transport) => new ScriptedServer(transport).ReadRequestAsync();

    private static string KeyOf(string request) => ScriptedServer.KeyOf(request);

    private static string AcceptFor(string key) => ScriptedServer.AcceptFor(key);

    private static ValueTask<FlushResult> WriteAsync(InMemoryTransport transport, string text)
        => transport.Server.Output.WriteAsync(Encoding.Latin1.GetBytes(text));

    private static ValueTask<FlushResult> WriteAsync(InMemoryTransport transport, byte[] bytes)
        => transport.Server.Output.WriteAsync(bytes);

    private static async Task<HandshakeException> FailsAsync(Task upgrade, HandshakeError expected)
    {
        HandshakeException error = await Assert.ThrowsAsync<HandshakeException>(() => upgrade.WaitAsync(Bound));
        Assert.Equal(expected, error.Error);
        return error;
    }

    /// <summary>Answers the request with <paramref name="head"/> + <paramref name="body"/> and closes the server side when asked.</summary>
    private static async Task<HandshakeRejection> RejectedAsync(string head, string body = "", bool close = false, TestClock? clock = null)
    {
        var transport = new InMemoryTransport();
        Task upgrade = Upgrade(transport, clock: clock);
        await ReadRequestAsync(transport);
        await WriteAsync(transport, head + body);
        if (close)
        {
            transport.ServerClose();
        }

        HandshakeException error = await FailsAsync(upgrade, HandshakeError.Rejected);
        Assert.NotNull(error.Rejection);
        return error.Rejection;
    }

    [Fact]
    public async Task UpgradeAsync_Correct101_SucceedsAndLeavesTheFirstFrameUnreadInTheInput()
    {
        var transport = new InMemoryTransport();
        Task upgrade = Upgrade(transport);
        string key = KeyOf(await ReadRequestAsync(transport));
        byte[] frame = TestFrames.Text("""{"msg_type":"connection.connected"}""");
        byte[] head = ScriptedResponse.Accept(key).ToBytes();
        Assert.Equal(AcceptFor(key), ScriptedResponse.ComputeAccept(key)); // the scripted answer and the library agree

        await WriteAsync(transport, [.. head, .. frame]); // the frame in the same write as the head
        await upgrade.WaitAsync(Bound);

        ReadResult rest = await transport.Input.ReadAsync().AsTask().WaitAsync(Bound);
        Assert.Equal(frame, rest.Buffer.ToArray());
        transport.Input.AdvanceTo(rest.Buffer.End);
    }

    [Fact]
    public async Task UpgradeAsync_101ArrivingByteByByte_Succeeds()
    {
        var transport = new InMemoryTransport();
        Task upgrade = Upgrade(transport);
        string key = KeyOf(await ReadRequestAsync(transport));

        foreach (byte b in ScriptedResponse.Accept(key).ToBytes())
        {
            Assert.False(upgrade.IsCompleted, "the head is not complete yet");
            await WriteAsync(transport, [b]);
        }

        await upgrade.WaitAsync(Bound);
    }

    [Fact]
    public async Task UpgradeAsync_Request_CarriesTheBearerKeyVersionHostPathAndExtraHeaders()
    {
        var transport = new InMemoryTransport();
        Task upgrade = Upgrade(transport, Settings(headers: new Dictionary<string, string> { ["X-Client"] = "tests" }));

        string request = await ReadRequestAsync(transport);
        string[] lines = request.Split("\r\n");
        Assert.Equal("GET /ws/v4?x=1 HTTP/1.1", lines[0]);
        Assert.Contains("Host: c2.test:8080", lines);
        Assert.Contains("Authorization: Bearer test-key", lines);
        Assert.Contains("Sec-WebSocket-Version: 13", lines);
        Assert.Contains("Upgrade: websocket", lines);
        Assert.Contains("Connection: Upgrade", lines);
        Assert.Contains("X-Client: tests", lines);
        Assert.Equal(16, Convert.FromBase64String(KeyOf(request)).Length);

        await WriteAsync(transport, ScriptedResponse.Accept(KeyOf(request)).ToBytes());
        await upgrade.WaitAsync(Bound);
    }

    [Fact]
    public async Task UpgradeAsync_NoApiKey_NoAuthorizationHeader()
    {
        var transport = new InMemoryTransport();
        Task upgrade = Upgrade(transport, Settings(apiKey: null));

        string request = await ReadRequestAsync(transport);
        Assert.DoesNotContain("Authorization", request, StringComparison.OrdinalIgnoreCase);

        await WriteAsync(transport, ScriptedResponse.Accept(KeyOf(request)).ToBytes());
        await upgrade.WaitAsync(Bound);
    }

    [Fact]
    public async Task UpgradeAsync_EveryRequestHasAFreshKey()
    {
        var keys = new HashSet<string>();
        for (int i = 0; i < 5; i++)
        {
            var transport = new InMemoryTransport();
            Task upgrade = Upgrade(transport);
            string key = KeyOf(await ReadRequestAsync(transport));
            Assert.True(keys.Add(key), $"key {key} reused");
            await WriteAsync(transport, ScriptedResponse.Accept(key).ToBytes());
            await upgrade.WaitAsync(Bound);
        }
    }

    /// <summary>Adversarial finding: a 100 Continue before the 101 was taken as the final answer.</summary>
    [Theory]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\n")]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n")]
    public async Task UpgradeAsync_InterimAnswersBeforeThe101_SkippedAndTheUpgradeSucceeds(string interim)
    {
        var transport = new InMemoryTransport();
        Task upgrade = Upgrade(transport);
        string request = await ReadRequestAsync(transport);

        await WriteAsync(transport, interim + "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Accept: {AcceptFor(KeyOf(request))}\r\n\r\n");

        await upgrade.WaitAsync(Bound);
    }

    [Fact]
    public async Task UpgradeAsync_InterimAnswerThenARejection_Rejected()
    {
        HandshakeRejection rejection = await RejectedAsync("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");

        Assert.Equal(403, rejection.StatusCode);
    }

    [Fact]
    public async Task UpgradeAsync_101WithAWrongAccept_InvalidAccept()
    {
        var transport = new InMemoryTransport();
        Task upgrade = Upgrade(transport);
        string key = KeyOf(await ReadRequestAsync(transport));

        await WriteAsync(transport, ScriptedResponse.WrongAccept(key).ToBytes());

        HandshakeException error = await FailsAsync(upgrade, HandshakeError.InvalidAccept);
        Assert.Null(error.Rejection);
    }

    [Fact]
    public async Task UpgradeAsync_101WithoutUpgradeHeader_MissingUpgrade()
    {
        var transport = new InMemoryTransport();
        Task upgrade = Upgrade(transport);
        string key = KeyOf(await ReadRequestAsync(transport));

        await WriteAsync(transport, ScriptedResponse.Accept(key).WithoutHeader("Upgrade").ToBytes());

        await FailsAsync(upgrade, HandshakeError.MissingUpgrade);
    }

    [Theory]
    [InlineData(401, "Unauthorized", "Invalid API key", "UNAUTHORIZED", "Invalid API key", null, null)]
    [InlineData(429, "Too Many Requests", "Rate limited", "RATE_LIMITED", "Slow down", "30", 30)]
    [InlineData(503, "Service Unavailable", "Connection limit", "CONNECTION_LIMIT", "Too many connections", "0", 0)]
    public async Task UpgradeAsync_Rejection_RejectedWithStatusHeaderBodyAndRetryAfter(
        int status, string reason, string wsError, string code, string message, string? retryAfter, int? retrySeconds)
    {
        string body = $$"""{"code":"{{code}}","message":"{{message}}"}""";
        string head = $"HTTP/1.1 {status} {reason}\r\nX-WS-Error: {wsError}\r\nContent-Type: application/json\r\n"
            + (retryAfter is null ? string.Empty : $"Retry-After: {retryAfter}\r\n")
            + $"Content-Length: {body.Length}\r\n\r\n";

        HandshakeRejection rejection = await RejectedAsync(head, body); // the server keeps the connection open

        Assert.Equal(status, rejection.StatusCode);
        Assert.Equal(wsError, rejection.ErrorHeader);
        Assert.Equal(code, rejection.Code);
        Assert.Equal(message, rejection.Message);
        Assert.Equal(retrySeconds is int s ? (TimeSpan?)TimeSpan.FromSeconds(s) : null, rejection.RetryAfter);
    }

    [Fact]
    public async Task UpgradeAsync_ScriptedUnauthorized_Rejected()
    {
        var transport = new InMemoryTransport();
        Task upgrade = Upgrade(transport);
        await ReadRequestAsync(transport);
        await WriteAsync(transport, ScriptedResponse.Unauthorized().ToBytes());

        HandshakeRejection rejection = (await FailsAsync(upgrade, HandshakeError.Rejected)).Rejection!;

        Assert.Equal(401, rejection.StatusCode);
        Assert.Equal("Invalid API key", rejection.ErrorHeader);
        Assert.Equal("UNAUTHORIZED", rejection.Code);
    }

    [Theory]
    [InlineData(90, 90)]
    [InlineData(-30, 0)] // a date already past: try now
    public async Task UpgradeAsync_RetryAfterHttpDate_MeasuredFromTheClock(int offsetSeconds, int expectedSeconds)
    {
        var clock = new TestClock();
        clock.Advance(TimeSpan.FromHours(3)); // not the clock's start: the date is measured from GetUtcNow
        string date = clock.GetUtcNow().AddSeconds(offsetSeconds).ToString("r", CultureInfo.InvariantCulture);

        HandshakeRejection rejection = await RejectedAsync($"HTTP/1.1 503 Service Unavailable\r\nRetry-After: {date}\r\nContent-Length: 0\r\n\r\n", clock: clock);

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), rejection.RetryAfter);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("")]
    public async Task UpgradeAsync_RetryAfterNotAValue_Null(string value)
    {
        HandshakeRejection rejection = await RejectedAsync($"HTTP/1.1 429 Too Many Requests\r\nRetry-After: {value}\r\nContent-Length: 0\r\n\r\n");
        Assert.Equal(429, rejection.StatusCode);
        Assert.Null(rejection.RetryAfter);
    }

    [Theory]
    [InlineData("")]                                    // no body
    [InlineData("Too many requests")]                   // not JSON
    [InlineData("""["code","message"]""")]              // JSON, not an object
    [InlineData("""{"code":429,"message":null}""")]     // not strings
    public async Task UpgradeAsync_RejectionWithoutTheDocumentedBody_RejectedWithoutCodeOrMessage(string body)
    {
        HandshakeRejection rejection = await RejectedAsync(
            $"HTTP/1.1 429 Too Many Requests\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n", body);

        Assert.Equal(429, rejection.StatusCode);
        Assert.Null(rejection.ErrorHeader);
        Assert.Null(rejection.Code);
        Assert.Null(rejection.Message);
    }

    [Fact]
    public async Task UpgradeAsync_RejectionBodyUntilTheServerCloses_ReadToTheEnd()
    {
        HandshakeRejection rejection = await RejectedAsync(
            "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n", """{"code":"UNAVAILABLE","message":"later"}""", close: true);

        Assert.Equal("UNAVAILABLE", rejection.Code);
        Assert.Equal("later", rejection.Message);
    }

    [Fact]
    public async Task UpgradeAsync_ChunkedRejection_DecodedAndDoneAtTheLastChunkWithoutWaitingForClose()
    {
        const string Json = """{"code":"RATE_LIMITED","message":"Slow down"}""";
        string body = $"{16:x};ext=1\r\n{Json[..16]}\r\n{Json.Length - 16:x}\r\n{Json[16..]}\r\n0\r\n\r\n";

        HandshakeRejection rejection = await RejectedAsync("HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\n\r\n", body);

        Assert.Equal("RATE_LIMITED", rejection.Code);
        Assert.Equal("Slow down", rejection.Message);
    }

    [Fact]
    public async Task UpgradeAsync_ChunkAnnouncedHugeThenTheServerCloses_RejectedWithTheBodyThatArrived()
    {
        HandshakeRejection rejection = await RejectedAsync(
            "HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\nX-WS-Error: Rate limited\r\n\r\n",
            "7fffffff\r\n" + """{"code":"RATE_LIMITED","message":"Slow down"}""",
            close: true);

        Assert.Equal(429, rejection.StatusCode);
        Assert.Equal("Rate limited", rejection.ErrorHeader);
        Assert.Equal("RATE_LIMITED", rejection.Code);
        Assert.Equal("Slow down", rejection.Message);
    }

    [Theory]
    [InlineData("7fffffff\r\n{\"co")]
    [InlineData("7fffffffffffffff\r\n{\"co")]
    [InlineData("ffffffffffffffff\r\n{}")]    // negative as a long
    [InlineData("fffffffffffffffff\r\n{}")]   // does not fit a long
    [InlineData("7fffffff")]                  // not even a whole size line
    [InlineData("7fffffff\r\nabc\r\n0\r\n\r\n")] // adversarial finding: this crashed the de-chunking (ArgumentOutOfRangeException)
    public async Task UpgradeAsync_ChunkedBodyCutShort_RejectedWithoutCodeAndNothingElseThrown(string body)
    {
        HandshakeRejection rejection = await RejectedAsync("HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n", body, close: true);

        Assert.Equal(503, rejection.StatusCode);
        Assert.Null(rejection.Code);
        Assert.Null(rejection.Message);
    }

    [Fact]
    public async Task UpgradeAsync_ChunkAnnouncedHugeAndTheServerHoldsTheConnection_RejectedWhenTheDeadlineEnds()
    {
        // The head is complete, so the status and Retry-After are known: the caller's deadline should end the body
        // read and report the rejection (FeedConnector turns an OperationCanceledException into ConnectFailed, so
        // the reconnect policy no longer sees a 429 and its Retry-After).
        var transport = new InMemoryTransport();
        var observed = new ObservedPipe(transport);
        using var deadline = new CancellationTokenSource();
        Task upgrade = HandshakeClient.UpgradeAsync(observed, Settings(), new TestClock(), deadline.Token);
        await ReadRequestAsync(transport);
        await WriteAsync(transport, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nTransfer-Encoding: chunked\r\n\r\n7fffffff\r\n{\"co");
        await observed.ReadStartedAsync(2); // the head was parsed: the client waits for the rest of the chunk

        await deadline.CancelAsync();

        HandshakeRejection rejection = (await FailsAsync(upgrade, HandshakeError.Rejected)).Rejection!;
        Assert.Equal(429, rejection.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(30), rejection.RetryAfter);
    }

    /// <summary>Adversarial finding: a rejection without Content-Length, the connection held open, became a connect timeout.</summary>
    [Theory]
    [InlineData("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n\r\n", 429)]
    [InlineData("HTTP/1.1 401 Unauthorized\r\n\r\n{\"code\":\"UNAUTHORIZED\"", 401)]
    [InlineData("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 100\r\n\r\n{}", 503)]
    public async Task UpgradeAsync_RejectionBodyNeverEndsAndTheServerHoldsTheConnection_RejectedAtTheBodyTimeout(string answer, int status)
    {
        var clock = new TestClock();
        var transport = new InMemoryTransport();
        Task upgrade = Upgrade(transport, clock: clock);
        await ReadRequestAsync(transport);
        await WriteAsync(transport, answer);
        await clock.WaitForTimerAsync(HandshakeClient.ErrorBodyTimeout, "the body timeout");
        Assert.False(upgrade.IsCompleted);

        clock.Advance(HandshakeClient.ErrorBodyTimeout);

        HandshakeRejection rejection = (await FailsAsync(upgrade, HandshakeError.Rejected)).Rejection!;
        Assert.Equal(status, rejection.StatusCode);
        Assert.Equal(status == 429 ? TimeSpan.FromSeconds(1) : null, rejection.RetryAfter);
    }

    [Fact]
    public async Task UpgradeAsync_RejectionBodyLargerThanTheCap_StopsReadingAtTheCap()
    {
        // No Content-Length and the server keeps sending: the client reads at most MaxErrorBody and answers.
        var transport = new InMemoryTransport();
        Task upgrade = Upgrade(transport);
        await ReadRequestAsync(transport);
        ValueTask<FlushResult> writing = WriteAsync(transport, "HTTP/1.1 503 Service Unavailable\r\n\r\n" + new string('x', HandshakeClient.MaxErrorBody + 10_000));

        HandshakeRejection rejection = (await FailsAsync(upgrade, HandshakeError.Rejected)).Rejection!;

        Assert.Equal(503, rejection.StatusCode);
        Assert.Null(rejection.Code);
        transport.Input.Complete(); // the server's last bytes were never wanted: let its write finish
        await writing.AsTask().WaitAsync(Bound);
    }

    [Fact]
    public async Task UpgradeAsync_ConnectionAbortedWhileTheBodyIsRead_StillRejected()
    {
        var transport = new InMemoryTransport();
        var observed = new ObservedPipe(transport);
        Task upgrade = HandshakeClient.UpgradeAsync(observed, Settings(), new TestClock(), CancellationToken.None);
        await ReadRequestAsync(transport);
        await WriteAsync(transport, "HTTP/1.1 429 Too Many Requests\r\nX-WS-Error: Rate limited\r\nRetry-After: 7\r\nContent-Length: 500\r\n\r\n{\"code\":");
        await observed.ReadStartedAsync(2); // the head was read: the client now waits for the rest of the body
        transport.Abort();

        HandshakeRejection rejection = (await FailsAsync(upgrade, HandshakeError.Rejected)).Rejection!;

        Assert.Equal(429, rejection.StatusCode);
        Assert.Equal("Rate limited", rejection.ErrorHeader);
        Assert.Equal(TimeSpan.FromSeconds(7), rejection.RetryAfter);
    }

    [Fact]
    public async Task UpgradeAsync_ConnectionAbortedAfterTheBodyArrivedShortOfContentLength_KeepsTheBodyThatArrived()
    {
        // HandshakeClient.cs says "A connection that fails while the body is read still reports the rejection, with
        // what arrived": the status and headers are kept, but the JSON body that arrived is not.
        var transport = new InMemoryTransport();
        var observed = new ObservedPipe(transport);
        Task upgrade = HandshakeClient.UpgradeAsync(observed, Settings(), new TestClock(), CancellationToken.None);
        await ReadRequestAsync(transport);
        const string Body = """{"code":"RATE_LIMITED","message":"Slow down"}""";
        await WriteAsync(transport, $"HTTP/1.1 429 Too Many Requests\r\nContent-Length: {Body.Length + 100}\r\n\r\n{Body}");
        await observed.ReadStartedAsync(2);
        transport.Abort();

        HandshakeRejection rejection = (await FailsAsync(upgrade, HandshakeError.Rejected)).Rejection!;

        Assert.Equal(429, rejection.StatusCode);
        Assert.Equal("RATE_LIMITED", rejection.Code);
        Assert.Equal("Slow down", rejection.Message);
    }

    [Fact]
    public async Task UpgradeAsync_ServerClosesBeforeTheHeadIsComplete_ConnectionLost()
    {
        var transport = new InMemoryTransport();
        Task upgrade = Upgrade(transport);
        await ReadRequestAsync(transport);
        await WriteAsync(transport, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n");

        transport.ServerClose();

        await FailsAsync(upgrade, HandshakeError.ConnectionLost);
    }

    [Fact]
    public async Task UpgradeAsync_ServerClosesWithoutAnswering_ConnectionLost()
    {
        var transport = new InMemoryTransport();
        Task upgrade = Upgrade(transport);
        await ReadRequestAsync(transport);

        transport.ServerClose();

        await FailsAsync(upgrade, HandshakeError.ConnectionLost);
    }

    [Fact]
    public async Task UpgradeAsync_ConnectionAbortedBeforeTheHead_ConnectionLostWithTheCause()
    {
        var transport = new InMemoryTransport();
        Task upgrade = Upgrade(transport);
        await ReadRequestAsync(transport);

        transport.Abort();

        HandshakeException error = await FailsAsync(upgrade, HandshakeError.ConnectionLost);
        Assert.IsType<IOException>(error.InnerException);
    }

    [Fact]
    public async Task UpgradeAsync_ServerNoLongerReads_ConnectionLostOnSending()
    {
        var transport = new InMemoryTransport();
        transport.Server.Input.Complete(); // the request's flush finds the reader gone

        await FailsAsync(Upgrade(transport), HandshakeError.ConnectionLost);
    }

    [Fact]
    public async Task UpgradeAsync_CompleteHeadLargerThanTheLimit_ResponseTooLarge()
    {
        var transport = new InMemoryTransport();
        Task upgrade = Upgrade(transport, Settings(maxHead: 1024));
        string key = KeyOf(await ReadRequestAsync(transport));

        await WriteAsync(transport, ScriptedResponse.Accept(key).WithHeadPaddedTo(4096).ToBytes());

        await FailsAsync(upgrade, HandshakeError.ResponseTooLarge);
    }

    [Fact]
    public async Task UpgradeAsync_HeadGrowsPastTheLimitWithoutEnding_ResponseTooLargeWithoutWaitingForMore()
    {
        var transport = new InMemoryTransport();
        Task upgrade = Upgrade(transport, Settings(maxHead: 1024));
        await ReadRequestAsync(transport);

        // No blank line, and the connection stays open: the limit decides, not the end of the head.
        await WriteAsync(transport, "HTTP/1.1 101 Switching Protocols\r\n" + string.Concat(Enumerable.Range(0, 20).Select(i => $"X-Padding-{i}: {new string('p', 100)}\r\n")));

        await FailsAsync(upgrade, HandshakeError.ResponseTooLarge);
    }

    [Fact]
    public async Task UpgradeAsync_HeadExactlyAtTheLimit_Accepted()
    {
        var transport = new InMemoryTransport();
        Task upgrade = Upgrade(transport, Settings(maxHead: 1024));
        string key = KeyOf(await ReadRequestAsync(transport));
        byte[] head = ScriptedResponse.Accept(key).WithHeader("X-Pad", "").ToBytes();
        byte[] exact = ScriptedResponse.Accept(key).WithHeader("X-Pad", new string('p', 1024 - head.Length)).ToBytes();
        Assert.Equal(1024, exact.Length);

        await WriteAsync(transport, exact);

        await upgrade.WaitAsync(Bound);
    }

    [Fact]
    public async Task UpgradeAsync_CallerCancels_OperationCanceledForTheCallerToMap()
    {
        var transport = new InMemoryTransport();
        using var cts = new CancellationTokenSource();
        Task upgrade = HandshakeClient.UpgradeAsync(transport, Settings(), new TestClock(), cts.Token);
        await ReadRequestAsync(transport);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => upgrade.WaitAsync(Bound));
    }

    [Theory]
    [InlineData("5\r\nhello\r\n0\r\n\r\n", "hello")]
    [InlineData("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world")]
    [InlineData("A\r\n0123456789\r\n0\r\n\r\n", "0123456789")]                // upper-case hex
    [InlineData("5;name=value\r\nhello\r\n3 ; x\r\nabc\r\n0\r\n\r\n", "helloabc")] // chunk extensions
    [InlineData(" 5 \r\nhello\r\n0\r\n\r\n", "hello")]                      // blanks around the size
    [InlineData("5\r\nhello\r\n0\r\nTrailer: x\r\n\r\n", "hello")]           // trailers
    public void Dechunk_WellFormed_TheData(string raw, string expected)
    {
        Assert.Equal(expected, Encoding.ASCII.GetString(HandshakeClient.Dechunk(Encoding.ASCII.GetBytes(raw))));
    }

    [Theory]
    [InlineData("5\r\nhel", "hel")]                       // data cut short
    [InlineData("5\r\nhello", "hello")]                   // exactly the data, no CRLF after it
    [InlineData("5\r\nhello\r\n6\r\n wor", "hello wor")]  // second chunk cut short
    [InlineData("5\r\nhello\r\n6", "hello")]              // size line cut short
    [InlineData("5\r\nhello\r\n", "hello")]               // no last chunk
    [InlineData("5", "")]
    [InlineData("", "")]
    public void Dechunk_Truncated_KeepsWhatArrived(string raw, string expected)
    {
        Assert.Equal(expected, Encoding.ASCII.GetString(HandshakeClient.Dechunk(Encoding.ASCII.GetBytes(raw))));
    }

    [Theory]
    [InlineData("7fffffff\r\nabc", "abc")]
    [InlineData("7fffffffffffffff\r\nabc", "abc")]
    [InlineData("3\r\nabc\r\n7fffffff\r\ndef", "abcdef")]
    [InlineData("ffffffffffffffff\r\nabc", "")]      // -1 as a long: not a size
    [InlineData("10000000000000000\r\nabc", "")]     // does not fit a long
    public void Dechunk_HugeSize_KeepsWhatArrivedAndNeverReadsPast(string raw, string expected)
    {
        Assert.Equal(expected, Encoding.ASCII.GetString(HandshakeClient.Dechunk(Encoding.ASCII.GetBytes(raw))));
    }

    [Theory]
    [InlineData("zz\r\nhello\r\n0\r\n\r\n", "")]
    [InlineData("-5\r\nhello\r\n", "")]
    [InlineData("3\r\nabc\r\nxyz\r\ndef\r\n", "abc")]
    [InlineData("0\r\n\r\n", "")]
    public void Dechunk_BadOrZeroSize_StopsThere(string raw, string expected)
    {
        Assert.Equal(expected, Encoding.ASCII.GetString(HandshakeClient.Dechunk(Encoding.ASCII.GetBytes(raw))));
    }

    /// <summary>The client's side of a transport, telling the test each time the client starts a read.</summary>
    private sealed class ObservedPipe(InMemoryTransport transport) : IDuplexPipe
    {
        private readonly ObservedReader _input = new(transport.Input);

        public PipeReader Input => _input;

        public PipeWriter Output => transport.Output;

        /// <summary>Waits until the client has started its <paramref name="count"/>th read.</summary>
        public async Task ReadStartedAsync(int count)
        {
            using var cts = new CancellationTokenSource(Bound);
            try
            {
                while (_input.Reads < count)
                {
                    await _input.Started.Reader.ReadAsync(cts.Token);
                }
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The client started {_input.Reads} reads, not {count}, within {Bound}.");
            }
        }

        private sealed class ObservedReader(PipeReader inner) : PipeReader
        {
            private int _reads;

            public System.Threading.Channels.Channel<int> Started { get; } = System.Threading.Channels.Channel.CreateUnbounded<int>();

            public int Reads => Volatile.Read(ref _reads);

            public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
            {
                Started.Writer.TryWrite(Interlocked.Increment(ref _reads));
                return inner.ReadAsync(cancellationToken);
            }

            public override bool TryRead(out ReadResult result) => inner.TryRead(out result);

            public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

            public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

            public override void CancelPendingRead() => inner.CancelPendingRead();

            public override void Complete(Exception? exception = null) => inner.Complete(exception);
        }
    }
}
