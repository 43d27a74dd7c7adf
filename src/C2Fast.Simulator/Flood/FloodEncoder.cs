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
/// Pre-encoded flood frames. Each template is a complete text frame built once; its id, seq_id and timestamp
/// have a fixed width so a message is a copy plus a few stamped digits. seq_id is right-aligned in a 19-character
/// field padded with spaces (JSON allows whitespace before a value), so the frame length never changes.
/// </summary>
internal sealed class FloodEncoder
{
    private const int SeqWidth = 19;
    private const long SeqMarker = 1_111_111_111_111_111_111;
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
            _signals[i] = Build(MessageTypes.Signal, idPrefix, withSeq: true, w => EnvelopeWriter.WriteSignal(w, signal));
        }

        _positions = new Template[4];
        for (var i = 0; i < _positions.Length; i++)
        {
            var snapshot = generator.Positions();
            _positions[i] = Build(MessageTypes.Positions, idPrefix, withSeq: false, w => EnvelopeWriter.WritePositions(w, strategyId, snapshot));
            generator.Next();
        }

        _heartbeat = Build(MessageTypes.Heartbeat, idPrefix, withSeq: false, payload: null);
        _schedule = BuildSchedule(options.HeartbeatShare, options.PositionsShare);
        MaxFrameLength = _signals.Concat(_positions).Append(_heartbeat).Max(t => t.Frame.Length);
        MinFrameLength = _signals.Concat(_positions).Append(_heartbeat).Min(t => t.Frame.Length);
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

            if (buffer.Length - written < template.Frame.Length)
            {
                break;
            }

            var frame = buffer.Slice(written, template.Frame.Length);
            template.Frame.CopyTo(frame);
            WriteHex(frame.Slice(template.IdOffset, MessageIds.CounterDigits), (ulong)(firstId + messages));
            _timestamp.CopyTo(frame[template.TimeOffset..]);
            switch (kind)
            {
                case FloodKind.Signal:
                    WriteSeq(frame.Slice(template.SeqOffset, SeqWidth), nextSeqId++);
                    counts.Signals++;
                    break;
                case FloodKind.Positions:
                    counts.Positions++;
                    break;
                default:
                    counts.Heartbeats++;
                    break;
            }

            written += template.Frame.Length;
            messages++;
        }

        counts.Messages = messages;
        counts.Bytes = written;
        return written;
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

    private static void WriteSeq(Span<byte> destination, long value)
    {
        var i = destination.Length - 1;
        do
        {
            destination[i--] = (byte)('0' + (value % 10));
            value /= 10;
        }
        while (value > 0 && i >= 0);

        destination[..(i + 1)].Fill((byte)' ');
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

        var frame = ServerFrame.Encode(ServerFrame.OpText, json.WrittenSpan);
        var span = frame.AsSpan();
        var idOffset = span.IndexOf(Encoding.ASCII.GetBytes(idPrefix)) + idPrefix.Length;
        var timeOffset = span.IndexOf(Encoding.ASCII.GetBytes(TimeMarker));
        var seqOffset = withSeq ? span.IndexOf(Encoding.ASCII.GetBytes(SeqMarker.ToString(System.Globalization.CultureInfo.InvariantCulture))) : -1;
        return new Template(frame, idOffset, timeOffset, seqOffset);
    }

    private sealed record Template(byte[] Frame, int IdOffset, int TimeOffset, int SeqOffset);
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
