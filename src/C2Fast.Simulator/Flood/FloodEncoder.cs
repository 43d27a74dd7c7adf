using System.Buffers;
using System.Text;
using System.Text.Json;
using C2Fast.Simulator.Feeds;
using C2Fast.Simulator.Framing;
using C2Fast.Simulator.Protocol;

namespace C2Fast.Simulator.Flood;

/// <summary>What a flood message is.</summary>
internal enum FloodKind : byte
{
    Signal,
    Positions,
    Heartbeat,
}

/// <summary>
/// Pre-encoded flood messages. Each template is the JSON of one message, built once; per message the frame header
/// is written, the JSON copied around the seq_id digits, and the id counter and timestamp stamped in place (both
/// fixed width). The frames are byte-for-byte what the live path sends.
/// </summary>
internal sealed class FloodEncoder
{
    private const long SeqMarker = 1_111_111_111_111_111_111;
    private const int SeqMarkerLength = 19;
    private const string TimeMarker = "2000-01-01T00:00:00Z";
    private const int ScheduleLength = 10_000;

    private readonly Template[] _signals;
    private readonly Template[] _positions;
    private readonly Template _heartbeat;
    private readonly FloodKind[] _schedule;
    private readonly byte[] _timestamp = new byte[Timestamps.Length];
    private long _timestampSecond = -1;

    public FloodEncoder(long strategyId, C2FloodOptions options, string idPrefix, int seed)
    {
        var generator = new SignalGenerator(strategyId, seed);
        _signals = new Template[16];
        for (var i = 0; i < _signals.Length; i++)
        {
            var signal = generator.Next();
            _signals[i] = options.SignalShape == C2FloodSignalShape.Minimal
                ? Build(MessageTypes.Signal, idPrefix, withSeq: true, w => w.WriteNumber("strategy_id"u8, strategyId))
                : Build(MessageTypes.Signal, idPrefix, withSeq: true, w => EnvelopeWriter.WriteSignal(w, signal));
        }

        _positions = new Template[4];
        var padding = new Random(HashCode.Combine(seed, strategyId, 7));
        for (var i = 0; i < _positions.Length; i++)
        {
            var snapshot = Sized(generator.Positions(), options.PositionsPerSnapshot, padding);
            _positions[i] = Build(MessageTypes.Positions, idPrefix, withSeq: false, w => EnvelopeWriter.WritePositions(w, strategyId, snapshot));
            generator.Next();
        }

        _heartbeat = Build(MessageTypes.Heartbeat, idPrefix, withSeq: false, payload: null);
        _schedule = BuildSchedule(options.HeartbeatShare, options.PositionsShare);
        // Upper bound: the marker is as wide as the widest seq_id; lower bound: a 1-digit seq_id.
        MaxFrameLength = _signals.Concat(_positions).Append(_heartbeat).Max(t => ServerFrame.HeaderLength(t.Json.Length) + t.Json.Length);
        MinFrameLength = _signals.Concat(_positions).Append(_heartbeat)
            .Min(t => t.Json.Length - (t.SeqOffset >= 0 ? SeqMarkerLength - 1 : 0) + 2);
    }

    public int MaxFrameLength { get; }

    public int MinFrameLength { get; }

    /// <summary>
    /// Writes up to <paramref name="maxMessages"/> messages into <paramref name="buffer"/>, stopping when the next does not fit.
    /// <paramref name="index"/> is the flood's running message number (drives the mix); ids come from <paramref name="firstId"/>.
    /// </summary>
    public int Fill(Span<byte> buffer, long index, int maxMessages, long firstId, ref long nextSeqId, DateTimeOffset now, out FloodCounts counts)
    {
        StampTime(now);
        counts = default;
        Span<byte> digits = stackalloc byte[20];
        var written = 0;
        var messages = 0;
        while (messages < maxMessages)
        {
            var kind = _schedule[(index + messages) % ScheduleLength];
            var template = kind switch
            {
                FloodKind.Signal => _signals[(index + messages) & 15],
                FloodKind.Positions => _positions[(index + messages) & 3],
                _ => _heartbeat,
            };

            var json = template.Json;
            var digitCount = 0;
            var payloadLength = json.Length;
            if (kind == FloodKind.Signal)
            {
                digitCount = FormatDigits(nextSeqId, digits);
                payloadLength += digitCount - SeqMarkerLength;
            }

            var frameLength = ServerFrame.HeaderLength(payloadLength) + payloadLength;
            if (buffer.Length - written < frameLength)
            {
                break;
            }

            var frame = buffer.Slice(written, frameLength);
            var body = frame[ServerFrame.WriteHeader(frame, ServerFrame.OpText, payloadLength)..];
            if (kind == FloodKind.Signal)
            {
                // Copy around the marker, with the real digits in between: the frame shrinks to the real seq_id width.
                json.AsSpan(0, template.SeqOffset).CopyTo(body);
                digits[..digitCount].CopyTo(body[template.SeqOffset..]);
                json.AsSpan(template.SeqOffset + SeqMarkerLength).CopyTo(body[(template.SeqOffset + digitCount)..]);
                nextSeqId++;
                counts.Signals++;
            }
            else
            {
                json.CopyTo(body);
                if (kind == FloodKind.Positions)
                {
                    counts.Positions++;
                }
                else
                {
                    counts.Heartbeats++;
                }
            }

            var shift = digitCount - (kind == FloodKind.Signal ? SeqMarkerLength : 0);
            WriteHex(body.Slice(Shifted(template.IdOffset, template.SeqOffset, shift), MessageIds.CounterDigits), (ulong)(firstId + messages));
            _timestamp.CopyTo(body[Shifted(template.TimeOffset, template.SeqOffset, shift)..]);
            written += frameLength;
            messages++;
        }

        counts.Messages = messages;
        counts.Bytes = written;
        return written;
    }

