using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using C2Fast.Protocol;
using C2Fast.Session;

namespace C2Fast.Tests.Session;

/// <summary>
/// Request correlation: each request gets a unique <c>request_id</c>, and an answer (a real server message,
/// parsed) takes the request whose id its <c>request_id</c> spells, escaped or not, exactly once.
/// </summary>
public partial class RequestTrackerTests
{
    [GeneratedRegex("^c2f-[0-9a-f]{6}-[1-9][0-9]*$")]
    private static partial Regex RequestIdShape();

    /// <summary>A <c>subscription.ack</c> (or <c>error</c>) whose raw <c>request_id</c> is <paramref name="rawRequestId"/>, parsed.</summary>
    private static (byte[] Message, ValueRange RequestId) Answer(string? rawRequestId, string msgType = "subscription.ack")
    {
        string requestId = rawRequestId is null ? string.Empty : $"\"request_id\":\"{rawRequestId}\",";
        byte[] message = Encoding.UTF8.GetBytes(
            $$$"""{"msg_type":"{{{msgType}}}","id":"msg_1",{{{requestId}}}"timestamp":"2026-12-08T00:00:00Z","v":4,"payload":{"strategy_id":101}}""");
        Assert.Equal(OperationStatus.Done, EnvelopeParser.Parse(message, out Envelope envelope, out EnvelopeError error));
        Assert.Equal(EnvelopeError.None, error);
        return (message, envelope.RequestId);
    }

    private static RequestTracker.PendingRequest? Take(RequestTracker tracker, string? rawRequestId, string msgType = "subscription.ack")
    {
        (byte[] message, ValueRange range) = Answer(rawRequestId, msgType);
        return tracker.Take(message, range);
    }

    /// <summary>Every character as a JSON <c>\uXXXX</c> escape.</summary>
    private static string EscapeAll(string text)
    {
        var escaped = new StringBuilder();
        foreach (char c in text)
        {
            escaped.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
        }

        return escaped.ToString();
    }

    [Fact]
    public void Begin_ManyRequests_UniqueIdsOfTheDocumentedShapeThatTheWriterAccepts()
    {
        var tracker = new RequestTracker();
        var ids = new HashSet<string>();
        string? prefix = null;
        for (int i = 1; i <= 1_000; i++)
        {
            RequestTracker.PendingRequest request = tracker.Begin(C2Channel.Signal, i, subscribe: true);
            Assert.Matches(RequestIdShape(), request.RequestId);
            Assert.True(ClientMessageWriter.IsValidRequestId(request.RequestIdUtf8), request.RequestId);
            Assert.Equal(Encoding.ASCII.GetBytes(request.RequestId), request.RequestIdUtf8);
            Assert.True(ids.Add(request.RequestId), $"{request.RequestId} handed out twice");

            string thisPrefix = request.RequestId[..11]; // "c2f-" + 6 hex + "-"
            prefix ??= thisPrefix;
            Assert.Equal(prefix, thisPrefix); // one tracker, one prefix, counting up
            Assert.EndsWith($"-{i}", request.RequestId, StringComparison.Ordinal);
        }

        Assert.Equal(1_000, tracker.Count);
    }

