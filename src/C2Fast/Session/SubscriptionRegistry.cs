using System.Globalization;
using System.Text;
using C2Fast.Protocol;

namespace C2Fast.Session;

/// <summary>
/// Subscriptions of a client: the acknowledged ones and the requests waiting for their
/// <c>subscription.ack</c> or <c>error</c>, matched by <c>request_id</c>.
/// </summary>
internal sealed class SubscriptionRegistry
{
    private readonly object _gate = new();
    private readonly HashSet<(C2Channel Channel, long StrategyId)> _active = [];
    private readonly List<PendingRequest> _pending = [];
    private readonly string _prefix = $"c2f-{Convert.ToHexString(BitConverter.GetBytes(Random.Shared.Next()))[..6].ToLowerInvariant()}-";
    private long _nextId;

    /// <summary>Acknowledged subscriptions.</summary>
    public IReadOnlyCollection<(C2Channel Channel, long StrategyId)> Active
    {
        get
        {
            lock (_gate)
            {
                return [.. _active];
            }
        }
    }

    /// <summary>Registers a request, enforcing the per-connection subscription limit for subscribes.</summary>
    /// <exception cref="C2FeedException"><see cref="C2FeedError.SubscriptionLimitExceeded"/>.</exception>
    public PendingRequest Begin(C2Channel channel, long strategyId, bool subscribe, int limit)
    {
        lock (_gate)
        {
            if (subscribe && !_active.Contains((channel, strategyId)))
            {
                int planned = _active.Count + _pending.Count(p => p.Subscribe && !_active.Contains((p.Channel, p.StrategyId)));
                if (planned >= limit)
                {
                    ThrowHelper.Throw(C2FeedError.SubscriptionLimitExceeded, $"A connection carries at most {limit} channel subscriptions; {planned} are active or requested.");
                }
            }

            string requestId = _prefix + (++_nextId).ToString(CultureInfo.InvariantCulture);
            var request = new PendingRequest(requestId, channel, strategyId, subscribe);
            _pending.Add(request);
            return request;
        }
    }

    /// <summary>Matches a <c>subscription.ack</c>; returns the request it answers, or null.</summary>
    public PendingRequest? Acknowledge(ReadOnlySpan<byte> message, ValueRange requestId)
    {
        lock (_gate)
        {
            PendingRequest? request = Take(message, requestId);
            if (request is null)
            {
                return null;
            }

            if (request.Subscribe)
            {
                _active.Add((request.Channel, request.StrategyId));
            }
            else
            {
                _active.Remove((request.Channel, request.StrategyId));
            }

            request.Completion.TrySetResult();
            return request;
        }
    }

    /// <summary>Matches an <c>error</c>; faults the request it answers and returns it, or null.</summary>
    public PendingRequest? Reject(ReadOnlySpan<byte> message, ValueRange requestId, IReadOnlyList<C2ServerError> errors)
    {
        lock (_gate)
        {
            PendingRequest? request = Take(message, requestId);
            if (request is null)
            {
                return null;
            }

            C2ServerError first = errors.Count > 0 ? errors[0] : new C2ServerError(null, null, null);
            string text = string.Join("; ", errors.Select(e => $"{e.Code} {e.Field} {e.Message}".Trim()));
            request.Completion.TrySetException(new C2FeedException(C2FeedError.ServerError,
                $"The server rejected the {(request.Subscribe ? "subscription" : "unsubscription")} of {request.Channel} {request.StrategyId}: {text}")
            {
                ServerCode = first.Code,
                ServerMessage = first.Message,
                ServerField = first.Field,
                ServerErrors = errors,
            });
            return request;
        }
    }

    /// <summary>Gives up on a request (timeout or cancellation).</summary>
    public void Abandon(PendingRequest request)
    {
        lock (_gate)
        {
            _pending.Remove(request);
        }
    }

    /// <summary>Fails every waiting request (the connection ended).</summary>
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

    private PendingRequest? Take(ReadOnlySpan<byte> message, ValueRange requestId)
    {
        if (!requestId.IsPresent)
        {
            return null;
        }

        for (int i = 0; i < _pending.Count; i++)
        {
            if (EnvelopeParser.TextEquals(message, requestId, _pending[i].RequestIdUtf8))
            {
                PendingRequest request = _pending[i];
                _pending.RemoveAt(i);
                return request;
            }
        }

        return null;
    }

    /// <summary>One request in flight.</summary>
    internal sealed class PendingRequest(string requestId, C2Channel channel, long strategyId, bool subscribe)
    {
        public string RequestId { get; } = requestId;

        public byte[] RequestIdUtf8 { get; } = Encoding.ASCII.GetBytes(requestId);

        public C2Channel Channel { get; } = channel;

        public long StrategyId { get; } = strategyId;

        public bool Subscribe { get; } = subscribe;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
