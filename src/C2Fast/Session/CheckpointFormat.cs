using C2Fast.Diagnostics;
using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace C2Fast.Session;

/// <summary>
/// The checkpoint file format, version 1: small, human-readable JSON with the strategies sorted
/// by id so two saves of the same map are byte-identical.
/// <code>
/// {
///   "version": 1,
///   "strategies": {
///     "101": 12345,
///     "102": 9
///   }
/// }
/// </code>
/// Written with <see cref="Utf8JsonWriter"/> and read with <see cref="Utf8JsonReader"/>: no
/// reflection, so the library stays trimming- and AOT-safe.
/// </summary>
/// <remarks>
/// Reading is strict because a wrong checkpoint means a lost or repeated signal: ids must be
/// canonical positive integers, seq_ids non-negative integers, no key twice, nothing after the
/// root object. Unknown top-level properties are skipped so a later minor addition stays readable;
/// an incompatible change bumps <c>version</c>, which this reader refuses.
/// </remarks>
internal static class CheckpointFormat
{
    /// <summary>The version this code writes and the only one it reads.</summary>
    public const int Version = 1;

    /// <summary>Largest file accepted (about 370,000 strategies); anything bigger is not ours.</summary>
    public const int MaxFileBytes = 16 * 1024 * 1024;

    // A long has at most 19 digits; anything longer (even escaped) is refused before copying.
    private const int MaxIdNameBytes = 64;

    /// <summary>Checks every entry and serializes the map; throws before anything is written.</summary>
    public static byte[] Serialize(IReadOnlyDictionary<long, long> checkpoints)
    {
        KeyValuePair<long, long>[] entries = Snapshot(checkpoints);
        Array.Sort(entries, static (a, b) => a.Key.CompareTo(b.Key));

        var buffer = new ArrayBufferWriter<byte>(64 + (entries.Length * 40));
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            Span<byte> name = stackalloc byte[20];
            writer.WriteStartObject();
            writer.WriteNumber("version"u8, Version);
            writer.WriteStartObject("strategies"u8);
            foreach (KeyValuePair<long, long> entry in entries)
            {
                Utf8Formatter.TryFormat(entry.Key, name, out int written);
                writer.WriteNumber(name[..written], entry.Value);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        byte[] content = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(content);
        content[^1] = (byte)'\n';
        return content;
    }

    /// <summary>Copies and validates <paramref name="checkpoints"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not positive or a seq_id is negative.</exception>
    public static KeyValuePair<long, long>[] Snapshot(IReadOnlyDictionary<long, long> checkpoints)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        var entries = new List<KeyValuePair<long, long>>(checkpoints.Count);
        foreach (KeyValuePair<long, long> entry in checkpoints)
        {
            if (entry.Key <= 0)
            {
                ThrowHelper.ThrowArgumentOutOfRange(nameof(checkpoints), entry.Key, $"Strategy ids must be positive; got {entry.Key}.");
            }

            if (entry.Value < 0)
            {
                ThrowHelper.ThrowArgumentOutOfRange(nameof(checkpoints), entry.Value, $"The seq_id of strategy {entry.Key} must not be negative; got {entry.Value}.");
            }

            entries.Add(entry);
        }

        return [.. entries];
    }

    /// <summary>Parses a checkpoint file.</summary>
    /// <param name="content">The whole file.</param>
    /// <param name="path">The file's path, for error messages.</param>
    /// <exception cref="InvalidDataException">The content is not a valid version-1 checkpoint file.</exception>
    public static Dictionary<long, long> Parse(ReadOnlySpan<byte> content, string path)
    {
        // A text editor may add a byte order mark; Utf8JsonReader does not accept one.
        if (content.StartsWith("\uFEFF"u8))
        {
            content = content[3..];
        }

        // JSON text is UTF-8 (RFC 8259 §8.1). The reader checks only the strings it decodes, so invalid bytes in a
        // member it skips went through: a file corrupted there was trusted (found by the checkpoint fuzz target).
        if (!System.Text.Unicode.Utf8.IsValid(content))
        {
            throw Corrupt(path, "it is not valid UTF-8");
        }

        try
        {
            return ParseJson(content, path);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string escape that is not UTF-16 text (a lone surrogate such as \ud800); the
            // bytes themselves were checked above.
            throw Corrupt(path, "it is not valid JSON", e);
        }
    }

    private static Dictionary<long, long> ParseJson(ReadOnlySpan<byte> content, string path)
    {
        var reader = new Utf8JsonReader(content, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw Corrupt(path, "the root is not a JSON object");
        }

        Dictionary<long, long>? strategies = null;
        bool sawVersion = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("version"u8))
            {
                if (sawVersion)
                {
                    throw Corrupt(path, "\"version\" appears twice");
                }

                sawVersion = true;
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int version))
                {
                    throw Corrupt(path, "\"version\" is not an integer");
                }

                if (version != Version)
                {
                    throw Corrupt(path, $"its version is {version}; this build reads version {Version} only");
                }
            }
            else if (reader.ValueTextEquals("strategies"u8))
            {
                if (strategies is not null)
                {
                    throw Corrupt(path, "\"strategies\" appears twice");
                }

                reader.Read();
                strategies = ReadStrategies(ref reader, path);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw Corrupt(path, "the root object is malformed");
        }

        // Anything but whitespace after the root makes Read throw; true would mean a second value.
        if (reader.Read())
        {
            throw Corrupt(path, "there is data after the root object");
        }

        if (!sawVersion)
        {
            throw Corrupt(path, "\"version\" is missing");
        }

        return strategies ?? throw Corrupt(path, "\"strategies\" is missing");
    }

    private static Dictionary<long, long> ReadStrategies(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Corrupt(path, "\"strategies\" is not an object");
        }

        var strategies = new Dictionary<long, long>();
        Span<byte> name = stackalloc byte[MaxIdNameBytes];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueSpan.Length > MaxIdNameBytes || !TryParseId(name[..reader.CopyString(name)], out long strategyId))
            {
                // Lossy decoding: the name may not even be valid UTF-8.
                ReadOnlySpan<byte> raw = reader.ValueSpan[..Math.Min(reader.ValueSpan.Length, MaxIdNameBytes)];
                throw Corrupt(path, $"\"{Encoding.UTF8.GetString(raw)}\" is not a strategy id (a positive integer)");
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long seqId) || seqId < 0)
            {
                throw Corrupt(path, $"the seq_id of strategy {strategyId} is not a non-negative integer");
            }

            if (!strategies.TryAdd(strategyId, seqId))
            {
                throw Corrupt(path, $"strategy {strategyId} appears twice");
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw Corrupt(path, "\"strategies\" is malformed");
        }

        return strategies;
    }

    /// <summary>Canonical positive decimal only: no sign, no leading zero, no spaces, fits a long.</summary>
    private static bool TryParseId(ReadOnlySpan<byte> digits, out long id)
    {
        id = 0;
        if (digits.IsEmpty || digits[0] == (byte)'0' || digits.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
        {
            return false;
        }

        return Utf8Parser.TryParse(digits, out id, out int consumed) && consumed == digits.Length && id > 0;
    }

    private static InvalidDataException Corrupt(string path, string reason, Exception? inner = null)
        => new($"The checkpoint file '{path}' is corrupt: {reason}. Restore it, or delete it to start without checkpoints.", inner);
}
