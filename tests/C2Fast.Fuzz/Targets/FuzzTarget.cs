namespace C2Fast.Fuzz.Targets;

/// <summary>
/// One input surface of the library under the fuzzer: <see cref="Run"/> feeds it one input and throws
/// <see cref="InvariantViolationException"/> (or lets the library's own exception escape) when an invariant breaks,
/// so AFL records a crash. Targets are plain code: the fuzz executable and the unit tests' corpus replay run the same
/// files.
/// </summary>
internal interface IFuzzTarget
{
    /// <summary>The name used by <c>fuzz.sh</c>, the corpus folder and the findings folder.</summary>
    string Name { get; }

    /// <summary>One line for <c>fuzz.sh --list</c>.</summary>
    string Description { get; }

    /// <summary>Runs one input; returns normally when every invariant held.</summary>
    void Run(ReadOnlySpan<byte> input);
}

/// <summary>Every target, by name.</summary>
internal static class FuzzTargets
{
    public static IReadOnlyList<IFuzzTarget> All { get; } =
    [
        new FrameHeaderTarget(),
        new HandshakeResponseTarget(),
        new EnvelopeTarget(),
        new Utf8ValidationTarget(),
        new CloseFrameTarget(),
        new CheckpointFileTarget(),
        new ReceivePathTarget(),
    ];

    public static IFuzzTarget? Find(string name) => All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal));
}
