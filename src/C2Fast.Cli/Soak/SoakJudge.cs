using System.Globalization;
using C2Fast.Simulator;

namespace C2Fast.Cli.Soak;

/// <summary>
/// The verdict of a soak. It fails on: a signal lost, duplicated or reordered (a server-declared gap is not a
/// failure, but must name the first signal it skipped and excuses only what the server says it skipped); a heartbeat
/// never acked (one sent within the allowance before its connection ended was in flight, not ignored), or acked only
/// by a keep-alive and never answered; a connection the server closed for a missing ack; working set, live heap,
/// threads or handles not flat, or not judged for want of samples (see <see cref="SoakFlatness"/>; not judged in a
/// quick run); the client not delivering everything within the drain timeout; the client process failing, exiting
/// non-zero, reporting a protocol error or dropping a message; the simulator counting an internal error.
/// </summary>
internal static class SoakJudge
{
    /// <summary>What the verdict is made from.</summary>
    internal sealed record Inputs
    {
        public IReadOnlyList<SoakStrategyResult> Signals { get; init; } = [];

        public SoakHeartbeatSummary Heartbeats { get; init; } = new();

        public IReadOnlyList<SoakFlatResult> Flatness { get; init; } = [];

        /// <summary>The client's RESULT; null when the soak did not get that far.</summary>
        public SoakClientResult? Client { get; init; }

        public int ClientExitCode { get; init; }

        public bool CaughtUp { get; init; }

        public TimeSpan DrainTimeout { get; init; }

        public long InternalErrors { get; init; }

        public string? LastInternalError { get; init; }

        public long ConnectionsAccepted { get; init; }

        public long ConnectionsEnded { get; init; }

        public IReadOnlyList<SoakFaultRecord> Faults { get; init; } = [];

        /// <summary>Whether flatness was to be judged (not in a quick run): a metric that could not be is then a failure.</summary>
        public bool JudgeFlatness { get; init; }

        /// <summary>The gaps the server sent, per strategy: what the client's gap skips are held to.</summary>
        public IReadOnlyDictionary<long, IReadOnlyList<C2SimulatorGap>> GapsSent { get; init; } = new Dictionary<long, IReadOnlyList<C2SimulatorGap>>();
    }

