using System.Reflection.Emit;
using C2Fast.Tests.Architecture.Samples;

namespace C2Fast.Tests.Architecture;

/// <summary>
/// The library's layering, checked over the compiled C2Fast.dll: no type may depend on a type of a higher layer.
/// The first tests state and check the rules; the rest prove the scanner sees every kind of reference, on tiny
/// samples in this assembly and on known references in C2Fast.dll, so the rule test cannot pass by seeing nothing.
/// </summary>
public class LayerDependencyTests
{
    /// <summary>
    /// The layers by namespace, lowest first. A type may reference types of its own layer and of lower ones, never of a
    /// higher one. A namespace's sub-namespaces belong to its layer (except under the root, which is only itself).
    /// Diagnostics (logging, metrics, counters) is the bottom: every layer may use it, and it may use no other.
    /// </summary>
    private static readonly Layer[] LayerTable =
    [
        new("C2Fast.Diagnostics", 0),
        new("C2Fast.Transport", 1),
        new("C2Fast.Handshake", 2),
        new("C2Fast.Framing", 3),
        new("C2Fast.Protocol", 4),
        new("C2Fast.Dispatch", 5),
        new("C2Fast.Session", 6),
        new(RootNamespace, 7), // the public API: the facade and the contract types
    ];

    /// <summary>The root namespace: the facade <see cref="Facade"/> plus the public contract types (options, errors, messages, event args, enums, checkpoint stores).</summary>
    private const string RootNamespace = "C2Fast";

    /// <summary>The top of the library: nothing below the root may reference it.</summary>
    private const string Facade = "C2Fast.C2FeedClient";

    /// <summary>The one sanctioned upward edge: this layer (and only it) may use the root's PUBLIC types other than the facade.</summary>
    private const string ContractUser = "C2Fast.Session";

    private sealed record Layer(string Namespace, int Rank);

    private static readonly Lazy<IReadOnlyList<TypeDependency>> Library = new(() => AssemblyReferences.Scan(typeof(C2FeedClient).Assembly));

    private static readonly Lazy<IReadOnlyList<TypeDependency>> Samples = new(() => AssemblyReferences.Scan(typeof(LayerDependencyTests).Assembly));

    private static Layer? LayerOf(string ns) => LayerTable.FirstOrDefault(l => ns == l.Namespace)
        ?? LayerTable.Where(l => l.Namespace != RootNamespace && ns.StartsWith(l.Namespace + ".", StringComparison.Ordinal))
            .MaxBy(l => l.Namespace.Length);

    private static bool Allowed(TypeDependency dependency, Layer from, Layer to)
        => to.Rank <= from.Rank
        || (from.Namespace == ContractUser && to.Namespace == RootNamespace && dependency.To.IsPublic && dependency.To.Owner != Facade);

    /// <summary>
    /// Every reference against the rules, one line per (from type, to type) as "From (Namespace) -> To (Namespace) via
    /// first site (+N more)", sorted; the first site is a declaration (field, signature, ...) if there is one, else IL.
    /// Nested and compiler-generated types count as their outermost type; types outside the C2Fast namespaces
    /// (compiler-emitted <c>&lt;PrivateImplementationDetails&gt;</c>, embedded attributes, generated regexes, other
    /// assemblies) take no part.
    /// </summary>
    private static List<string> Violations(IEnumerable<TypeDependency> dependencies)
        => dependencies
            .Where(d => d.To.IsInAssembly)
            .Select(d => (Dependency: d, From: LayerOf(d.From.Namespace), To: LayerOf(d.To.Namespace)))
            .Where(x => x.From is not null && x.To is not null && !Allowed(x.Dependency, x.From, x.To))
            .GroupBy(x => (x.Dependency.From.Owner, x.Dependency.To.Owner))
            .Select(g =>
            {
                TypeDependency first = g.First().Dependency;
                List<string> sites = g.Select(x => x.Dependency)
                    .OrderBy(d => d.Kind.StartsWith("IL ", StringComparison.Ordinal)) // a declaration first, if there is one
                    .ThenBy(d => d.Via, StringComparer.Ordinal)
                    .Select(d => d.Via)
                    .Distinct()
                    .ToList();
                string more = sites.Count > 1 ? $" (+{sites.Count - 1} more)" : "";
                return $"{first.From.Owner} ({first.From.Namespace}) -> {first.To.Owner} ({first.To.Namespace}) via {sites[0]}{more}";
            })
            .Order(StringComparer.Ordinal)
            .ToList();

