namespace C2Fast.Cli.Soak;

/// <summary>What the order checker found for one strategy.</summary>
/// <param name="StrategyId">The strategy.</param>
/// <param name="Published">Signals the server published (its last seq_id − first + 1).</param>
/// <param name="Delivered">Signals the consumer got (each counted once; duplicates are not).</param>
/// <param name="Duplicates">Signals delivered again (a seq_id already delivered).</param>
/// <param name="Reordered">Signals delivered after a later one (a seq_id filling a hole).</param>
/// <param name="Missing">Signals never delivered and not declared by a gap: lost.</param>
/// <param name="Gaps">Gap messages delivered.</param>
/// <param name="LostToGaps">Signals skipped right after a gap: declared by the server (its replay limit), not lost by the client.</param>
/// <param name="GapMismatches">Gaps whose <c>from</c> was not the first signal skipped, or that had no <c>from</c>.</param>
/// <param name="BeyondPublished">Signals with a seq_id the server never published.</param>
/// <param name="LastSeqId">The highest seq_id delivered.</param>
/// <param name="FirstProblem">The first problem seen, in words; null when none.</param>
/// <param name="GapSkips">
/// What each gap excused: the seq_ids skipped after it (to the next signal, or to the last published when no signal
/// followed) and the gap's <c>from</c>. The soak holds each to what the server says it declared; see
/// <see cref="SoakJudge.UndeclaredSkips"/>.
/// </param>
internal sealed record SoakStrategyResult(
    long StrategyId, long Published, long Delivered, long Duplicates, long Reordered, long Missing, long Gaps, long LostToGaps,
    long GapMismatches, long BeyondPublished, long LastSeqId, string? FirstProblem, IReadOnlyList<SoakGapSkip> GapSkips)
{
    /// <summary>Every signal exactly once and in order, except what a gap declared.</summary>
    public bool Ok => Duplicates == 0 && Reordered == 0 && Missing == 0 && GapMismatches == 0 && BeyondPublished == 0;
}

/// <summary>Signals <paramref name="From"/> to <paramref name="To"/> skipped after a gap whose <c>from</c> was <paramref name="GapFrom"/>.</summary>
internal sealed record SoakGapSkip(long From, long To, long GapFrom);

/// <summary>
/// Checks that each strategy's signals arrive exactly once and in order: every seq_id is the previous one + 1, from
/// the first one, except right after a <c>gap</c>, where the skipped signals are counted as the gap's (and the gap's
/// <c>from</c> must be the first of them). A jump without a gap leaves a hole: a signal filling it later is
/// reordered, a hole still open at the end is missing. A seq_id delivered twice is a duplicate.
/// </summary>
/// <remarks>Not thread-safe: one checker per consumer (each strategy is read by one consumer, in order).</remarks>
internal sealed class SoakSequenceChecker(long firstSeqId = 1)
{
    private readonly Dictionary<long, StrategyState> _strategies = [];

    /// <summary>The highest seq_id delivered per strategy so far.</summary>
    public IReadOnlyDictionary<long, long> LastSeqIds => _strategies.ToDictionary(p => p.Key, p => p.Value.Last);

    /// <summary>Signals delivered so far, all strategies.</summary>
    public long Delivered => _strategies.Values.Sum(s => s.Delivered);

    /// <summary>Whether a gap was delivered for <paramref name="strategyId"/> and no signal has followed it yet.</summary>
    public bool HasPendingGap(long strategyId) => _strategies.TryGetValue(strategyId, out StrategyState? state) && state.PendingGap;

