using System.Text.Json;

namespace C2Fast.Tests.Protocol;

/// <summary>The reference parser: answers the same questions as the envelope parser, through <see cref="JsonDocument"/>.</summary>
internal static class JsonDoc
{
    public static string? GetString(string json, string property)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty(property).GetString();
    }

    public static string GetRaw(string json, string property)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty(property).GetRawText();
    }

    public static bool ParsesWithin(string json, int maxDepth)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = maxDepth });
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
