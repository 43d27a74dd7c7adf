using C2Fast.Fuzz.Targets;

namespace C2Fast.Tests.Fuzz;

/// <summary>
/// Every seed under tests/C2Fast.Fuzz/corpus/&lt;target&gt;/ and every saved finding under
/// tests/C2Fast.Fuzz/findings/&lt;target&gt;/ through the same target code AFL runs, invariants included: the
/// fuzzing surface stays covered in CI in seconds, and a fixed finding stays fixed.
/// </summary>
public class CorpusReplayTests
{
    /// <summary>
    /// Findings not fixed yet, by path under tests/C2Fast.Fuzz: left out of <see cref="Input_HoldsEveryInvariant"/> and
    /// replayed by a skipped test of their own below, until the bug is fixed in main; then the entry and its test go and
    /// the file is replayed like any other.
    /// </summary>
    internal static readonly Dictionary<string, string> OpenFindings = new(StringComparer.Ordinal)
    {
    };

    private static readonly string FuzzRoot = FindFuzzRoot();

    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (string kind in new[] { "corpus", "findings" })
        {
            string root = Path.Combine(FuzzRoot, kind);
            if (!Directory.Exists(root))
            {
                continue;
            }

            foreach (string file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                string relative = Path.GetRelativePath(FuzzRoot, file).Replace('\\', '/');
                string target = relative.Split('/')[1];
                if (!OpenFindings.ContainsKey(relative) && !relative.EndsWith("/README.md", StringComparison.Ordinal) && !relative.EndsWith(".gitkeep", StringComparison.Ordinal))
                {
                    data.Add(target, relative);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Input_HoldsEveryInvariant(string target, string path)
    {
        IFuzzTarget fuzzTarget = FuzzTargets.Find(target) ?? throw new InvalidOperationException($"{path}: no fuzz target named '{target}'");
        fuzzTarget.Run(File.ReadAllBytes(Path.Combine(FuzzRoot, path)));
    }

    [Fact]
    public void EveryTarget_HasASeedCorpus_AndEveryFolderATarget()
    {
        foreach (IFuzzTarget target in FuzzTargets.All)
        {
            string folder = Path.Combine(FuzzRoot, "corpus", target.Name);
            Assert.True(Directory.Exists(folder) && Directory.EnumerateFiles(folder).Any(), $"no seeds for {target.Name}");
        }

        foreach (string kind in new[] { "corpus", "findings" })
        {
            string root = Path.Combine(FuzzRoot, kind);
            foreach (string folder in Directory.Exists(root) ? Directory.EnumerateDirectories(root) : [])
            {
                Assert.True(FuzzTargets.Find(Path.GetFileName(folder)) is not null, $"{folder} names no fuzz target");
            }
        }
    }

    [Fact]
    public void OpenFindings_NameFilesThatExist()
    {
        foreach (string path in OpenFindings.Keys)
        {
            Assert.True(File.Exists(Path.Combine(FuzzRoot, path)), $"{path} is listed as an open finding but does not exist");
        }
    }

    private static string FindFuzzRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "tests", "C2Fast.Fuzz");
            if (File.Exists(Path.Combine(directory.FullName, "C2Fast.sln")) && Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"tests/C2Fast.Fuzz not found above {AppContext.BaseDirectory}");
    }
}