    // ---- the rules ----

    [Fact]
    public void C2FastAssembly_EveryReference_StaysInItsLayerOrBelow()
    {
        List<string> violations = Violations(Library.Value);

        Assert.True(violations.Count == 0,
            $"{violations.Count} upward dependencies between C2Fast's layers (from type -> to type via the first site):{Environment.NewLine}"
            + string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void LayerTable_EveryC2FastNamespace_HasALayer()
    {
        List<string> unplaced = typeof(C2FeedClient).Assembly.GetTypes()
            .Select(t => t.Namespace ?? "")
            .Where(ns => ns == RootNamespace || ns.StartsWith(RootNamespace + ".", StringComparison.Ordinal))
            .Where(ns => LayerOf(ns) is null)
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(unplaced.Count == 0, $"Namespaces missing from the layer table:{Environment.NewLine}{string.Join(Environment.NewLine, unplaced)}");
    }

    [Fact]
    public void Violations_SampleEdges_FollowTheLayerRules()
    {
        static TypeDependency Edge(string from, string to, bool toIsPublic = true)
        {
            static ScannedType Type(string fullName, bool isPublic)
                => new(fullName, fullName[..fullName.LastIndexOf('.')], fullName, "C2Fast", isPublic, IsInAssembly: true);
            return new TypeDependency(Type(from, false), Type(to, toIsPublic), "IL call", from);
        }

        Assert.Empty(Violations(
        [
            Edge("C2Fast.Framing.A", "C2Fast.Framing.B"),             // own layer
            Edge("C2Fast.Framing.A", "C2Fast.Transport.B"),           // lower layer
            Edge("C2Fast.Framing.A", "C2Fast.Diagnostics.Log"),       // Diagnostics, from anywhere
            Edge("C2Fast.Session.A", "C2Fast.C2FeedOptions"),         // Session -> a public contract type
            Edge("C2Fast.C2FeedClient", "C2Fast.Dispatch.B"),         // the root uses everything
            Edge("C2Fast.Framing.Sub.A", "C2Fast.Framing.B"),         // a sub-namespace is its parent's layer
            Edge("C2Fast.Framing.A", "System.Text.Json.Foo"),         // not a C2Fast namespace
        ]));

        Assert.Equal(7, Violations(
        [
            Edge("C2Fast.Framing.A", "C2Fast.Protocol.B"),            // upward
            Edge("C2Fast.Framing.A", "C2Fast.C2FeedOptions"),         // below Session, even public contract types are out
            Edge("C2Fast.Session.A", "C2Fast.C2FeedClient"),          // the facade is the top
            Edge("C2Fast.Session.A", "C2Fast.ThrowHelper", false),    // Session: public root types only
            Edge("C2Fast.Dispatch.A", "C2Fast.Session.B"),            // upward
            Edge("C2Fast.Diagnostics.Log", "C2Fast.Transport.B"),     // Diagnostics uses no other layer
            Edge("C2Fast.Transport.A", "C2Fast.Framing.Sub.B"),       // upward into a sub-namespace
        ]).Count);
    }

    // ---- the scanner finds each kind of reference ----

    private static List<TypeDependency> Edges<TFrom, TTo>()
        => Edges(typeof(TFrom), typeof(TTo));

    private static List<TypeDependency> Edges(Type from, Type to)
        => Samples.Value.Where(d => d.From.Owner == from.FullName && d.To.FullName == to.FullName).ToList();

    private static void AssertFound(List<TypeDependency> edges, string kind)
        => Assert.True(edges.Any(e => e.Kind == kind), $"No '{kind}' reference among: {string.Join("; ", edges.Select(e => e.Via))}");

    [Fact]
    public void Scan_MethodBodyNewsUpType_FindsNewobj()
        => AssertFound(Edges<NewsUp, NewedTarget>(), "IL newobj");

    [Fact]
    public void Scan_FieldOfType_FindsFieldType()
    {
        List<TypeDependency> edges = Edges<HoldsField, FieldTarget>();

        AssertFound(edges, "field");
        Assert.All(edges, e => Assert.Equal($"{typeof(HoldsField).FullName}.Field", e.Site));
    }

    [Fact]
    public void Scan_GenericArguments_FindsTypesInsideTypeAndMethodInstantiations()
    {
        AssertFound(Edges<UsesGenericArguments, GenericArgTarget>(), "IL newobj");   // List<GenericArgTarget>..ctor: member of a type spec
        AssertFound(Edges<UsesGenericArguments, GenericMethodArgTarget>(), "IL call"); // Array.Empty<GenericMethodArgTarget>: a method spec
        Assert.Contains(Edges(typeof(UsesGenericArguments), typeof(List<>)), e => e.Kind == "IL newobj" && e.Member == ".ctor");
    }

    [Fact]
    public void Scan_StaticCallInsideLambda_AttributedToEnclosingType()
    {
        List<TypeDependency> edges = Edges(typeof(CallsInLambda), typeof(LambdaTarget));

        AssertFound(edges, "IL call");
        Assert.Contains(edges, e => e.From.FullName.StartsWith(typeof(CallsInLambda).FullName + "+", StringComparison.Ordinal)); // from the closure class
        Assert.All(edges, e => Assert.Equal("C2Fast.Tests.Architecture.Samples", e.From.Namespace));
    }

    [Fact]
    public void Scan_StaticCallInsideAsyncMethod_AttributedToEnclosingType()
    {
        List<TypeDependency> edges = Edges(typeof(CallsInAsync), typeof(AsyncTarget));

        AssertFound(edges, "IL call");
        Assert.Contains(edges, e => e.From.FullName.StartsWith(typeof(CallsInAsync).FullName + "+<RunAsync>", StringComparison.Ordinal)
            && e.Site.EndsWith(".MoveNext", StringComparison.Ordinal)); // from the state machine
    }

    [Fact]
    public void Scan_EnumConstantPassedToMethod_FindsEnumInCalleeSignature()
    {
        Assert.Contains(Edges<PassesEnumConstant, ParameterEnumTarget>(), e => e.Kind == "IL call" && e.Member == nameof(TakesEnum.Use));        // a method definition
        Assert.Contains(Edges<PassesEnumConstant, GenericParameterEnumTarget>(), e => e.Kind == "IL call" && e.Member == nameof(TakesEnum.Use)); // a member reference
    }

    [Fact]
    public void Scan_CatchClause_FindsCaughtType()
        => Assert.Equal(["catch"], Edges<Catches, CaughtTarget>().Select(e => e.Kind).Distinct());

    [Fact]
    public void Scan_LocalVariable_FindsLocalSignatureType()
        => Assert.Equal(["local"], Edges<HoldsLocal, LocalTarget>().Select(e => e.Kind).Distinct());

    [Fact]
    public void Scan_TypeHeader_FindsBaseTypeInterfaceAndConstraint()
    {
        AssertFound(Edges(typeof(Derived<>), typeof(BaseTarget)), "base type");
        AssertFound(Edges(typeof(Derived<>), typeof(IInterfaceTarget)), "interface");
        AssertFound(Edges(typeof(Derived<>), typeof(ConstraintTarget)), "generic constraint");
    }

    [Fact]
    public void Scan_Attribute_FindsAttributeTypeAndTypeofAndEnumArguments()
    {
        AssertFound(Edges<Annotated, MarkAttribute>(), "attribute");
        AssertFound(Edges<Annotated, TypeofTarget>(), "attribute argument");
        AssertFound(Edges<Annotated, TypeofGenericArgTarget>(), "attribute argument"); // inside typeof(Dictionary<string, T[]>) in a params array
        AssertFound(Edges<Annotated, EnumArgumentTarget>(), "attribute argument");
    }

    [Fact]
    public void Decode_SwitchAndWideOperands_StaysOnInstructionBoundaries()
    {
        byte[] il = typeof(Switches).GetMethod(nameof(Switches.Run))!.GetMethodBody()!.GetILAsByteArray()!;

        IReadOnlyList<Instruction> instructions = AssemblyReferences.Decode(il);

        // The sample really has the awkward forms, in this order, each instruction starting where the previous one ends.
        List<OpCode> ops = instructions.Select(i => i.OpCode).ToList();
        int at = ops.IndexOf(OpCodes.Switch);
        Assert.True(at >= 0, "no switch");
        Assert.Equal(instructions[at].Offset + 1 + 4 + (4 * 5), instructions[at + 1].Offset); // 5 targets: cases 0..4
        Assert.True(ops.IndexOf(OpCodes.Ldc_I8) > at, "no ldc.i8 after the switch");
        Assert.True(ops.IndexOf(OpCodes.Ldc_R8) > at, "no ldc.r8 after the switch");
        Assert.True(ops.IndexOf(OpCodes.Initobj) > at, "no initobj after the switch");
        Assert.Equal(OpCodes.Ret, ops[^1]);
        Assert.Equal(il.Length, instructions[^1].Offset + OpCodes.Ret.Size);

        // ... and the tokens after them are still read right.
        AssertFound(Edges(typeof(Switches), typeof(InitTarget)), "IL initobj");
        Assert.Contains(Edges(typeof(Switches), typeof(AfterSwitchTarget)), e => e.Kind == "IL call" && e.Member == nameof(AfterSwitchTarget.Value));
    }

    [Fact]
    public void Decode_UnknownOpcodeOrTruncatedOperand_Throws()
    {
        Assert.Throws<InvalidDataException>(() => AssemblyReferences.Decode([0xFE, 0xFF]));             // no such two-byte opcode
        Assert.Throws<InvalidDataException>(() => AssemblyReferences.Decode([0x28, 0x01, 0x00]));       // call with a 3-byte token
        Assert.Throws<InvalidDataException>(() => AssemblyReferences.Decode([0x45, 0x02, 0, 0, 0, 0])); // switch: 2 targets, 1 present
    }

    [Fact]
    public void Scan_C2FastAssembly_SeesKnownReferences()
    {
        IReadOnlyList<TypeDependency> all = Library.Value;
        List<TypeDependency> local = all.Where(d => d.To.IsInAssembly && d.From.Owner != d.To.Owner && LayerOf(d.From.Namespace) is not null).ToList();

        // Known, legitimate references that survive any layering refactor.
        Assert.Contains(local, d => d.From.Namespace == "C2Fast.Framing" && d.To.FullName == "C2Fast.Framing.FrameHeaderParser" && d.Kind == "IL call");
        Assert.Contains(local, d => d.From.Namespace == "C2Fast.Framing" && d.To.FullName == "C2Fast.Framing.Mask" && d.Kind == "IL call");
        Assert.Contains(local, d => d.From.FullName == "C2Fast.Framing.FrameHeaderParser" && d.To.FullName == "C2Fast.Framing.FrameHeader");
        Assert.Contains(local, d => d.From.Namespace == "C2Fast.Protocol" && d.To.FullName == "C2Fast.Protocol.Envelope");
        Assert.Contains(local, d => d.From.FullName == RootNamespace + ".C2FeedClient" && d.To.FullName == RootNamespace + ".C2FeedOptions");

        // Every layer that exists today is seen using other types, and there are many such pairs.
        foreach (Layer layer in LayerTable.Where(l => l.Namespace != "C2Fast.Diagnostics"))
        {
            Assert.Contains(local, d => d.From.Namespace == layer.Namespace);
        }

        Assert.True(local.Select(d => (d.From.Owner, d.To.Owner)).Distinct().Count() >= 100, "fewer than 100 type-to-type references between C2Fast's own types");

        // Each kind of reference turns up somewhere in the library.
        string[] kinds = ["base type", "interface", "attribute", "attribute argument", "field", "property", "signature", "local", "catch",
            "IL call", "IL callvirt", "IL newobj", "IL ldfld", "IL stfld", "IL ldsfld", "IL initobj", "IL box", "IL ldtoken", "IL ldftn"];
        Assert.All(kinds, kind => Assert.Contains(all, d => d.Kind == kind));
    }
}
