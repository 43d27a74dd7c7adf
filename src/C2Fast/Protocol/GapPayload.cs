using System.Globalization;
using System.Text.Json;

namespace C2Fast.Protocol;

/// <summary>
/// The payload of a <c>gap</c> message (Contract.md §3, §6):
/// <c>{"strategy_id":null,"channel":"strategy.signal:12345678","from":"98765","message":"…"}</c>.
/// </summary>
/// <param name="StrategyId">The payload's <c>strategy_id</c> (null in the vendor's example: see <see cref="Strategy"/>).</param>
/// <param name="Channel">The channel, e.g. <c>strategy.signal:12345678</c>.</param>
/// <param name="From">The <c>seq_id</c> the replay started from (a string on the wire; a number is kept as its text).</param>
/// <param name="Message">The server's explanation.</param>
internal sealed record GapPayload(long? StrategyId, string? Channel, string? From, string? Message)
{
    /// <summary>Reads a gap payload; fields that are missing or of the wrong kind are null (error path: allocation is fine).</summary>
    public static GapPayload Parse(ReadOnlySpan<byte> payload)
    {
        long? strategyId = null;
        string? channel = null;
        string? from = null;
        string? message = null;
        if (!payload.IsEmpty)
        {
            try
            {
                using JsonDocument document = JsonDocument.Parse(payload.ToArray());
                JsonElement root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    strategyId = Id(root);
                    channel = root.StringProperty("channel");
                    from = root.TryGetProperty("from", out JsonElement f) && f.ValueKind is JsonValueKind.String or JsonValueKind.Number
                        ? (f.ValueKind == JsonValueKind.String ? f.TextOrRaw() : f.GetRawText())
                        : null;
                    message = root.StringProperty("message");
                }
            }
            catch (JsonException)
            {
                // Not JSON: every field stays unknown.
            }
        }

        return new GapPayload(strategyId, channel, from, message);
    }

    /// <summary>The strategy the gap is about: <see cref="StrategyId"/>, or else the id at the end of <see cref="Channel"/>.</summary>
    public long? Strategy => StrategyId ?? StrategyFromChannel(Channel);

    /// <summary>The strategy id at the end of a channel name such as <c>strategy.signal:12345678</c>.</summary>
    public static long? StrategyFromChannel(string? channel)
    {
        int colon = channel?.LastIndexOf(':') ?? -1;
        return colon >= 0 && long.TryParse(channel.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long id) && id > 0 ? id : null;
    }

    private static long? Id(JsonElement root)
    {
        if (!root.TryGetProperty("strategy_id", out JsonElement id))
        {
            return null;
        }

        return id.ValueKind switch
        {
            JsonValueKind.Number when id.TryGetInt64(out long number) && number > 0 => number,
            JsonValueKind.String when long.TryParse(id.TextOrRaw(), NumberStyles.None, CultureInfo.InvariantCulture, out long text) && text > 0 => text,
            _ => null,
        };
    }
}
