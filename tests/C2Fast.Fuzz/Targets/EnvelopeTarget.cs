using System.Buffers;
using System.Text;
using System.Text.Json;
using C2Fast.Protocol;

namespace C2Fast.Fuzz.Targets;

/// <summary>
/// <see cref="EnvelopeParser"/>: the fast path against the <see cref="Utf8JsonReader"/> path. Input: one whole
/// message (up to 8 KiB), parsed at the default depth limit and at a small one (2-5, from the input's length).
/// </summary>
/// <remarks>
/// Invariants: nothing throws and the answer is Done or InvalidData (never NeedMoreData), with the error set exactly
/// on InvalidData and a default envelope then; the entry point and the reader path agree exactly (status, error,
/// envelope) for the span and for multi-segment shapes (one byte per segment, three input-chosen cuts); whenever the
/// fast path accepts, the reader accepts with the same envelope (the fast path accepting what the reader rejects is
/// a bug), also for copies flush against guard pages and followed by bytes that would extend a string, number,
/// escape or the root; every range lies inside the message, string ranges sit between quotes and unescape (span and
/// sequence) to text that TextEquals matches. For valid UTF-8, against <see cref="JsonDocument"/>: Done only for
/// valid JSON within the depth limit whose fields (after unescaping, duplicates, types, payload text, strategy_id)
/// are exactly the envelope's; valid JSON within the limit is never InvalidJson or DepthExceeded, and is NotAnObject
/// exactly when the root is not an object.
/// </remarks>
internal sealed class EnvelopeTarget : IFuzzTarget
{
    private const int MaxMessage = 8 * 1024;

    private static readonly byte[] Trailers = "\"0}\\ e]u,"u8.ToArray();

    private static readonly Dictionary<string, MessageType> KnownTypes = new(StringComparer.Ordinal)
    {
        ["connection.connected"] = MessageType.ConnectionConnected,
        ["connection.disconnected"] = MessageType.ConnectionDisconnected,
        ["heartbeat"] = MessageType.Heartbeat,
        ["subscription.ack"] = MessageType.SubscriptionAck,
        ["strategy.signal"] = MessageType.StrategySignal,
        ["strategy.positions"] = MessageType.StrategyPositions,
        ["gap"] = MessageType.Gap,
        ["error"] = MessageType.Error,
    };

    public string Name => "envelope";

    public string Description => "EnvelopeParser fast path vs Utf8JsonReader path vs JsonDocument, span vs segments, guard pages";

    public void Run(ReadOnlySpan<byte> input)
    {
        ReadOnlySpan<byte> message = input[..Math.Min(input.Length, MaxMessage)];
        Check(message, EnvelopeParser.DefaultMaxDepth);
        Check(message, 2 + (message.Length % 4));
    }

