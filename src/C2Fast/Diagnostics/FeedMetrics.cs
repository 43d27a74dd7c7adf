using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace C2Fast.Diagnostics;

/// <summary>
/// The <c>C2Fast</c> meter. Instruments observe the counters of every live client on demand, so
/// the read loop pays nothing per message for metrics.
/// </summary>
internal static class FeedMetrics
{
    public const string MeterName = "C2Fast";

    private static readonly ConcurrentDictionary<IFeedMetricsSource, byte> Live = new();
    private static readonly Meter Meter = new(MeterName, "1.0");

    /// <summary>Heartbeat handling latency on the client: heartbeat frame parsed → ack queued for the socket.</summary>
    public static readonly Histogram<double> AckLatency = Meter.CreateHistogram<double>(
        "c2fast.heartbeat.ack_latency", "us", "Time from parsing a heartbeat to queueing its ack.");

    static FeedMetrics()
    {
        Meter.CreateObservableCounter("c2fast.messages.received", () => Sum(c => c.MessagesReceived), "{message}", "Messages received.");
        Meter.CreateObservableCounter("c2fast.bytes.received", () => Sum(c => c.BytesReceived), "By", "Message bytes received.");
        Meter.CreateObservableCounter("c2fast.messages.delivered", () => Sum(c => c.MessagesDelivered), "{message}", "Messages handed to consumers.");
        Meter.CreateObservableCounter("c2fast.heartbeats", () => Sum(c => c.HeartbeatsAcknowledged), "{heartbeat}", "Heartbeats acknowledged.");
        Meter.CreateObservableCounter("c2fast.messages.dropped", () => Sum(c => c.MessagesDropped), "{message}", "Messages dropped by the slow-consumer policy.");
        Meter.CreateObservableCounter("c2fast.messages.duplicate", () => Sum(c => c.DuplicatesDiscarded), "{message}", "Signals discarded as already delivered.");
        Meter.CreateObservableCounter("c2fast.protocol_errors", () => Sum(c => c.ProtocolErrors), "{message}", "Messages that could not be parsed.");
        Meter.CreateObservableGauge("c2fast.queue.depth", () => Live.Keys.Sum(q => q.QueuedMessages), "{message}", "Messages leased and not yet disposed.");
        Meter.CreateObservableGauge("c2fast.queue.bytes", () => Live.Keys.Sum(q => q.QueuedBytes), "By", "Bytes held by undisposed messages.");
    }

    public static void Register(IFeedMetricsSource source) => Live.TryAdd(source, 0);

    public static void Unregister(IFeedMetricsSource source) => Live.TryRemove(source, out _);

    private static long Sum(Func<FeedCounters, long> field) => Live.Keys.Sum(q => field(q.Counters));
}