    // A snapshot cut or padded to exactly `count` positions; padding symbols are generated, values deterministic.
    private static IReadOnlyList<PositionData> Sized(IReadOnlyList<PositionData> held, int? count, Random random)
    {
        if (count is not { } wanted)
        {
            return held;
        }

        var list = new List<PositionData>(wanted);
        list.AddRange(held.Take(wanted));
        for (var i = list.Count; i < wanted; i++)
        {
            var price = Math.Round(10m + (decimal)random.NextDouble() * 990m, 2);
            list.Add(new PositionData(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"SYM{i + 1:D4}"), random.Next(1, 100) * 10, price));
        }

        return list;
    }

    // A field after the seq_id moves by the difference between the real digits and the marker.
    private static int Shifted(int offset, int seqOffset, int shift) => seqOffset >= 0 && offset > seqOffset ? offset + shift : offset;

    private static int FormatDigits(long value, Span<byte> destination)
    {
        var count = 0;
        do
        {
            destination[count++] = (byte)('0' + (value % 10));
            value /= 10;
        }
        while (value > 0);

        destination[..count].Reverse();
        return count;
    }

    private void StampTime(DateTimeOffset now)
    {
        var second = now.ToUnixTimeSeconds();
        if (second != _timestampSecond)
        {
            _timestampSecond = second;
            Encoding.ASCII.GetBytes(Timestamps.Format(now), _timestamp);
        }
    }

    private static void WriteHex(Span<byte> destination, ulong value)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)"0123456789abcdef"[(int)(value & 0xF)];
            value >>= 4;
        }
    }

    // Spreads each kind evenly over the schedule with integer arithmetic (exact counts per schedule): heartbeats
    // first, then positions among the remaining slots.
    private static FloodKind[] BuildSchedule(double heartbeatShare, double positionsShare)
    {
        var schedule = new FloodKind[ScheduleLength];
        var heartbeats = (long)Math.Round(heartbeatShare * ScheduleLength);
        var positions = (long)Math.Round(positionsShare * ScheduleLength);
        var rest = ScheduleLength - heartbeats;
        long j = 0;
        for (long i = 0; i < ScheduleLength; i++)
        {
            if ((i + 1) * heartbeats / ScheduleLength > i * heartbeats / ScheduleLength)
            {
                schedule[i] = FloodKind.Heartbeat;
                continue;
            }

            schedule[i] = (j + 1) * positions / rest > j * positions / rest ? FloodKind.Positions : FloodKind.Signal;
            j++;
        }

        return schedule;
    }

    private static Template Build(string msgType, string idPrefix, bool withSeq, Action<Utf8JsonWriter>? payload)
    {
        var json = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            w.WriteString("msg_type"u8, msgType);
            w.WriteString("id"u8, idPrefix + new string('0', MessageIds.CounterDigits));
            if (withSeq)
            {
                w.WriteNumber("seq_id"u8, SeqMarker);
            }

            w.WriteString("timestamp"u8, TimeMarker);
            w.WriteNumber("v"u8, 4);
            if (payload is not null)
            {
                w.WriteStartObject("payload"u8);
                payload(w);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        var bytes = json.WrittenSpan.ToArray();
        var idOffset = bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(idPrefix)) + idPrefix.Length;
        var timeOffset = bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(TimeMarker));
        var seqOffset = withSeq ? bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(SeqMarker.ToString(System.Globalization.CultureInfo.InvariantCulture))) : -1;
        return new Template(bytes, idOffset, timeOffset, seqOffset);
    }

    private sealed record Template(byte[] Json, int IdOffset, int TimeOffset, int SeqOffset);
}

/// <summary>What one <see cref="FloodEncoder.Fill"/> wrote.</summary>
internal struct FloodCounts
{
    public long Messages;
    public long Signals;
    public long Positions;
    public long Heartbeats;
    public long Bytes;
}