    private static void Check(ReadOnlySpan<byte> message, int maxDepth)
    {
        string at = $"maxDepth {maxDepth}, message {Invariant.Hex(message)}";
        Outcome entry = Parse(message, maxDepth);
        Outcome reader = Outcome.From(EnvelopeParser.ParseWithReader(message, out Envelope e, out EnvelopeError err, maxDepth), e, err);
        Invariant.Equal(reader, entry, $"entry point vs reader path ({at})");

        bool fast = EnvelopeParser.TryParseFast(message, out Envelope fastEnvelope, maxDepth);
        if (fast)
        {
            Invariant.True(reader.Status == OperationStatus.Done, $"the fast path accepted what the reader rejects ({reader.Error}; {at})");
            Invariant.Equal(reader.Envelope, fastEnvelope, $"fast path envelope ({at})");
        }

        // Never a byte outside the message: flush against guard pages, and followed by bytes that would continue it.
        foreach (bool atEnd in new[] { true, false })
        {
            (bool guarded, Envelope guardedEnvelope) = GuardedPages.With(message, atEnd, m => (EnvelopeParser.TryParseFast(m, out Envelope g, maxDepth), g));
            Invariant.Equal(fast, guarded, $"fast path verdict flush against the {(atEnd ? "end" : "start")} guard ({at})");
            Invariant.Equal(fastEnvelope, guardedEnvelope, $"fast path envelope flush against the {(atEnd ? "end" : "start")} guard ({at})");
        }

        Invariant.Equal(entry, GuardedPages.With(message, atEnd: true, m => Parse(m, maxDepth)), $"entry point flush against the end guard ({at})");
        byte[] padded = new byte[message.Length + 80];
        message.CopyTo(padded);
        foreach (byte trailer in Trailers)
        {
            padded.AsSpan(message.Length).Fill(trailer);
            ReadOnlySpan<byte> view = padded.AsSpan(0, message.Length);
            Invariant.Equal(fast, EnvelopeParser.TryParseFast(view, out Envelope trailed, maxDepth), $"trailer '{(char)trailer}' changed the fast path's verdict ({at})");
            Invariant.Equal(fastEnvelope, trailed, $"trailer '{(char)trailer}' changed the fast path's envelope ({at})");
            Invariant.Equal(entry, Parse(view, maxDepth), $"trailer '{(char)trailer}' changed the entry point ({at})");
        }

        // The same message as several segments, through the entry point and the reader path.
        ReadOnlySequence<byte> bytewise = Shapes.OneBytePerSegment(message);
        ReadOnlySequence<byte> cut = Shapes.SplitAt(message, Shapes.DerivedOffsets(message, 3));
        foreach ((string name, ReadOnlySequence<byte> sequence) in new[] { ("one byte per segment", bytewise), ("three cuts", cut) })
        {
            Invariant.Equal(entry, Parse(sequence, maxDepth), $"entry point, {name} ({at})");
            Invariant.Equal(entry, Outcome.From(EnvelopeParser.ParseWithReader(sequence, out Envelope se, out EnvelopeError sErr, maxDepth), se, sErr), $"reader path, {name} ({at})");
        }

        if (entry.Status == OperationStatus.Done)
        {
            CheckRanges(message, cut, entry.Envelope, at);
        }

        if (System.Text.Unicode.Utf8.IsValid(message))
        {
            CheckAgainstDocument(message, maxDepth, entry, at);
        }
    }

    private static Outcome Parse(ReadOnlySpan<byte> message, int maxDepth)
        => Outcome.From(EnvelopeParser.Parse(message, out Envelope envelope, out EnvelopeError error, maxDepth), envelope, error);

    private static Outcome Parse(ReadOnlySequence<byte> message, int maxDepth)
        => Outcome.From(EnvelopeParser.Parse(message, out Envelope envelope, out EnvelopeError error, maxDepth), envelope, error);

    private static void CheckRanges(ReadOnlySpan<byte> message, ReadOnlySequence<byte> segments, Envelope envelope, string at)
    {
        Invariant.True(envelope.MsgType.IsPresent, $"Done without msg_type ({at})");
        Invariant.True(!envelope.HasSeqId || envelope.SeqId >= 0, $"negative seq_id ({at})");
        Invariant.True(!envelope.HasStrategyId || envelope.StrategyId > 0, $"strategy_id not positive ({at})");
        Invariant.True(envelope.HasSeqId || envelope.SeqId == 0, $"seq_id without HasSeqId ({at})");
        Invariant.True(envelope.HasVersion || envelope.Version == 0, $"v without HasVersion ({at})");
        Invariant.True(envelope.HasStrategyId || envelope.StrategyId == 0, $"strategy_id without HasStrategyId ({at})");
        foreach ((string name, ValueRange range) in new[] { ("msg_type", envelope.MsgType), ("id", envelope.Id), ("request_id", envelope.RequestId), ("timestamp", envelope.Timestamp) })
        {
            if (!range.IsPresent)
            {
                continue;
            }

            Invariant.True(range.Start >= 1 && range.End < message.Length && message[range.Start - 1] == '"' && message[range.End] == '"', $"{name} range {range} is not a quoted string of the message ({at})");
            byte[] text = new byte[range.Length];
            OperationStatus unescaped = EnvelopeParser.Unescape(message, range, text, out int written);
            if (unescaped == OperationStatus.InvalidData && IsUndecodable(message, range))
            {
                // Kept raw by design (the events show the raw JSON); it must be so over segments too.
                Invariant.Equal(OperationStatus.InvalidData, EnvelopeParser.Unescape(segments, range, new byte[range.Length], out _), $"Unescape({name}) over segments of a string that is no text ({at})");
                Invariant.True(name != "msg_type" || envelope.Type == MessageType.Unknown, $"a msg_type that is no text matched a known type ({at})");
                continue;
            }

            Invariant.Equal(OperationStatus.Done, unescaped, $"Unescape({name}) ({at})");
            Invariant.True(written <= range.Length && (range.IsEscaped || written == range.Length), $"Unescape({name}) wrote {written} for {range} ({at})");
            Invariant.True(EnvelopeParser.TextEquals(message, range, text.AsSpan(0, written)), $"TextEquals({name}) with its own unescaped text ({at})");

            byte[] again = new byte[range.Length];
            Invariant.Equal(OperationStatus.Done, EnvelopeParser.Unescape(segments, range, again, out int writtenAgain), $"Unescape({name}) over segments ({at})");
            Invariant.SequenceEqual(text.AsSpan(0, written), again.AsSpan(0, writtenAgain), $"Unescape({name}) span vs segments ({at})");
            Invariant.True(EnvelopeParser.TextEquals(segments, range, text.AsSpan(0, written)), $"TextEquals({name}) over segments ({at})");
        }

        if (envelope.Payload.IsPresent)
        {
            Invariant.True(envelope.Payload.Start >= 0 && envelope.Payload.End <= message.Length && envelope.Payload.Length > 0, $"payload range {envelope.Payload} outside the message ({at})");
        }
    }

