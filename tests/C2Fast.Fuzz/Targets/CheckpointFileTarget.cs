using System.Runtime.InteropServices;
using System.Text.Json;
using C2Fast.Session;

namespace C2Fast.Fuzz.Targets;

/// <summary>
/// The checkpoint file reader: <see cref="CheckpointFormat.Parse"/> and <see cref="C2FileCheckpointStore.LoadAsync"/>
/// over a real file. Input: the file's bytes (up to 16 KiB).
/// </summary>
/// <remarks>
/// Invariants: the only failure is <see cref="InvalidDataException"/> naming the file; a map is returned exactly when
/// an independent reading with <see cref="JsonDocument"/> of the documented format accepts the file (an optional
/// UTF-8 BOM, a root object with "version": 1 once and "strategies" once, an object of canonical positive integer ids
/// (at most 64 raw bytes) to non-negative Int64 seq_ids, no id twice, other root members ignored, nothing after the
/// root) and then it is that map; the store reads the same from disk; what is accepted serializes canonically
/// (parse(serialize(map)) = map, serialize is a fixed point).
/// </remarks>
internal sealed class CheckpointFileTarget : IFuzzTarget
{
    private const int MaxFile = 16 * 1024;
    private const string FakePath = "/fuzz/checkpoints.json";

    private static string? s_directory;

    public string Name => "checkpoint";

    public string Description => "CheckpointFormat.Parse and C2FileCheckpointStore.LoadAsync vs a JsonDocument reading of the format";

    public void Run(ReadOnlySpan<byte> input)
    {
        ReadOnlySpan<byte> content = input[..Math.Min(input.Length, MaxFile)];
        Dictionary<long, long>? expected = Reference(content);
        Dictionary<long, long>? parsed = Parse(content, FakePath);
        Compare(expected, parsed, $"Parse vs the reference, file {Invariant.Hex(content)}");

        Dictionary<long, long>? loaded = Load(content);
        Compare(parsed, loaded, "LoadAsync from disk vs Parse");

        if (parsed is not null)
        {
            byte[] canonical = CheckpointFormat.Serialize(parsed);
            Dictionary<long, long>? again = Parse(canonical, FakePath);
            Compare(parsed, again, "parse(serialize(map))");
            Invariant.SequenceEqual(canonical, CheckpointFormat.Serialize(again!), "serialize is not a fixed point");
        }
    }

    private static Dictionary<long, long>? Parse(ReadOnlySpan<byte> content, string path)
    {
        try
        {
            return CheckpointFormat.Parse(content, path);
        }
        catch (InvalidDataException ex)
        {
            Invariant.True(ex.Message.Contains(path, StringComparison.Ordinal), $"the error does not name the file: {ex.Message}");
            return null;
        }
    }

    private static Dictionary<long, long>? Load(ReadOnlySpan<byte> content)
    {
        string directory = s_directory ??= CreateDirectory();
        string path = Path.Combine(directory, "checkpoints.json");
        File.WriteAllBytes(path, content.ToArray());
        var store = new C2FileCheckpointStore(path);
        try
        {
            ValueTask<IReadOnlyDictionary<long, long>> loading = store.LoadAsync();
            Task<IReadOnlyDictionary<long, long>> task = loading.AsTask();
            Invariant.True(task.Wait(TimeSpan.FromSeconds(10)), "LoadAsync did not finish within 10 s");
            return new Dictionary<long, long>(task.Result);
        }
        catch (AggregateException ex) when (ex.InnerException is InvalidDataException inner)
        {
            Invariant.True(inner.Message.Contains(path, StringComparison.Ordinal), $"the error does not name the file: {inner.Message}");
            return null;
        }
    }

    // One directory per process, in memory where there is one, removed at exit.
    private static string CreateDirectory()
    {
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        string directory = Path.Combine(root, $"c2fast-fuzz-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return directory;
    }

    private static void Compare(Dictionary<long, long>? expected, Dictionary<long, long>? actual, string what)
    {
        Invariant.Equal(expected is null ? "rejected" : "accepted", actual is null ? "rejected" : "accepted", what);
        if (expected is null || actual is null)
        {
            return;
        }

        Invariant.Equal(expected.Count, actual.Count, $"{what}: entries");
        foreach ((long id, long seq) in expected)
        {
            Invariant.True(actual.TryGetValue(id, out long other) && other == seq, $"{what}: strategy {id}");
        }
    }

    /// <summary>The documented format, read with <see cref="JsonDocument"/>; null when the file is not valid.</summary>
    private static Dictionary<long, long>? Reference(ReadOnlySpan<byte> content)
    {
        if (content.StartsWith("\uFEFF"u8))
        {
            content = content[3..];
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(content.ToArray());
        }
        catch (JsonException)
        {
            return null;
        }

        using (document)
        {
            try
            {
                return Read(document.RootElement);
            }
            catch (InvalidOperationException)
            {
                return null; // a name that is not text (a lone surrogate escape)
            }
        }
    }

    private static Dictionary<long, long>? Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        int versions = 0;
        JsonElement? strategies = null;
        int strategiesCount = 0;
        foreach (JsonProperty property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "version":
                    versions++;
                    if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out int version) || version != 1)
                    {
                        return null;
                    }

                    break;
                case "strategies":
                    strategiesCount++;
                    strategies = property.Value;
                    break;
            }
        }

        if (versions != 1 || strategiesCount != 1 || strategies!.Value.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var map = new Dictionary<long, long>();
        foreach (JsonProperty entry in strategies.Value.EnumerateObject())
        {
            // Ids are written unescaped; an escaped one is read only while its raw name fits 64 bytes (documented).
            if (JsonMarshal.GetRawUtf8PropertyName(entry).Length > 64 || !TryParseId(entry.Name, out long id))
            {
                return null;
            }

            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt64(out long seq) || seq < 0 || !map.TryAdd(id, seq))
            {
                return null;
            }
        }

        return map;
    }

    private static bool TryParseId(string text, out long id)
    {
        id = 0;
        if (text.Length == 0 || text.Length > 19 || text[0] == '0')
        {
            return false;
        }

        foreach (char c in text)
        {
            if (c is < '0' or > '9' || id > (long.MaxValue - (c - '0')) / 10)
            {
                return false;
            }

            id = (id * 10) + (c - '0');
        }

        return true;
    }
}
