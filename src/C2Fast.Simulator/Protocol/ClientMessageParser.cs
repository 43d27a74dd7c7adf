using System.Globalization;
using System.Text.Json;

namespace C2Fast.Simulator.Protocol;

/// <summary>What a client text message turned out to be.</summary>
internal enum ClientMessageKind
{
    HeartbeatAck,
    Subscription,
    Rejected,
}

/// <summary>A valid <c>subscription.request</c>. <see cref="ResumeFrom"/> is 0 when absent.</summary>
internal sealed record SubscriptionRequest(string? RequestId, string Action, string Channel, long StrategyId, long ResumeFrom)
{
    public bool IsSubscribe => Action == MessageTypes.Subscribe;

    public bool IsSignalChannel => Channel == MessageTypes.Signal;
}

/// <summary>The outcome of <see cref="ClientMessageParser.Parse"/>: a kind, the request when valid, the errors when not.</summary>
internal sealed record ClientMessage(ClientMessageKind Kind, SubscriptionRequest? Request, string? RequestId, IReadOnlyList<ErrorItem> Errors);

/// <summary>
/// Reads and validates one client message (spec §4 and the [CHOICE]s of §8). Client messages are rare (acks and
/// subscriptions), so this uses <see cref="JsonDocument"/>; it never throws on bad input.
/// </summary>
/// <remarks>
/// Field names in errors follow the vendor's example (<c>StrategyId</c>): Action, Channel, StrategyId, ResumeFrom,
/// RequestId, Timestamp, Payload, MsgType. Missing or wrongly typed → MANDATORY_PARAM_EMPTY_OR_MALFORMED; present but
/// out of range → INVALID_PARAMETER. All field errors of one request are reported together.
/// </remarks>
internal static class ClientMessageParser
{
    private static readonly ErrorItem[] NoErrors = [];

    public static ClientMessage Parse(ReadOnlyMemory<byte> utf8Json, C2SimulatorOptions options, DateTimeOffset now)
    {
        try
        {
            return ParseDocument(utf8Json, options, now);
        }
        catch (InvalidOperationException)
        {
            // Well-formed JSON whose string escapes are not valid UTF-16 (a lone surrogate such as \ud800): no text to read.
            return Reject(null, new ErrorItem(options.ErrorCodes.Mandatory, null, "Message has a string escape that is not valid UTF-16"));
        }
    }

