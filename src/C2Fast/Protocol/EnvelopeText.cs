using System.Text;

namespace C2Fast.Protocol;

/// <summary>Turns an envelope's raw string ranges into .NET strings (allocates: for events and error paths only).</summary>
internal static class EnvelopeText
{
    /// <summary>
    /// The string at <paramref name="range"/> of <paramref name="message"/>, JSON escapes decoded; null when absent. Escapes
    /// that are not valid UTF-16 (a lone surrogate) cannot be decoded: the raw text, escapes and all, is returned instead.
    /// </summary>
    public static string? Decode(ReadOnlySpan<byte> message, ValueRange range)
    {
        if (!range.IsPresent)
        {
            return null;
        }

        ReadOnlySpan<byte> raw = range.Slice(message);
        if (!range.IsEscaped)
        {
            return Encoding.UTF8.GetString(raw);
        }

        byte[] decoded = new byte[raw.Length];
        return EnvelopeParser.Unescape(message, range, decoded, out int written) == System.Buffers.OperationStatus.Done
            ? Encoding.UTF8.GetString(decoded, 0, written)
            : Encoding.UTF8.GetString(raw);
    }
}