    private static void CheckAgainstDocument(ReadOnlySpan<byte> message, int maxDepth, Outcome actual, string at)
    {
        byte[] bytes = message.ToArray();
        JsonDocument? document = TryParseDocument(bytes, maxDepth);
        if (document is null)
        {
            Invariant.True(actual.Status != OperationStatus.Done, $"Done for JSON that JsonDocument rejects within depth {maxDepth} ({at})");
            if (TryParseDocument(bytes, EnvelopeParser.MaxSupportedDepth) is { } deep)
            {
                deep.Dispose();
                Invariant.True(actual.Error != EnvelopeError.InvalidJson || message.StartsWith("\uFEFF"u8), $"InvalidJson for valid JSON that is only too deep ({at})");
            }

            return;
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            Invariant.True(actual.Error is not (EnvelopeError.InvalidJson or EnvelopeError.DepthExceeded), $"{actual.Error} for valid JSON within depth {maxDepth} ({at})");
            Invariant.Equal(root.ValueKind != JsonValueKind.Object, actual.Error == EnvelopeError.NotAnObject, $"NotAnObject vs the root's kind {root.ValueKind} ({at})");
            if (actual.Status == OperationStatus.Done)
            {
                CompareFields(root, bytes, actual.Envelope, at);
            }

            // The other way: a valid envelope is accepted, an invalid one is refused for one of the rules it breaks.
            if (root.ValueKind == JsonValueKind.Object && !message.StartsWith("\uFEFF"u8))
            {
                (HashSet<EnvelopeError> broken, bool noText) = RulesBroken(root);
                if (broken.Count == 0)
                {
                    Invariant.True(actual.Status == OperationStatus.Done || (noText && actual.Error == EnvelopeError.InvalidString), $"{actual.Error} for an envelope that breaks no rule ({at})");
                }
                else
                {
                    Invariant.True(broken.Contains(actual.Error) || (noText && actual.Error == EnvelopeError.InvalidString), $"{actual.Error} for an envelope that breaks {string.Join(", ", broken)} ({at})");
                }
            }
        }
    }

    /// <summary>
    /// Contract.md §2 read from the document, independently of the parser: every rule the root object breaks, and
    /// whether a name or string the parser reads is no text (then InvalidString may come first, or the member may be
    /// skipped as unknown).
    /// </summary>
    private static (HashSet<EnvelopeError> Broken, bool NoText) RulesBroken(JsonElement root)
    {
        var broken = new HashSet<EnvelopeError>();
        bool noText = false;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        JsonElement? msgType = null, payload = null;
        foreach (JsonProperty property in root.EnumerateObject())
        {
            string? name = DecodeName(property);
            if (name is null)
            {
                noText = true;
                continue;
            }

            JsonElement value = property.Value;
            switch (name)
            {
                case "msg_type":
                    msgType = value;
                    if (value.ValueKind != JsonValueKind.String)
                    {
                        broken.Add(EnvelopeError.MsgTypeNotString);
                    }

                    break;
                case "id":
                    StringOrNull(value, EnvelopeError.InvalidId);
                    break;
                case "request_id":
                    StringOrNull(value, EnvelopeError.InvalidRequestId);
                    break;
                case "timestamp":
                    StringOrNull(value, EnvelopeError.InvalidTimestamp);
                    break;
                case "seq_id":
                    if (value.ValueKind != JsonValueKind.Null && !(value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long seq) && seq >= 0))
                    {
                        broken.Add(EnvelopeError.InvalidSeqId);
                    }

                    break;
                case "v":
                    if (value.ValueKind != JsonValueKind.Null && !(value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _)))
                    {
                        broken.Add(EnvelopeError.InvalidVersion);
                    }

                    break;
                case "payload":
                    payload = value;
                    break;
                default:
                    continue;
            }