    /// <summary>Records one delivered signal.</summary>
    public void OnSignal(long strategyId, long seqId)
    {
        StrategyState state = State(strategyId);
        long expected = state.Last + 1;
        if (seqId == expected && !state.PendingGap)
        {
            state.Last = seqId;
            state.Delivered++;
            return;
        }

        if (seqId >= expected)
        {
            if (state.PendingGap)
            {
                // The gap declared what it skipped: seq_ids from its 'from' to just before this signal.
                state.LostToGaps += seqId - expected;
                if (seqId > expected)
                {
                    state.Skipped(expected, seqId - 1);
                }

                state.PendingGap = false;
                state.GapFrom = null;
            }
            else
            {
                state.Holes.Add((expected, seqId - 1));
                state.Problem($"jump from {state.Last} to {seqId} without a gap");
            }

            state.Last = seqId;
            state.Delivered++;
            return;
        }

        // seqId <= Last: fills a hole (late) or was delivered already (duplicate).
        int hole = state.Holes.FindIndex(h => h.From <= seqId && seqId <= h.To);
        if (hole >= 0)
        {
            (long from, long to) = state.Holes[hole];
            state.Holes.RemoveAt(hole);
            if (from < seqId)
            {
                state.Holes.Add((from, seqId - 1));
            }

            if (seqId < to)
            {
                state.Holes.Add((seqId + 1, to));
            }

            state.Reordered++;
            state.Delivered++;
            state.Problem($"{seqId} arrived after {state.Last}");
        }
        else
        {
            state.Duplicates++;
            state.Problem($"{seqId} delivered again (last was {state.Last})");
        }
    }

    /// <summary>Records a delivered gap for <paramref name="strategyId"/>; <paramref name="from"/> is its first signal not replayed.</summary>
    public void OnGap(long strategyId, long? from)
    {
        StrategyState state = State(strategyId);
        state.Gaps++;
        if (!state.PendingGap)
        {
            state.PendingGap = true;
            state.GapFrom = from;
        }
    }

    /// <summary>The result for <paramref name="strategyId"/>, whose last published seq_id is <paramref name="lastPublished"/>.</summary>
    public SoakStrategyResult Finish(long strategyId, long lastPublished)
    {
        StrategyState state = State(strategyId);
        long lostToGaps = state.LostToGaps;
        long mismatches = state.GapMismatches;
        long tail = Math.Max(0, lastPublished - state.Last);
        long missingTail = 0;
        if (state.PendingGap)
        {
            // A gap with no signal after it claims everything up to the end (held to what the server declared).
            lostToGaps += tail;
            if (tail > 0)
            {
                state.Skipped(state.Last + 1, lastPublished);
            }

            mismatches = state.GapMismatches;
        }
        else if (tail > 0)
        {
            missingTail = tail;
            state.Problem($"{tail} signal(s) after {state.Last} never arrived (last published {lastPublished})");
        }

        long beyond = Math.Max(0, state.Last - lastPublished);
        if (beyond > 0)
        {
            state.Problem($"delivered up to {state.Last} but the server published up to {lastPublished}");
        }

        long missing = state.Holes.Sum(h => h.To - h.From + 1) + missingTail;
        return new SoakStrategyResult(
            strategyId, Math.Max(0, lastPublished - firstSeqId + 1), state.Delivered, state.Duplicates, state.Reordered, missing,
            state.Gaps, lostToGaps, mismatches, beyond, state.Last, state.FirstProblem, [.. state.Skips]);
    }

    private StrategyState State(long strategyId)
    {
        if (!_strategies.TryGetValue(strategyId, out StrategyState? state))
        {
            state = new StrategyState { Last = firstSeqId - 1 };
            _strategies[strategyId] = state;
        }

        return state;
    }

    private sealed class StrategyState
    {
        public long Last;
        public long Delivered;
        public long Duplicates;
        public long Reordered;
        public long Gaps;
        public long LostToGaps;
        public long GapMismatches;
        public bool PendingGap;
        public long? GapFrom;
        public List<(long From, long To)> Holes { get; } = [];
        public List<SoakGapSkip> Skips { get; } = [];
        public string? FirstProblem { get; private set; }

        public void Problem(string text) => FirstProblem ??= text;

        /// <summary>The pending gap excuses <paramref name="from"/>..<paramref name="to"/>: its 'from' must be the first of them.</summary>
        public void Skipped(long from, long to)
        {
            if (GapFrom is not long gapFrom)
            {
                GapMismatches++;
                Problem($"a gap without a 'from' was followed by a jump over {from}..{to}");
                return;
            }

            if (gapFrom != from)
            {
                GapMismatches++;
                Problem($"gap said from {gapFrom} but the first signal skipped was {from}");
            }

            Skips.Add(new SoakGapSkip(from, to, gapFrom));
        }
    }
}
