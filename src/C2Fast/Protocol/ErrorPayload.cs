using System.Text.Json;

namespace C2Fast.Protocol;

/// <summary>One entry of a server <c>error</c> message: <c>{code, field, message}</c> (Contract.md §3).</summary>
/// <param name="Code">E.g. <c>FORBIDDEN</c>; null when absent or not a string.</param>
/// <param name="Field">The offending field, e.g. <c>StrategyId</c>; null when absent.</param>
/// <param name="Message">Human-readable text; null when absent.</param>
internal readonly record struct ErrorEntry(string? Code, string? Field, string? Message);

/// <summary>Reads the payload of a server <c>error</c> message (error path: allocation is fine).</summary>
internal static class ErrorPayload
{
    /// <summary>
    /// The entries of an <c>error</c> payload: the single <c>{code, field, message}</c>, or every object of its
    /// <c>errors</c> array when there is one (Contract.md §3). Empty when the payload is missing or not an object.
    /// </summary>
    public static ErrorEntry[] Parse(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return [];
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(payload.ToArray());
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return [];
            }

            if (root.TryGetProperty("errors", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
            {
                return [.. list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).Select(ToEntry)];
            }

            return [ToEntry(root)];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static ErrorEntry ToEntry(JsonElement e) => new(e.StringProperty("code"), e.StringProperty("field"), e.StringProperty("message"));
}
