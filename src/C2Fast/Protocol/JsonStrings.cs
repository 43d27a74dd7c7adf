using System.Text.Json;

namespace C2Fast.Protocol;

/// <summary>Reading strings out of a <see cref="JsonElement"/> that came from the network.</summary>
internal static class JsonStrings
{
    /// <summary>
    /// The string value of <paramref name="value"/>. A string whose escapes are not valid UTF-16 (a lone surrogate
    /// such as <c>\ud800</c>) is well-formed JSON but no .NET text: its raw JSON, quotes and escapes included, is
    /// returned instead of throwing.
    /// </summary>
    public static string TextOrRaw(this JsonElement value)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return value.GetRawText();
        }
    }

    /// <summary>The string property <paramref name="name"/> of <paramref name="element"/> (see <see cref="TextOrRaw"/>); null when absent or not a string.</summary>
    public static string? StringProperty(this JsonElement element, string name)
        => element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.TextOrRaw() : null;
}
