using System.Globalization;
using System.Text;
using C2Fast.Protocol;

namespace C2Fast.Session;

/// <summary>
/// Request correlation: the subscribe and unsubscribe requests in flight, matched to their
/// <c>subscription.ack</c> or <c>error</c> by <c>request_id</c>. Several may be in flight at once.
/// </summary>
internal sealed class RequestTracker
{
    private readonly object _gate = new();
    private readonly List<PendingRequest> _pending = [];
    private readonly string _prefix = $"c2f-{Random.Shared.Next(0x1000000):x6}-";
    private long _nextId;

    /// <summary>Requests waiting for an answer now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Registers a request under a new, unique <c>request_id</c> (<c>c2f-&lt;6 hex&gt;-&lt;n&gt;</c>).</summary>
    public PendingRequest Begin(C2Channel channel, long strategyId, bool subscribe)
    {
        lock (_gate)
        {
            string requestId = _prefix + (++_nextId).ToString(CultureInfo.InvariantCulture);
            var request = new PendingRequest(requestId, channel, strategyId, subscribe);
            _pending.Add(request);
            return request;
        }
    }

    /// <summary>Takes the request that <paramref name="requestId"/> of <paramref name="message"/> answers; null when none waits for it.</summary>
    public PendingRequest? Take(ReadOnlySpan<byte> message, ValueRange requestId)
    {
        if (!requestId.IsPresent)
        {
            return null;
        }

        lock (_gate)
        {
            for (int i = 0; i < _pending.Count; i++)
            {
                if (EnvelopeParser.TextEquals(message, requestId, _pending[i].RequestIdUtf8))
                {
                    PendingRequest request = _pending[i];
                    _pending.RemoveAt(i);
                    return request;
                }
            }
        }

        return null;
    }

    /// <summary>Gives up on a request (timeout, cancellation, or the connection ended): a late answer is then ignored.</summary>
    public void Abandon(PendingRequest request)
    {
        lock (_gate)
        {
            _pending.Remove(request);
        }
    }

    /// <summary>Fails every waiting request (the feed ended).</summary>
    public void FailAll(Exception error)
    {
        lock (_gate)
        {
            foreach (PendingRequest request in _pending)
            {
                request.Completion.TrySetException(error);
            }

            _pending.Clear();
        }
    }

    /// <summary>One request in flight; its completion is set by the read loop's handler.</summary>
    internal sealed class PendingRequest(string requestId, C2Channel channel, long strategyId, bool subscribe)
    {
        public string RequestId { get; } = requestId;

        public byte[] RequestIdUtf8 { get; } = Encoding.ASCII.GetBytes(requestId);

        public C2Channel Channel { get; } = channel;

        public long StrategyId { get; } = strategyId;

        public bool Subscribe { get; } = subscribe;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Describe() => $"{(Subscribe ? "subscription" : "unsubscription")} of {Channel} {StrategyId}";
    }
}