    private static ClientMessage ParseDocument(ReadOnlyMemory<byte> utf8Json, C2SimulatorOptions options, DateTimeOffset now)
    {
        var codes = options.ErrorCodes;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json);
        }
        catch (JsonException)
        {
            return Reject(null, new ErrorItem(codes.Mandatory, null, "Message is not valid JSON"));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Reject(null, new ErrorItem(codes.Mandatory, null, "Message must be a JSON object"));
            }

            var errors = new List<ErrorItem>();
            var requestId = ReadRequestId(root, options, errors);
            if (!root.TryGetProperty("msg_type"u8, out var msgType) || msgType.ValueKind != JsonValueKind.String || msgType.GetString() is not { Length: > 0 } type)
            {
                errors.Insert(0, new ErrorItem(codes.Mandatory, "MsgType", "msg_type is required"));
                return Reject(requestId, errors);
            }

            if (type == MessageTypes.HeartbeatAck)
            {
                return new ClientMessage(ClientMessageKind.HeartbeatAck, null, requestId, NoErrors); // any payload is accepted
            }

            if (type != MessageTypes.SubscriptionRequest)
            {
                errors.Insert(0, new ErrorItem(codes.InvalidParameter, "MsgType", $"Unknown msg_type '{Truncate(type)}'"));
                return Reject(requestId, errors);
            }

            ReadTimestamp(root, options, now, errors);
            if (!root.TryGetProperty("payload"u8, out var payload) || payload.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new ErrorItem(codes.Mandatory, "Payload", "payload is required"));
                return Reject(requestId, errors);
            }

            var action = ReadChoice(payload, "action"u8, "Action", [MessageTypes.Subscribe, MessageTypes.Unsubscribe], codes, errors);
            var channel = ReadChoice(payload, "channel"u8, "Channel", [MessageTypes.Signal, MessageTypes.Positions], codes, errors);
            var strategyId = ReadStrategyId(payload, codes, errors);
            var resumeFrom = ReadResumeFrom(payload, options, errors);
            if (resumeFrom > 0 && channel == MessageTypes.Positions && action == MessageTypes.Subscribe)
            {
                errors.Add(new ErrorItem(codes.InvalidParameter, "ResumeFrom", "resume_from applies to strategy.signal only"));
            }

            if (errors.Count > 0)
            {
                return Reject(requestId, errors);
            }

            return new ClientMessage(
                ClientMessageKind.Subscription, new SubscriptionRequest(requestId, action!, channel!, strategyId, resumeFrom), requestId, NoErrors);
        }
    }

    private static string? ReadRequestId(JsonElement root, C2SimulatorOptions options, List<ErrorItem> errors)
    {
        var codes = options.ErrorCodes;
        if (!root.TryGetProperty("request_id"u8, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            errors.Add(new ErrorItem(codes.Mandatory, "RequestId", "request_id must be a string"));
            return null;
        }

        var requestId = element.GetString()!;
        if (requestId.Length > options.MaxRequestIdLength)
        {
            errors.Add(new ErrorItem(codes.InvalidParameter, "RequestId", $"request_id must be at most {options.MaxRequestIdLength} characters"));
        }

        return requestId;
    }

    private static void ReadTimestamp(JsonElement root, C2SimulatorOptions options, DateTimeOffset now, List<ErrorItem> errors)
    {
        var codes = options.ErrorCodes;
        if (!root.TryGetProperty("timestamp"u8, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            if (options.RequireRequestTimestamp)
            {
                errors.Add(new ErrorItem(codes.Mandatory, "Timestamp", "timestamp is required"));
            }

            return;
        }

        if (element.ValueKind != JsonValueKind.String || !Timestamps.TryParse(element.GetString()!, out var time))
        {
            errors.Add(new ErrorItem(codes.Mandatory, "Timestamp", "timestamp must be an ISO-8601 UTC date-time"));
            return;
        }

        if ((time - now).Duration() > options.TimestampTolerance)
        {
            errors.Add(new ErrorItem(codes.InvalidParameter, "Timestamp",
                $"timestamp must be within {options.TimestampTolerance.TotalSeconds:0.###} seconds of server time"));
        }
    }

    private static string? ReadChoice(JsonElement payload, ReadOnlySpan<byte> name, string field, string[] allowed, C2ErrorCodes codes, List<ErrorItem> errors)
    {
        if (!payload.TryGetProperty(name, out var element) || element.ValueKind != JsonValueKind.String || element.GetString() is not { Length: > 0 } value)
        {
            errors.Add(new ErrorItem(codes.Mandatory, field, $"{ToSnake(field)} is required"));
            return null;
        }

        if (Array.IndexOf(allowed, value) < 0)
        {
            errors.Add(new ErrorItem(codes.InvalidParameter, field, $"{ToSnake(field)} must be one of: {string.Join(", ", allowed)}"));
            return null;
        }

        return value;
    }

    private static long ReadStrategyId(JsonElement payload, C2ErrorCodes codes, List<ErrorItem> errors)
    {
        if (!payload.TryGetProperty("strategy_id"u8, out var element) || element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var id))
        {
            errors.Add(new ErrorItem(codes.Mandatory, "StrategyId", "strategy_id is required and must be an integer"));
            return 0;
        }

        if (id <= 0)
        {
            errors.Add(new ErrorItem(codes.InvalidParameter, "StrategyId", "strategy_id must be positive"));
        }

        return id;
    }

    // [CHOICE] resume_from is accepted as a decimal string (the documented type) or a number (the documented example);
    // C2SimulatorOptions.ResumeFromForms can narrow that.
    private static long ReadResumeFrom(JsonElement payload, C2SimulatorOptions options, List<ErrorItem> errors)
    {
        var codes = options.ErrorCodes;
        if (!payload.TryGetProperty("resume_from"u8, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return 0;
        }

        var forms = options.ResumeFromForms;
        long value = 0;
        var ok = element.ValueKind switch
        {
            JsonValueKind.Number when forms != C2ResumeFromForms.StringOnly => element.TryGetInt64(out value),
            JsonValueKind.String when forms != C2ResumeFromForms.NumberOnly =>
                long.TryParse(element.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value),
            _ => false,
        };

        if (!ok)
        {
            errors.Add(new ErrorItem(codes.Mandatory, "ResumeFrom", $"resume_from must be an integer seq_id ({forms})"));
            return 0;
        }

        if (value < 0)
        {
            errors.Add(new ErrorItem(codes.InvalidParameter, "ResumeFrom", "resume_from must not be negative"));
            return 0;
        }

        return value;
    }

    private static ClientMessage Reject(string? requestId, ErrorItem error) => new(ClientMessageKind.Rejected, null, requestId, [error]);

    private static ClientMessage Reject(string? requestId, List<ErrorItem> errors) => new(ClientMessageKind.Rejected, null, requestId, errors);

    private static string ToSnake(string field) => field switch
    {
        "StrategyId" => "strategy_id",
        _ => field.ToLowerInvariant(),
    };

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