    /// <summary>
    /// The client's gap skips that no gap the server sent declared: a skip is declared by a gap with the same
    /// <c>from</c> whose range (from its <c>from</c> to the last signal published when it was sent) holds it whole.
    /// Signals skipped beyond that were live: lost by the client, not excused by the gap.
    /// </summary>
    public static List<SoakGapSkip> UndeclaredSkips(SoakStrategyResult strategy, IReadOnlyList<C2SimulatorGap> gapsSent)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentNullException.ThrowIfNull(gapsSent);
        return [.. strategy.GapSkips.Where(skip => !gapsSent.Any(g => g.From == skip.GapFrom && g.From <= skip.From && skip.To <= g.Through))];
    }

    /// <summary>The failures (empty: pass) and the warnings (reported, not failing).</summary>
    public static (List<string> Failures, List<string> Warnings) Judge(Inputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var failures = new List<string>();
        var warnings = new List<string>();
        SoakClientResult? client = inputs.Client;
        if (client is null)
        {
            failures.Add("no result from the client process");
        }
        else
        {
            if (client.Status != "ok")
            {
                failures.Add("client process: " + client.Status);
            }

            if (inputs.ClientExitCode != 0)
            {
                failures.Add($"the client process exited with code {inputs.ClientExitCode}");
            }

            if (client.Final.Completion.StartsWith("faulted", StringComparison.Ordinal))
            {
                failures.Add("the client gave up: " + client.Final.Completion);
            }

            if (client.ProtocolErrorEvents > 0)
            {
                failures.Add($"the client reported {client.ProtocolErrorEvents} protocol error(s) (the simulator sends none)");
            }

            if (client.Final.MessagesDropped > 0)
            {
                failures.Add($"the client dropped {client.Final.MessagesDropped} message(s) (the Wait policy never drops)");
            }

            foreach (SoakStrategyResult strategy in inputs.Signals)
            {
                if (!strategy.Ok)
                {
                    failures.Add(string.Create(CultureInfo.InvariantCulture,
                        $"strategy {strategy.StrategyId}: {strategy.Missing} missing, {strategy.Duplicates} duplicated, {strategy.Reordered} reordered, {strategy.GapMismatches} gap mismatch(es), {strategy.BeyondPublished} never published; first: {strategy.FirstProblem}"));
                }

                List<SoakGapSkip> undeclared = UndeclaredSkips(strategy, inputs.GapsSent.TryGetValue(strategy.StrategyId, out IReadOnlyList<C2SimulatorGap>? sent) ? sent : []);
                if (undeclared.Count > 0)
                {
                    failures.Add(string.Create(CultureInfo.InvariantCulture,
                        $"strategy {strategy.StrategyId}: {undeclared.Sum(u => u.To - u.From + 1)} signal(s) skipped after a gap that the server never declared skipped: {string.Join(", ", undeclared.Select(u => $"{u.From}..{u.To} (gap from {u.GapFrom})"))}"));
                }

                if (strategy.Gaps > 0)
                {
                    warnings.Add($"strategy {strategy.StrategyId}: {strategy.Gaps} gap(s) from the server, {strategy.LostToGaps} signal(s) declared lost by it (replay limit)");
                }
            }

            if (inputs.Signals.Count == 0)
            {
                failures.Add("no signal results from the client");
            }
        }

        if (!inputs.CaughtUp)
        {
            failures.Add($"the client had not delivered everything published {inputs.DrainTimeout.TotalSeconds:0} s after the end");
        }

        SoakHeartbeatSummary heartbeats = inputs.Heartbeats;
        if (heartbeats.Unacked > 0)
        {
            failures.Add($"{heartbeats.Unacked} heartbeat(s) never acked: {string.Join("; ", heartbeats.UnackedConnections)}");
        }

        if (heartbeats.ClientShortfall > 0)
        {
            failures.Add($"the client read {heartbeats.ClientReceived} heartbeat(s) but answered {heartbeats.ClientAcknowledged}, {heartbeats.ClientShortfall} more than its connection ends explain (keep-alive acks are no answer)");
        }

        if (heartbeats.AckTimeouts > 0)
        {
            failures.Add($"the server closed {heartbeats.AckTimeouts} connection(s) for a missing heartbeat ack");
        }

        if (heartbeats.Sent == 0)
        {
            warnings.Add("no heartbeat was sent: the run was shorter than the heartbeat interval");
        }

        foreach (SoakFlatResult flat in inputs.Flatness.Where(f => inputs.JudgeFlatness && !f.Judged))
        {
            failures.Add($"{flat.Metric} could not be judged flat: {flat.Note}");
        }

        foreach (SoakFlatResult flat in inputs.Flatness.Where(f => f.Judged && !f.Flat))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{flat.Metric} not flat: last quarter up to {flat.Final:0} against {flat.Reference:0} after warm-up (limit {flat.Limit:0}; {flat.Rule})"));
        }

        if (inputs.InternalErrors > 0)
        {
            failures.Add($"the simulator counted {inputs.InternalErrors} internal error(s): {inputs.LastInternalError}");
        }

        if (inputs.ConnectionsEnded != inputs.ConnectionsAccepted)
        {
            warnings.Add($"{inputs.ConnectionsAccepted} connections accepted but {inputs.ConnectionsEnded} accounted for at their end");
        }

        int skipped = inputs.Faults.Count(f => f.Status != "injected");
        if (skipped > 0)
        {
            warnings.Add($"{skipped} fault(s) skipped: no live subscribed connection in time");
        }

        foreach (SoakFaultRecord fault in inputs.Faults.Where(f => f.Kind == SoakFaultKinds.Name(SoakFaultKind.Stall) && f.Outcome?.Contains("ended", StringComparison.Ordinal) == true))
        {
            warnings.Add($"fault {fault.Index}: {fault.Outcome}");
        }

        return (failures, warnings);
    }

    /// <summary>
    /// Heartbeats from the server's side: sent, acked, and per ended connection the ones never acked, split by the
    /// age of the oldest of them when the connection ended: within <paramref name="allowance"/> they were in flight
    /// (the cut came before the ack could), beyond it the client ignored them.
    /// </summary>
    public static SoakHeartbeatSummary Heartbeats(IReadOnlyList<SoakRunner.EndedConnection> ended, C2SimulatorCounters counters, TimeSpan allowance, SoakClientStat? client)
    {
        ArgumentNullException.ThrowIfNull(ended);
        ArgumentNullException.ThrowIfNull(counters);
        long inFlight = 0, unacked = 0;
        var unackedConnections = new List<string>();
        foreach (SoakRunner.EndedConnection connection in ended)
        {
            long open = connection.HeartbeatsSent - connection.HeartbeatsAcked;
            if (open <= 0)
            {
                continue;
            }

            if (connection.UnackedAge is { } age && age <= allowance)
            {
                inFlight += open;
            }
            else
            {
                unacked += open;
                unackedConnections.Add(string.Create(CultureInfo.InvariantCulture,
                    $"connection {connection.Id}: {open} (oldest waited {connection.UnackedAge?.TotalMilliseconds ?? 0:0} ms, close code {connection.CloseCode})"));
            }
        }

        // The client's own side: every heartbeat it read is answered in that read, unless the connection ended there
        // (at most one unsent ack per connection end). Keep-alive acks while paused are no answer.
        long received = client?.HeartbeatsReceived ?? 0;
        long answered = client?.HeartbeatsAcknowledged ?? 0;
        return new SoakHeartbeatSummary
        {
            ClientReceived = received,
            ClientShortfall = Math.Max(0, received - answered - ended.Count),
            Sent = counters.HeartbeatsSent,
            Acked = counters.HeartbeatsAcked,
            InFlightAtCut = inFlight,
            Unacked = unacked,
            AckTimeouts = counters.HeartbeatAckTimeouts,
            MaxAckDelayMilliseconds = Math.Round(counters.MaxHeartbeatAckDelay.TotalMilliseconds, 3),
            AllowanceMilliseconds = allowance.TotalMilliseconds,
            AcksReceived = counters.AcksReceived,
            ClientAcknowledged = client?.HeartbeatsAcknowledged ?? 0,
            ClientPausedAcks = client?.PausedAcks ?? 0,
            UnackedConnections = unackedConnections,
        };
    }
}
