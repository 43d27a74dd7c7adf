using System.Text;
using C2Fast.Session;

namespace C2Fast.Tests.Session;

/// <summary>
/// The checkpoint stores: the durable file store (format, crash leftovers, corruption, concurrent
/// saves) and the in-memory store. Every test gets its own temp directory.
/// </summary>
public sealed class CheckpointStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"c2fast-checkpoints-{Guid.NewGuid():N}");

    private string CheckpointPath => Path.Combine(_directory, "checkpoints.json");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static Dictionary<long, long> Map(params (long StrategyId, long SeqId)[] entries)
        => entries.ToDictionary(e => e.StrategyId, e => e.SeqId);

    private string[] TemporaryFiles() => Directory.GetFiles(_directory, "*.tmp");

    // ---- File store: round trip and format ----

    [Fact]
    public async Task SaveAsync_ThenLoadAsync_RoundTrips()
    {
        var store = new C2FileCheckpointStore(CheckpointPath);
        var saved = Map((101, 12345), (102, 0), (long.MaxValue, long.MaxValue), (7, 1));

        await store.SaveAsync(saved);
        var loaded = await new C2FileCheckpointStore(CheckpointPath).LoadAsync();

        Assert.Equal(saved, loaded);
        Assert.Empty(TemporaryFiles());
    }

    [Fact]
    public async Task SaveAsync_EmptyMap_LoadsEmpty()
    {
        var store = new C2FileCheckpointStore(CheckpointPath);
        await store.SaveAsync(Map((101, 5)));

        await store.SaveAsync(Map());

        Assert.True(File.Exists(CheckpointPath));
        Assert.Empty(await store.LoadAsync());
    }

    [Fact]
    public async Task LoadAsync_MissingFile_ReturnsEmpty()
    {
        var store = new C2FileCheckpointStore(CheckpointPath);

        var loaded = await store.LoadAsync();

        Assert.Empty(loaded);
        Assert.False(File.Exists(CheckpointPath));
    }

    [Fact]
    public void Constructor_MissingDirectory_CreatesIt()
    {
        string nested = Path.Combine(_directory, "a", "b", "checkpoints.json");

        var store = new C2FileCheckpointStore(nested);

        Assert.True(Directory.Exists(Path.Combine(_directory, "a", "b")));
        Assert.Equal(nested, store.FilePath);
    }

    [Fact]
    public void Constructor_RelativePath_ResolvesToFullPath()
    {
        var store = new C2FileCheckpointStore("relative-checkpoints.json");

        Assert.True(Path.IsPathFullyQualified(store.FilePath));
        Assert.Equal(Path.GetFullPath("relative-checkpoints.json"), store.FilePath);
    }

    [Fact]
    public void Constructor_PathIsDirectory_ThrowsArgumentException()
    {
        Directory.CreateDirectory(_directory);

        Assert.Throws<ArgumentException>(() => new C2FileCheckpointStore(_directory));
        Assert.Throws<ArgumentException>(() => new C2FileCheckpointStore(" "));
        Assert.Throws<ArgumentNullException>(() => new C2FileCheckpointStore(null!));
    }

    [Fact]
    public async Task SaveAsync_Twice_KeepsOnlyLatest()
    {
        var store = new C2FileCheckpointStore(CheckpointPath);
        await store.SaveAsync(Map((101, 10), (102, 20), (103, 30)));

        await store.SaveAsync(Map((101, 11), (104, 40)));

        Assert.Equal(Map((101, 11), (104, 40)), await store.LoadAsync());
    }

    [Fact]
    public async Task SaveAsync_AnyMap_WritesVersionedSortedHumanReadableJson()
    {
        var store = new C2FileCheckpointStore(CheckpointPath);

        await store.SaveAsync(Map((202, 9), (101, 12345)));

        string text = await File.ReadAllTextAsync(CheckpointPath);
        Assert.Equal(
            """
            {
              "version": 1,
              "strategies": {
                "101": 12345,
                "202": 9
              }
            }

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Fact]
    public async Task SaveAsync_CallerChangesMapAfterCall_SavesMapAsOfCall()
    {
        var store = new C2FileCheckpointStore(CheckpointPath);
        var map = Map((101, 1));

        ValueTask save = store.SaveAsync(map);
        map[101] = 999;
        map[102] = 5;
        await save;

        Assert.Equal(Map((101, 1)), await store.LoadAsync());
    }

    [Fact]
    public async Task LoadAsync_ReturnedMap_IsIndependentOfLaterSaves()
    {
        var store = new C2FileCheckpointStore(CheckpointPath);
        await store.SaveAsync(Map((101, 1)));
        var first = await store.LoadAsync();

        await store.SaveAsync(Map((101, 2)));

        Assert.Equal(1, first[101]);
    }

    // ---- File store: concurrency ----

    [Fact]
    public async Task SaveAsync_ConcurrentFromManyTasks_FileAlwaysHoldsOneSavedMap()
    {
        var store = new C2FileCheckpointStore(CheckpointPath);
        const int Writers = 64;
        var maps = Enumerable.Range(1, Writers)
            .Select(w => Enumerable.Range(1, 1 + (w % 7)).ToDictionary(s => (long)s, s => (long)((w * 1000) + s)))
            .ToArray();

        // A reader of the raw file while saves run: every snapshot must parse to one of the maps.
        using var stop = new CancellationTokenSource();
        int snapshots = 0;
        Task reader = Task.Run(async () =>
        {
            bool last = false;
            while (!last)
            {
                // One more read after the writers finished, so at least one snapshot is checked.
                last = stop.IsCancellationRequested;
                if (File.Exists(CheckpointPath))
                {
                    byte[] content = await File.ReadAllBytesAsync(CheckpointPath);
                    var parsed = CheckpointFormat.Parse(content, CheckpointPath);
                    Assert.Contains(maps, m => m.Count == parsed.Count && !m.Except(parsed).Any());
                    snapshots++;
                }

                await Task.Yield();
            }
        });

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task[] writers = maps.Select(map => Task.Run(async () =>
        {
            await start.Task;
            await store.SaveAsync(map);
        })).ToArray();
        start.SetResult();
        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await reader;

        var loaded = await new C2FileCheckpointStore(CheckpointPath).LoadAsync();
        Assert.Contains(maps, m => m.Count == loaded.Count && !m.Except(loaded).Any());
        Assert.Empty(TemporaryFiles());
        Assert.True(snapshots > 0);
    }

    [Fact]
    public async Task SaveAsync_SequentialCalls_LastMapWins()
    {
        var store = new C2FileCheckpointStore(CheckpointPath);
        for (int i = 1; i <= 20; i++)
        {
            await store.SaveAsync(Map((101, i), (102, i * 2)));
        }

        Assert.Equal(Map((101, 20), (102, 40)), await store.LoadAsync());
    }

    [Fact]
    public async Task SaveAsync_ManyCallsWithoutAwaiting_LastCallWins()
    {
        var store = new C2FileCheckpointStore(CheckpointPath);

        var saves = new List<Task>();
        for (int i = 1; i <= 50; i++)
        {
            saves.Add(store.SaveAsync(Map((101, i))).AsTask());
        }

        await Task.WhenAll(saves);

        Assert.Equal(Map((101, 50)), await store.LoadAsync());
        Assert.Empty(TemporaryFiles());
    }

    [Fact]
    public async Task SaveAsync_TwoStoresOnSamePath_NeverCorruptTheFile()
    {
        var a = new C2FileCheckpointStore(CheckpointPath);
        var b = new C2FileCheckpointStore(CheckpointPath);

        Task Run(C2FileCheckpointStore store, long strategy) => Task.Run(async () =>
        {
            for (int i = 0; i < 25; i++)
            {
                await store.SaveAsync(Map((strategy, i)));
            }
        });
        await Task.WhenAll(Run(a, 1), Run(b, 2));

        var loaded = await a.LoadAsync();
        Assert.True(loaded.SequenceEqual(Map((1, 24))) || loaded.SequenceEqual(Map((2, 24))), string.Join(",", loaded));
        Assert.Empty(TemporaryFiles());
    }

    [Fact]
    public async Task SaveAsync_CanceledBeforeStart_WritesNothing()
    {
        var store = new C2FileCheckpointStore(CheckpointPath);
        await store.SaveAsync(Map((101, 1)));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await store.SaveAsync(Map((101, 2)), new CancellationToken(canceled: true)));

        Assert.Equal(Map((101, 1)), await store.LoadAsync());
        Assert.Empty(TemporaryFiles());
    }

    // ---- File store: crash leftovers ----

    [Fact]
    public async Task LoadAsync_StrayTempFilesFromCrashBeforeRename_IgnoredAndDeleted()
    {
        var store = new C2FileCheckpointStore(CheckpointPath);
        await store.SaveAsync(Map((101, 100)));

        // Crash after the temp write, before the rename: a complete temp file with newer data...
        string complete = CheckpointPath + ".0badf00d.tmp";
        await File.WriteAllTextAsync(complete, """{"version":1,"strategies":{"101":200}}""");
        // ...and a crash mid-write: a truncated one.
        string truncated = CheckpointPath + ".deadbeef.tmp";
        await File.WriteAllTextAsync(truncated, """{"version":1,"strate""");

        var loaded = await new C2FileCheckpointStore(CheckpointPath).LoadAsync();

        Assert.Equal(Map((101, 100)), loaded);
        Assert.False(File.Exists(complete));
        Assert.False(File.Exists(truncated));
    }

    [Fact]
    public async Task LoadAsync_OnlyTruncatedTempFileExists_ReturnsEmpty()
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllBytesAsync(CheckpointPath + ".01234567.tmp", "{\"vers"u8.ToArray());

        var loaded = await new C2FileCheckpointStore(CheckpointPath).LoadAsync();

        Assert.Empty(loaded);
        Assert.Empty(TemporaryFiles());
    }

    [Fact]
    public async Task LoadAsync_FilesNotMatchingTempPattern_LeftAlone()
    {
        Directory.CreateDirectory(_directory);
        string[] others =
        [
            CheckpointPath + ".tmp",
            CheckpointPath + ".backup",
            CheckpointPath + ".XYZ12345.tmp",
            CheckpointPath + ".0123456.tmp",
            Path.Combine(_directory, "other.json.01234567.tmp"),
        ];
        foreach (string other in others)
        {
            await File.WriteAllTextAsync(other, "keep");
        }

        await new C2FileCheckpointStore(CheckpointPath).LoadAsync();

        Assert.All(others, other => Assert.True(File.Exists(other), other));
    }

    [Fact]
    public async Task SaveAsync_StrayTempFilePresent_SaveSucceeds()
    {
        var store = new C2FileCheckpointStore(CheckpointPath);
        await File.WriteAllTextAsync(CheckpointPath + ".00000000.tmp", "garbage");

        await store.SaveAsync(Map((101, 3)));

        Assert.Equal(Map((101, 3)), await store.LoadAsync());
    }

    [Fact]
    public async Task SaveAsync_RenameFails_ThrowsAndLeavesNoTempFile()
    {
        var store = new C2FileCheckpointStore(CheckpointPath);
        Directory.CreateDirectory(CheckpointPath);
        File.WriteAllText(Path.Combine(CheckpointPath, "occupied"), "x");

        var error = await Assert.ThrowsAnyAsync<Exception>(async () => await store.SaveAsync(Map((101, 1))));

        Assert.True(error is IOException or UnauthorizedAccessException, error.ToString());
        Assert.Empty(TemporaryFiles());
    }

    // ---- File store: corrupt files ----

    public static TheoryData<string, string> CorruptFiles() => new()
    {
        { "empty", "" },
        { "whitespace", "  \n" },
        { "not JSON", "checkpoints: 101=5" },
        { "truncated", """{"version":1,"strategies":{"101":12""" },
        { "array root", """[1,2]""" },
        { "missing version", """{"strategies":{"101":1}}""" },
        { "missing strategies", """{"version":1}""" },
        { "future version", """{"version":2,"strategies":{"101":1}}""" },
        { "version as string", """{"version":"1","strategies":{}}""" },
        { "duplicate version", """{"version":1,"version":1,"strategies":{}}""" },
        { "duplicate strategies", """{"version":1,"strategies":{},"strategies":{}}""" },
        { "strategies not object", """{"version":1,"strategies":[]}""" },
        { "zero id", """{"version":1,"strategies":{"0":1}}""" },
        { "negative id", """{"version":1,"strategies":{"-5":1}}""" },
        { "signed id", """{"version":1,"strategies":{"+5":1}}""" },
        { "leading zero id", """{"version":1,"strategies":{"0101":1}}""" },
        { "spaced id", """{"version":1,"strategies":{" 101":1}}""" },
        { "text id", """{"version":1,"strategies":{"abc":1}}""" },
        { "overflowing id", """{"version":1,"strategies":{"9223372036854775808":1}}""" },
        { "very long id", "{\"version\":1,\"strategies\":{\"" + new string('1', 200) + "\":1}}" },
        { "negative seq", """{"version":1,"strategies":{"101":-1}}""" },
        { "fractional seq", """{"version":1,"strategies":{"101":1.5}}""" },
        { "exponent seq", """{"version":1,"strategies":{"101":1e3}}""" },
        { "string seq", """{"version":1,"strategies":{"101":"5"}}""" },
        { "null seq", """{"version":1,"strategies":{"101":null}}""" },
        { "overflowing seq", """{"version":1,"strategies":{"101":9223372036854775808}}""" },
        { "duplicate id", """{"version":1,"strategies":{"101":1,"101":2}}""" },
        { "trailing data", """{"version":1,"strategies":{}} {}""" },
        { "trailing comma", """{"version":1,"strategies":{"101":1,}}""" },
        { "comment", """{"version":1,/* hi */"strategies":{}}""" },
    };

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public async Task LoadAsync_CorruptFile_ThrowsInvalidDataExceptionNamingPath(string reason, string content)
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllTextAsync(CheckpointPath, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        var store = new C2FileCheckpointStore(CheckpointPath);

        var error = await Assert.ThrowsAsync<InvalidDataException>(async () => await store.LoadAsync());

        Assert.True(error.Message.Contains(CheckpointPath, StringComparison.Ordinal), $"{reason}: {error.Message}");
        Assert.True(File.Exists(CheckpointPath), "a corrupt file is never deleted or replaced by a load");
    }

    [Fact]
    public async Task LoadAsync_InvalidUtf8_ThrowsInvalidDataException()
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllBytesAsync(CheckpointPath, [.. "{\"version\":1,\"strategies\":{\""u8, 0xFF, 0xFE, .. "\":1}}"u8]);

        var error = await Assert.ThrowsAsync<InvalidDataException>(async () => await new C2FileCheckpointStore(CheckpointPath).LoadAsync());

        Assert.Contains(CheckpointPath, error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Found by the checkpoint fuzz target (tests/C2Fast.Fuzz/findings/checkpoint/invalid-utf8-in-an-ignored-member):
    /// invalid UTF-8 in a member the reader skips went through, so a file corrupted there was trusted.
    /// </summary>
    [Theory]
    [InlineData(new byte[] { 0x7B, 0x22, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6F, 0x6E, 0x22, 0x3A, 0x31, 0x2C, 0x22, 0x78, 0x80, 0x22, 0x3A, 0x31, 0x2C, 0x22, 0x73, 0x74, 0x72, 0x61, 0x74, 0x65, 0x67, 0x69, 0x65, 0x73, 0x22, 0x3A, 0x7B, 0x7D, 0x7D })] // {"version":1,"x\x80":1,"strategies":{}}
    [InlineData(new byte[] { 0x7B, 0x22, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6F, 0x6E, 0x22, 0x3A, 0x31, 0x2C, 0x22, 0x6E, 0x6F, 0x74, 0x65, 0x22, 0x3A, 0x22, 0xC3, 0x22, 0x2C, 0x22, 0x73, 0x74, 0x72, 0x61, 0x74, 0x65, 0x67, 0x69, 0x65, 0x73, 0x22, 0x3A, 0x7B, 0x7D, 0x7D })] // {"version":1,"note":"\xC3","strategies":{}}
    public void Parse_InvalidUtf8InAnIgnoredMember_Corrupt(byte[] content)
    {
        var error = Assert.Throws<InvalidDataException>(() => CheckpointFormat.Parse(content, CheckpointPath));

        Assert.Contains("not valid UTF-8", error.Message, StringComparison.Ordinal);
        Assert.Contains(CheckpointPath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_HandEditedFile_AcceptsBomUnknownPropertiesAndCompactForm()
    {
        Directory.CreateDirectory(_directory);
        byte[] content =
        [
            0xEF, 0xBB, 0xBF,
            .. """{"comment":{"by":"ops","n":[1,2]},"strategies":{"101":5,"9223372036854775807":0},"version":1}"""u8,
            .. "\r\n"u8,
        ];
        await File.WriteAllBytesAsync(CheckpointPath, content);

        var loaded = await new C2FileCheckpointStore(CheckpointPath).LoadAsync();

        Assert.Equal(Map((101, 5), (long.MaxValue, 0)), loaded);
    }

    [Fact]
    public async Task LoadAsync_EscapedDigitsInId_Parses()
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllTextAsync(CheckpointPath, """{"version":1,"strategies":{"\u0031\u00301":7}}""");

        Assert.Equal(Map((101, 7)), await new C2FileCheckpointStore(CheckpointPath).LoadAsync());
    }

    [Fact]
    public async Task LoadAsync_CorruptFile_NextSaveRepairsIt()
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllTextAsync(CheckpointPath, "{");
        var store = new C2FileCheckpointStore(CheckpointPath);
        await Assert.ThrowsAsync<InvalidDataException>(async () => await store.LoadAsync());

        await store.SaveAsync(Map((101, 1)));

        Assert.Equal(Map((101, 1)), await store.LoadAsync());
    }

    // ---- Validation (both stores) ----

    public static TheoryData<long, long> InvalidEntries() => new()
    {
        { 0, 1 },
        { -1, 1 },
        { long.MinValue, 1 },
        { 101, -1 },
        { 101, long.MinValue },
    };

    [Theory]
    [MemberData(nameof(InvalidEntries))]
    public async Task FileSaveAsync_InvalidEntry_ThrowsArgumentOutOfRangeAndWritesNothing(long strategyId, long seqId)
    {
        var store = new C2FileCheckpointStore(CheckpointPath);
        await store.SaveAsync(Map((5, 5)));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            "checkpoints",
            async () => await store.SaveAsync(Map((999_999, 1), (strategyId, seqId))));

        Assert.Equal(Map((5, 5)), await store.LoadAsync());
        Assert.Empty(TemporaryFiles());
    }

    [Theory]
    [MemberData(nameof(InvalidEntries))]
    public async Task MemorySaveAsync_InvalidEntry_ThrowsArgumentOutOfRangeAndKeepsMap(long strategyId, long seqId)
    {
        var store = new C2MemoryCheckpointStore(Map((5, 5)));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            "checkpoints",
            async () => await store.SaveAsync(Map((strategyId, seqId))));

        Assert.Equal(Map((5, 5)), await store.LoadAsync());
        Assert.Equal(0, store.SaveCount);
    }

    [Theory]
    [MemberData(nameof(InvalidEntries))]
    public void MemoryConstructor_InvalidEntry_ThrowsArgumentOutOfRange(long strategyId, long seqId)
    {
        Assert.Throws<ArgumentOutOfRangeException>("checkpoints", () => new C2MemoryCheckpointStore(Map((strategyId, seqId))));
    }

    [Fact]
    public async Task SaveAsync_NullMap_ThrowsArgumentNull()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await new C2FileCheckpointStore(CheckpointPath).SaveAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await new C2MemoryCheckpointStore().SaveAsync(null!));
    }

    // ---- Memory store ----

    [Fact]
    public async Task MemoryLoadAsync_New_ReturnsEmpty()
    {
        var store = new C2MemoryCheckpointStore();

        Assert.Empty(await store.LoadAsync());
        Assert.Equal(0, store.SaveCount);
    }

    [Fact]
    public async Task MemorySaveAsync_ThenLoadAsync_RoundTripsAndReplaces()
    {
        var store = new C2MemoryCheckpointStore(Map((1, 1)));

        await store.SaveAsync(Map((101, 12345), (102, 0)));
        await store.SaveAsync(Map((101, 12346)));

        Assert.Equal(Map((101, 12346)), await store.LoadAsync());
        Assert.Equal(2, store.SaveCount);
    }

    [Fact]
    public async Task MemoryStore_CallerMutations_DoNotLeakIn()
    {
        var initial = Map((1, 1));
        var store = new C2MemoryCheckpointStore(initial);
        initial[1] = 99;

        var saved = Map((101, 5));
        await store.SaveAsync(saved);
        saved[101] = 6;

        var loaded = (Dictionary<long, long>)await store.LoadAsync();
        loaded[101] = 7;

        Assert.Equal(Map((101, 5)), await store.LoadAsync());
    }

    [Fact]
    public async Task MemoryStore_CanceledToken_ReturnsCanceledAndKeepsMap()
    {
        var store = new C2MemoryCheckpointStore(Map((1, 1)));
        var canceled = new CancellationToken(canceled: true);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.SaveAsync(Map((1, 2)), canceled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.LoadAsync(canceled));

        Assert.Equal(Map((1, 1)), await store.LoadAsync());
    }

    [Fact]
    public async Task MemorySaveAsync_ConcurrentFromManyTasks_HoldsOneSavedMap()
    {
        var store = new C2MemoryCheckpointStore();
        var maps = Enumerable.Range(1, 64).Select(w => Map((w, w), (1000 + w, w))).ToArray();

        await Task.WhenAll(maps.Select(m => Task.Run(async () => await store.SaveAsync(m))));

        var loaded = await store.LoadAsync();
        Assert.Contains(maps, m => m.Count == loaded.Count && !m.Except(loaded).Any());
        Assert.Equal(64, store.SaveCount);
    }

    // ---- Directory fsync ----

    [Fact]
    public void SyncDirectory_ExistingDirectory_Succeeds()
    {
        Directory.CreateDirectory(_directory);

        DurableFile.SyncDirectory(_directory);
    }

    [Fact]
    public void SyncDirectory_MissingDirectoryOnUnix_ThrowsIOException()
    {
        // Proves the libc call really runs: a skipped sync would return quietly.
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()))
        {
            return;
        }

        var error = Assert.Throws<IOException>(() => DurableFile.SyncDirectory(Path.Combine(_directory, "missing")));
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }
}