    [Fact]
    public async Task Begin_FromSeveralThreads_IdsStayUnique()
    {
        var tracker = new RequestTracker();
        var requests = new System.Collections.Concurrent.ConcurrentBag<RequestTracker.PendingRequest>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 2_000; i++)
            {
                requests.Add(tracker.Begin(C2Channel.Positions, 101, subscribe: false));
            }
        }))).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(8_000, requests.Select(r => r.RequestId).Distinct().Count());
        Assert.Equal(8_000, tracker.Count);
    }

    [Fact]
    public void Begin_KeepsWhatWasAskedAndLeavesTheCompletionPending()
    {
        var tracker = new RequestTracker();
        RequestTracker.PendingRequest request = tracker.Begin(C2Channel.Positions, 202, subscribe: false);

        Assert.Equal(C2Channel.Positions, request.Channel);
        Assert.Equal(202, request.StrategyId);
        Assert.False(request.Subscribe);
        Assert.False(request.Completion.Task.IsCompleted);
    }

    [Fact]
    public void Take_AnswerToTheMiddleRequest_ReturnsThatOneAndRemovesIt()
    {
        var tracker = new RequestTracker();
        RequestTracker.PendingRequest first = tracker.Begin(C2Channel.Signal, 101, subscribe: true);
        RequestTracker.PendingRequest second = tracker.Begin(C2Channel.Signal, 202, subscribe: true);
        RequestTracker.PendingRequest third = tracker.Begin(C2Channel.Positions, 303, subscribe: false);

        Assert.Same(second, Take(tracker, second.RequestId));
        Assert.Equal(2, tracker.Count);
        Assert.Same(third, Take(tracker, third.RequestId, msgType: "error")); // an error answers as well as an ack
        Assert.Same(first, Take(tracker, first.RequestId));
        Assert.Equal(0, tracker.Count);
    }

    [Fact]
    public void Take_EscapedRequestId_MatchesTheRequestItSpells()
    {
        var tracker = new RequestTracker();
        RequestTracker.PendingRequest other = tracker.Begin(C2Channel.Signal, 101, subscribe: true);
        RequestTracker.PendingRequest request = tracker.Begin(C2Channel.Signal, 202, subscribe: true);

        // "c2f-..." with its first letter and the last dash escaped: c2f → \u0063 2f.
        int lastDash = request.RequestId.LastIndexOf('-');
        string raw = @"\u0063" + request.RequestId[1..lastDash] + @"\u002d" + request.RequestId[(lastDash + 1)..];
        (byte[] message, ValueRange range) = Answer(raw);
        Assert.True(range.IsEscaped);

        Assert.Same(request, tracker.Take(message, range));
        Assert.Equal(1, tracker.Count);
        Assert.Same(other, Take(tracker, EscapeAll(other.RequestId))); // every character escaped
    }

    [Fact]
    public void Take_EscapedIdSpellingAnotherText_Null()
    {
        var tracker = new RequestTracker();
        RequestTracker.PendingRequest request = tracker.Begin(C2Channel.Signal, 101, subscribe: true);

        Assert.Null(Take(tracker, @"\u0064" + request.RequestId[1..])); // 'd' instead of 'c'
        Assert.Equal(1, tracker.Count);
    }

    [Fact]
    public void Take_UnknownId_NullAndNothingTaken()
    {
        var tracker = new RequestTracker();
        RequestTracker.PendingRequest request = tracker.Begin(C2Channel.Signal, 101, subscribe: true);

        string otherPrefix = request.RequestId[..4] + (request.RequestId[4] == 'a' ? 'b' : 'a') + request.RequestId[5..];
        Assert.Null(Take(tracker, otherPrefix)); // same number, another tracker's prefix
        Assert.Null(Take(tracker, request.RequestId + "0")); // a longer id with the same start
        Assert.Null(Take(tracker, request.RequestId[..^1])); // a shorter one
        Assert.Null(Take(tracker, string.Empty));
        Assert.Equal(1, tracker.Count);
        Assert.False(request.Completion.Task.IsCompleted);
    }

    [Fact]
    public void Take_IdsThatArePrefixesOfEachOther_TakeExactlyTheirOwnRequest()
    {
        var tracker = new RequestTracker();
        RequestTracker.PendingRequest[] requests = [.. Enumerable.Range(1, 10).Select(i => tracker.Begin(C2Channel.Signal, i, subscribe: true))];

        // ...-10 starts like ...-1: the tenth must be taken for it, not the first.
        Assert.Same(requests[9], Take(tracker, requests[0].RequestId + "0"));
        Assert.Same(requests[0], Take(tracker, requests[0].RequestId));
    }

    [Fact]
    public void Take_AbsentRequestId_Null()
    {
        var tracker = new RequestTracker();
        RequestTracker.PendingRequest request = tracker.Begin(C2Channel.Signal, 101, subscribe: true);

        (byte[] message, ValueRange range) = Answer(rawRequestId: null);
        Assert.False(range.IsPresent);
        Assert.Null(tracker.Take(message, range));
        Assert.Null(tracker.Take(Encoding.ASCII.GetBytes(request.RequestId), default));

        // A request_id of JSON null is absent too.
        byte[] nullId = Encoding.UTF8.GetBytes("""{"msg_type":"error","id":"m","request_id":null,"timestamp":"2026-12-08T00:00:00Z","v":4,"payload":{}}""");
        Assert.Equal(OperationStatus.Done, EnvelopeParser.Parse(nullId, out Envelope envelope, out _));
        Assert.Null(tracker.Take(nullId, envelope.RequestId));
        Assert.Equal(1, tracker.Count);
    }

    [Fact]
    public void Take_SameAnswerTwice_SecondFindsNothing()
    {
        var tracker = new RequestTracker();
        RequestTracker.PendingRequest request = tracker.Begin(C2Channel.Signal, 101, subscribe: true);
        (byte[] message, ValueRange range) = Answer(request.RequestId);

        Assert.Same(request, tracker.Take(message, range));
        Assert.Null(tracker.Take(message, range));
        Assert.Equal(0, tracker.Count);
    }

    [Fact]
    public void Abandon_ThenTheAnswerArrives_Ignored()
    {
        var tracker = new RequestTracker();
        RequestTracker.PendingRequest abandoned = tracker.Begin(C2Channel.Signal, 101, subscribe: true);
        RequestTracker.PendingRequest kept = tracker.Begin(C2Channel.Signal, 202, subscribe: true);

        tracker.Abandon(abandoned);
        tracker.Abandon(abandoned); // twice: nothing more happens

        Assert.Equal(1, tracker.Count);
        Assert.Null(Take(tracker, abandoned.RequestId));
        Assert.False(abandoned.Completion.Task.IsCompleted); // abandoning completes nothing: the caller does
        Assert.Same(kept, Take(tracker, kept.RequestId));
    }

    [Fact]
    public void FailAll_FaultsEveryWaitingCompletionAndClears()
    {
        var tracker = new RequestTracker();
        RequestTracker.PendingRequest taken = tracker.Begin(C2Channel.Signal, 101, subscribe: true);
        RequestTracker.PendingRequest[] waiting = [tracker.Begin(C2Channel.Signal, 202, subscribe: true), tracker.Begin(C2Channel.Positions, 303, subscribe: false)];
        Assert.Same(taken, Take(tracker, taken.RequestId));
        var error = new C2FeedException(C2FeedError.ConnectionLost, "gone");

        tracker.FailAll(error);

        Assert.Equal(0, tracker.Count);
        foreach (RequestTracker.PendingRequest request in waiting)
        {
            Assert.True(request.Completion.Task.IsFaulted);
            Assert.Same(error, request.Completion.Task.Exception!.InnerException);
            Assert.Null(Take(tracker, request.RequestId));
        }

        Assert.False(taken.Completion.Task.IsCompleted); // already taken: its answer's handler completes it
        tracker.FailAll(error); // nothing left: nothing happens
        RequestTracker.PendingRequest later = tracker.Begin(C2Channel.Signal, 404, subscribe: true);
        Assert.Same(later, Take(tracker, later.RequestId)); // the tracker goes on working
    }

    [Fact]
    public void FailAll_RequestAlreadyCompleted_DoesNotThrow()
    {
        var tracker = new RequestTracker();
        RequestTracker.PendingRequest request = tracker.Begin(C2Channel.Signal, 101, subscribe: true);
        request.Completion.SetResult();

        tracker.FailAll(new C2FeedException(C2FeedError.ConnectionLost, "gone"));

        Assert.True(request.Completion.Task.IsCompletedSuccessfully);
        Assert.Equal(0, tracker.Count);
    }
}