            counts[name] = counts.GetValueOrDefault(name) + 1;
            if (counts[name] == 2)
            {
                broken.Add(EnvelopeError.DuplicateField);
            }
        }

        if (msgType is null)
        {
            broken.Add(EnvelopeError.MissingMsgType);
        }

        MessageType type = MessageType.Unknown;
        if (msgType is { ValueKind: JsonValueKind.String } text)
        {
            try
            {
                type = KnownTypes.TryGetValue(text.GetString()!, out MessageType known) ? known : MessageType.Unknown;
            }
            catch (InvalidOperationException)
            {
                noText = true;
            }
        }

        if (payload is { } p)
        {
            if (type != MessageType.Unknown && p.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
            {
                broken.Add(EnvelopeError.InvalidPayload);
            }

            if (p.ValueKind == JsonValueKind.Object)
            {
                int ids = 0;
                foreach (JsonProperty property in p.EnumerateObject())
                {
                    string? name = DecodeName(property);
                    noText |= name is null;
                    if (name == "strategy_id")
                    {
                        ids++;
                        JsonElement id = property.Value;
                        bool valid = id.ValueKind == JsonValueKind.Null || (id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out long sid) && sid > 0);
                        if ((!valid || ids > 1) && type is MessageType.StrategySignal or MessageType.StrategyPositions or MessageType.Gap)
                        {
                            broken.Add(EnvelopeError.InvalidStrategyId);
                        }
                    }
                }
            }
        }

        foreach (JsonProperty property in root.EnumerateObject())
        {
            if (DecodeName(property) is "id" or "request_id" or "timestamp" && property.Value.ValueKind == JsonValueKind.String && IsNoText(property.Value))
            {
                noText = true;
            }
        }

        return (broken, noText);

        void StringOrNull(JsonElement value, EnvelopeError error)
        {
            if (value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            {
                broken.Add(error);
            }
        }
    }

    private static bool IsNoText(JsonElement value)
    {
        try
        {
            _ = value.GetString();
            return false;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static JsonDocument? TryParseDocument(byte[] bytes, int maxDepth)
    {
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = maxDepth });
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The envelope read again from the document: every rule of Contract.md §2, independently.</summary>
    private static void CompareFields(JsonElement root, byte[] bytes, Envelope envelope, string at)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        JsonElement? msgType = null, id = null, requestId = null, timestamp = null, seqId = null, version = null, payload = null;
        foreach (JsonProperty property in root.EnumerateObject())
        {
            string? name = DecodeName(property);
            switch (name)
            {
                case "msg_type":
                case "id":
                case "request_id":
                case "timestamp":
                case "seq_id":
                case "v":
                case "payload":
                    Invariant.True(seen.Add(name), $"Done with \"{name}\" twice ({at})");
                    break;
            }

            switch (name)
            {
                case "msg_type": msgType = property.Value; break;
                case "id": id = property.Value; break;
                case "request_id": requestId = property.Value; break;
                case "timestamp": timestamp = property.Value; break;
                case "seq_id": seqId = property.Value; break;
                case "v": version = property.Value; break;
                case "payload": payload = property.Value; break;
            }
        }

        Invariant.True(msgType is { ValueKind: JsonValueKind.String }, $"Done without a string msg_type ({at})");
        CompareString("msg_type", msgType, bytes, envelope.MsgType, at);
        CompareString("id", id, bytes, envelope.Id, at);
        CompareString("request_id", requestId, bytes, envelope.RequestId, at);
        CompareString("timestamp", timestamp, bytes, envelope.Timestamp, at);

        MessageType type = !IsUndecodable(bytes, envelope.MsgType) && KnownTypes.TryGetValue(msgType!.Value.GetString()!, out MessageType known) ? known : MessageType.Unknown;
        Invariant.Equal(type, envelope.Type, $"type ({at})");

        if (seqId is { ValueKind: not JsonValueKind.Null } s)
        {
            Invariant.True(s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out long value) && value >= 0 && envelope.HasSeqId && envelope.SeqId == value, $"seq_id {s.GetRawText()} vs {envelope} ({at})");
        }
        else
        {
            Invariant.True(!envelope.HasSeqId, $"HasSeqId without a seq_id ({at})");
        }

        if (version is { ValueKind: not JsonValueKind.Null } v)
        {
            Invariant.True(v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int value) && envelope.HasVersion && envelope.Version == value, $"v {v.GetRawText()} vs {envelope} ({at})");
        }
        else
        {
            Invariant.True(!envelope.HasVersion, $"HasVersion without a v ({at})");
        }

        long? strategyId = null;
        if (payload is { ValueKind: not JsonValueKind.Null } p)
        {
            Invariant.True(envelope.Payload.IsPresent, $"payload present but no range ({at})");
            Invariant.SequenceEqual(Encoding.UTF8.GetBytes(p.GetRawText()), envelope.Payload.Slice(bytes), $"payload text ({at})");
            Invariant.True(p.ValueKind == JsonValueKind.Object || type == MessageType.Unknown, $"Done with a {p.ValueKind} payload for {type} ({at})");
            if (p.ValueKind == JsonValueKind.Object)
            {
                int count = 0;
                JsonElement? member = null;
                foreach (JsonProperty property in p.EnumerateObject())
                {
                    if (DecodeName(property) == "strategy_id")
                    {
                        count++;
                        member = property.Value;
                    }
                }

                bool valid = count == 1 && member!.Value.ValueKind == JsonValueKind.Number && member.Value.TryGetInt64(out long sid) && sid > 0;
                bool invalid = count > 1 || (count == 1 && member!.Value.ValueKind != JsonValueKind.Null && !valid);
                Invariant.True(!invalid || type is not (MessageType.StrategySignal or MessageType.StrategyPositions or MessageType.Gap), $"Done with an invalid strategy_id for {type} ({at})");
                strategyId = valid ? member!.Value.GetInt64() : null;
            }
        }
        else
        {
            Invariant.True(!envelope.Payload.IsPresent, $"payload range without a payload ({at})");
        }

        Invariant.Equal(strategyId, envelope.HasStrategyId ? envelope.StrategyId : null, $"strategy_id ({at})");
    }

    // A name with a lone surrogate escape is no text: it equals no field name, so it is an unknown member. (Whether the
    // parser notices, InvalidString, or skips it depends on whether Utf8JsonReader.ValueTextEquals had to decode it.)
    private static string? DecodeName(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    // Whether the JSON string between the quotes around range is no text (a lone surrogate escape).
    private static bool IsUndecodable(ReadOnlySpan<byte> message, ValueRange range)
    {
        var reader = new Utf8JsonReader(message.Slice(range.Start - 1, range.Length + 2));
        try
        {
            return reader.Read() && reader.GetString() is null;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static void CompareString(string name, JsonElement? element, byte[] bytes, ValueRange range, string at)
    {
        if (element is not { ValueKind: not JsonValueKind.Null } value)
        {
            Invariant.True(!range.IsPresent, $"{name} range without a {name} ({at})");
            return;
        }

        Invariant.True(value.ValueKind == JsonValueKind.String && range.IsPresent, $"{name} is {value.ValueKind} ({at})");
        if (IsUndecodable(bytes, range))
        {
            return; // no text to compare (checked in CheckRanges)
        }

        byte[] text = new byte[range.Length];
        Invariant.Equal(OperationStatus.Done, EnvelopeParser.Unescape(bytes, range, text, out int written), $"Unescape({name}) ({at})");
        Invariant.True(value.ValueEquals(text.AsSpan(0, written)), $"{name}: the document's string differs from the unescaped range ({at})");
    }

    private readonly record struct Outcome(OperationStatus Status, EnvelopeError Error, Envelope Envelope)
    {
        public static Outcome From(OperationStatus status, Envelope envelope, EnvelopeError error)
        {
            Invariant.True(status is OperationStatus.Done or OperationStatus.InvalidData, $"status {status}");
            Invariant.True(status == OperationStatus.Done ? error == EnvelopeError.None : error != EnvelopeError.None, $"{status} with error {error}");
            Invariant.True(status == OperationStatus.Done || envelope.Equals(default(Envelope)), $"{status} with an envelope {envelope}");
            return new Outcome(status, error, envelope);
        }
    }
}
