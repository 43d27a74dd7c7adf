using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace C2Fast.Tests.Architecture;

/// <summary>A type as the scanner sees it.</summary>
/// <param name="FullName">Reflection-style name, nested types joined with '+' (e.g. <c>C2Fast.Framing.WebSocketConnection+&lt;ReadAsync&gt;d__5</c>).</param>
/// <param name="Namespace">The namespace of the outermost declaring type (a nested type lives where its outermost type lives).</param>
/// <param name="Owner">The outermost declaring type's full name: the unit the layer rules speak about.</param>
/// <param name="Assembly">The full name of the assembly that defines the type.</param>
/// <param name="IsPublic">The type and every type enclosing it are public.</param>
/// <param name="IsInAssembly">Defined in the scanned assembly (not a reference into another one).</param>
internal sealed record ScannedType(string FullName, string Namespace, string Owner, string Assembly, bool IsPublic, bool IsInAssembly);

/// <summary>One reference from a type of the scanned assembly to a type.</summary>
/// <param name="From">The type whose metadata or IL holds the reference (nested types included; see <see cref="ScannedType.Owner"/>).</param>
/// <param name="To">The referenced type (a generic argument counts as referenced in its own right).</param>
/// <param name="Kind">What kind of reference: "base type", "interface", "generic constraint", "attribute", "attribute argument",
/// "field", "property", "event", "signature", "local", "catch", "method impl", or "IL &lt;opcode&gt;" for a token in a method body.</param>
/// <param name="Site">Where: the type, or the type and member, holding the reference.</param>
/// <param name="Member">For a member token (a call, a field access, an attribute constructor): the member's name.</param>
internal sealed record TypeDependency(ScannedType From, ScannedType To, string Kind, string Site, string? Member = null)
{
    public string Via => Member is null ? $"{Kind} in {Site}" : $"{Kind} {Member} in {Site}";
}

/// <summary>One decoded IL instruction: its offset, opcode, and its metadata token (0 when the operand is not a token).</summary>
internal readonly record struct Instruction(int Offset, OpCode OpCode, int Token);

/// <summary>
/// Lists every type each type of a compiled assembly references, read from its metadata with System.Reflection.Metadata:
/// base type, interfaces, generic constraints, custom attributes (constructor and <c>typeof</c>/enum arguments), field,
/// property, event and method signature types, local variable types, caught exception types, explicit interface
/// implementations, and every type, member and signature token in the method bodies. A member token counts its declaring
/// type and its signature's types; generic instantiations (type and method specs) contribute every type inside them.
/// Anything it cannot decode throws rather than being skipped.
/// </summary>
internal static class AssemblyReferences
{
    private static readonly ImmutableArray<ScannedType> None = [];

    // The one-byte and two-byte (0xFE-prefixed) opcode tables, built from System.Reflection.Emit.OpCodes.
    private static readonly OpCode?[] OneByte = new OpCode?[256];
    private static readonly OpCode?[] TwoByte = new OpCode?[256];

    static AssemblyReferences()
    {
        foreach (FieldInfo field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var op = (OpCode)field.GetValue(null)!;
            if (op.OpCodeType == OpCodeType.Nternal)
            {
                continue; // the prefix pseudo-opcodes (0xF8..0xFF) never appear in IL
            }

            ushort value = unchecked((ushort)op.Value);
            if (op.Size == 1)
            {
                OneByte[value] = op;
            }
            else
            {
                TwoByte[value & 0xFF] = op;
            }
        }
    }

    /// <summary>Every reference made by every type defined in <paramref name="assembly"/>, de-duplicated.</summary>
    public static IReadOnlyList<TypeDependency> Scan(Assembly assembly) => Scan(assembly.Location);

    /// <inheritdoc cref="Scan(Assembly)"/>
    public static IReadOnlyList<TypeDependency> Scan(string assemblyPath)
    {
        using FileStream stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        return new Scanner(pe).Run();
    }

    /// <summary>Decodes a method body's IL into instructions, for every opcode form (one- and two-byte opcodes, <c>switch</c> and its jump table).</summary>
    public static IReadOnlyList<Instruction> Decode(ReadOnlySpan<byte> il)
    {
        var instructions = new List<Instruction>();
        int pos = 0;
        while (pos < il.Length)
        {
            int offset = pos;
            byte b = il[pos++];
            OpCode? found = b == 0xFE
                ? (pos < il.Length ? TwoByte[il[pos++]] : null)
                : OneByte[b];
            OpCode op = found ?? throw new InvalidDataException($"Unknown IL opcode at offset {offset}.");

            int token = 0;
            int operandSize = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineBrTarget or OperandType.InlineI or OperandType.ShortInlineR or OperandType.InlineString => 4,
                OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineSig or OperandType.InlineTok or OperandType.InlineType => 4,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + (4 * SwitchCount(il, pos, offset)),
                _ => throw new InvalidDataException($"Unsupported operand type {op.OperandType} of {op.Name} at offset {offset}."),
            };
            if (pos + operandSize > il.Length)
            {
                throw new InvalidDataException($"The operand of {op.Name} at offset {offset} runs past the end of the body.");
            }

            if (op.OperandType is OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineSig or OperandType.InlineTok or OperandType.InlineType)
            {
                token = BinaryPrimitives.ReadInt32LittleEndian(il[pos..]);
            }

            pos += operandSize;
            instructions.Add(new Instruction(offset, op, token));
        }

        return instructions;
    }

    private static int SwitchCount(ReadOnlySpan<byte> il, int pos, int offset)
    {
        if (pos + 4 > il.Length)
        {
            throw new InvalidDataException($"The switch at offset {offset} has no target count.");
        }

        uint count = BinaryPrimitives.ReadUInt32LittleEndian(il[pos..]);
        return count <= (uint)(il.Length - pos - 4) / 4
            ? (int)count
            : throw new InvalidDataException($"The switch at offset {offset} claims {count} targets, more than the body holds.");
    }

    private sealed class Scanner : ISignatureTypeProvider<ImmutableArray<ScannedType>, object?>, ICustomAttributeTypeProvider<ImmutableArray<ScannedType>>
    {
        private readonly PEReader _pe;
        private readonly MetadataReader _md;
        private readonly string _assembly;
        private readonly Dictionary<EntityHandle, ScannedType> _types = [];
        private readonly Dictionary<string, TypeDefinitionHandle> _byName = new(StringComparer.Ordinal);
        private readonly HashSet<TypeDependency> _found = [];
        private readonly List<TypeDependency> _ordered = [];

        public Scanner(PEReader pe)
        {
            _pe = pe;
            _md = pe.GetMetadataReader();
            _assembly = _md.GetAssemblyDefinition().GetAssemblyName().FullName;
            foreach (TypeDefinitionHandle handle in _md.TypeDefinitions)
            {
                _byName[Define(handle).FullName] = handle;
            }
        }

        public IReadOnlyList<TypeDependency> Run()
        {
            foreach (TypeDefinitionHandle handle in _md.TypeDefinitions)
            {
                ScanType(handle);
            }

            return _ordered;
        }

        private void ScanType(TypeDefinitionHandle handle)
        {
            TypeDefinition type = _md.GetTypeDefinition(handle);
            ScannedType from = Define(handle);
            string site = from.FullName;

            if (!type.BaseType.IsNil)
            {
                AddEntity(from, type.BaseType, "base type", site);
            }

            foreach (InterfaceImplementationHandle i in type.GetInterfaceImplementations())
            {
                InterfaceImplementation implementation = _md.GetInterfaceImplementation(i);
                AddEntity(from, implementation.Interface, "interface", site);
                AddAttributes(from, implementation.GetCustomAttributes(), site);
            }

            AddGenericParameters(from, type.GetGenericParameters(), site);
            AddAttributes(from, type.GetCustomAttributes(), site);

            foreach (FieldDefinitionHandle f in type.GetFields())
            {
                FieldDefinition field = _md.GetFieldDefinition(f);
                string fieldSite = $"{site}.{_md.GetString(field.Name)}";
                AddTypes(from, field.DecodeSignature(this, null), "field", fieldSite);
                AddAttributes(from, field.GetCustomAttributes(), fieldSite);
            }

            foreach (PropertyDefinitionHandle p in type.GetProperties())
            {
                PropertyDefinition property = _md.GetPropertyDefinition(p);
                string propertySite = $"{site}.{_md.GetString(property.Name)}";
                AddSignature(from, property.DecodeSignature(this, null), "property", propertySite);
                AddAttributes(from, property.GetCustomAttributes(), propertySite);
            }

            foreach (EventDefinitionHandle e in type.GetEvents())
            {
                EventDefinition @event = _md.GetEventDefinition(e);
                string eventSite = $"{site}.{_md.GetString(@event.Name)}";
                AddEntity(from, @event.Type, "event", eventSite);
                AddAttributes(from, @event.GetCustomAttributes(), eventSite);
            }

            foreach (MethodDefinitionHandle m in type.GetMethods())
            {
                ScanMethod(from, m);
            }

            foreach (MethodImplementationHandle mi in type.GetMethodImplementations())
            {
                MethodImplementation implementation = _md.GetMethodImplementation(mi);
                AddEntity(from, implementation.MethodBody, "method impl", site);
                AddEntity(from, implementation.MethodDeclaration, "method impl", site);
            }
        }

        private void ScanMethod(ScannedType from, MethodDefinitionHandle handle)
        {
            MethodDefinition method = _md.GetMethodDefinition(handle);
            string site = $"{from.FullName}.{_md.GetString(method.Name)}";

            AddSignature(from, method.DecodeSignature(this, null), "signature", site);
            AddGenericParameters(from, method.GetGenericParameters(), site);
            AddAttributes(from, method.GetCustomAttributes(), site);
            foreach (ParameterHandle p in method.GetParameters())
            {
                AddAttributes(from, _md.GetParameter(p).GetCustomAttributes(), site);
            }

            if (method.RelativeVirtualAddress == 0)
            {
                return; // abstract, extern, P/Invoke
            }

            MethodBodyBlock body = _pe.GetMethodBody(method.RelativeVirtualAddress);
            if (!body.LocalSignature.IsNil)
            {
                foreach (ImmutableArray<ScannedType> local in _md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(this, null))
                {
                    AddTypes(from, local, "local", site);
                }
            }

            foreach (ExceptionRegion region in body.ExceptionRegions)
            {
                if (region.Kind == ExceptionRegionKind.Catch)
                {
                    AddEntity(from, region.CatchType, "catch", site);
                }
            }

            foreach (Instruction instruction in Decode(body.GetILContent().AsSpan()))
            {
                if (instruction.Token != 0)
                {
                    AddEntity(from, MetadataTokens.EntityHandle(instruction.Token), $"IL {instruction.OpCode.Name}", site);
                }
            }
        }

        private void AddGenericParameters(ScannedType from, GenericParameterHandleCollection parameters, string site)
        {
            foreach (GenericParameterHandle g in parameters)
            {
                GenericParameter parameter = _md.GetGenericParameter(g);
                AddAttributes(from, parameter.GetCustomAttributes(), site);
                foreach (GenericParameterConstraintHandle c in parameter.GetConstraints())
                {
                    GenericParameterConstraint constraint = _md.GetGenericParameterConstraint(c);
                    AddEntity(from, constraint.Type, "generic constraint", site);
                    AddAttributes(from, constraint.GetCustomAttributes(), site);
                }
            }
        }

        private void AddAttributes(ScannedType from, CustomAttributeHandleCollection attributes, string site)
        {
            foreach (CustomAttributeHandle a in attributes)
            {
                CustomAttribute attribute = _md.GetCustomAttribute(a);
                AddEntity(from, attribute.Constructor, "attribute", site);

                CustomAttributeValue<ImmutableArray<ScannedType>> value;
                try
                {
                    value = attribute.DecodeValue(this);
                }
                catch (Exception ex) when (ex is BadImageFormatException or InvalidOperationException or TypeLoadException or FileNotFoundException)
                {
                    throw new InvalidDataException($"Cannot decode an attribute's arguments in {site}.", ex);
                }

                foreach (CustomAttributeTypedArgument<ImmutableArray<ScannedType>> argument in value.FixedArguments)
                {
                    AddArgument(from, argument, site);
                }

                foreach (CustomAttributeNamedArgument<ImmutableArray<ScannedType>> argument in value.NamedArguments)
                {
                    AddArgument(from, new(argument.Type, argument.Value), site);
                }
            }
        }

        private void AddArgument(ScannedType from, CustomAttributeTypedArgument<ImmutableArray<ScannedType>> argument, string site)
        {
            AddTypes(from, argument.Type, "attribute argument", site); // an enum argument's type
            switch (argument.Value)
            {
                case ImmutableArray<ScannedType> typeofArgument:
                    AddTypes(from, typeofArgument, "attribute argument", site);
                    break;
                case ImmutableArray<CustomAttributeTypedArgument<ImmutableArray<ScannedType>>> elements:
                    foreach (CustomAttributeTypedArgument<ImmutableArray<ScannedType>> element in elements)
                    {
                        AddArgument(from, element, site);
                    }

                    break;
            }
        }

        private void AddSignature(ScannedType from, MethodSignature<ImmutableArray<ScannedType>> signature, string kind, string site, string? member = null)
        {
            AddTypes(from, signature.ReturnType, kind, site, member);
            foreach (ImmutableArray<ScannedType> parameter in signature.ParameterTypes)
            {
                AddTypes(from, parameter, kind, site, member);
            }
        }

        /// <summary>
        /// A type, member or signature handle: the type(s) it names, including every type inside a generic instantiation;
        /// for a member (method, field, method instantiation) its declaring type and the types of its signature, which is
        /// where an enum constant passed to it (compiled to a bare number) still shows.
        /// </summary>
        private void AddEntity(ScannedType from, EntityHandle handle, string kind, string site, string? member = null)
        {
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                case HandleKind.TypeReference:
                    Add(from, Resolve(handle), kind, site, member);
                    break;
                case HandleKind.TypeSpecification:
                    AddTypes(from, _md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null), kind, site, member);
                    break;
                case HandleKind.MethodDefinition:
                    MethodDefinition method = _md.GetMethodDefinition((MethodDefinitionHandle)handle);
                    member ??= _md.GetString(method.Name);
                    Add(from, Define(method.GetDeclaringType()), kind, site, member);
                    AddSignature(from, method.DecodeSignature(this, null), kind, site, member);
                    break;
                case HandleKind.FieldDefinition:
                    FieldDefinition field = _md.GetFieldDefinition((FieldDefinitionHandle)handle);
                    member ??= _md.GetString(field.Name);
                    Add(from, Define(field.GetDeclaringType()), kind, site, member);
                    AddTypes(from, field.DecodeSignature(this, null), kind, site, member);
                    break;
                case HandleKind.MemberReference:
                    MemberReference reference = _md.GetMemberReference((MemberReferenceHandle)handle);
                    member ??= _md.GetString(reference.Name);
                    if (reference.Parent.Kind != HandleKind.ModuleReference) // a global function of another module: no type
                    {
                        AddEntity(from, reference.Parent, kind, site, member);
                    }

                    if (reference.GetKind() == MemberReferenceKind.Method)
                    {
                        AddSignature(from, reference.DecodeMethodSignature(this, null), kind, site, member);
                    }
                    else
                    {
                        AddTypes(from, reference.DecodeFieldSignature(this, null), kind, site, member);
                    }

                    break;
                case HandleKind.MethodSpecification:
                    MethodSpecification specification = _md.GetMethodSpecification((MethodSpecificationHandle)handle);
                    string name = MemberName(specification.Method);
                    AddEntity(from, specification.Method, kind, site, member ?? name);
                    foreach (ImmutableArray<ScannedType> argument in specification.DecodeSignature(this, null))
                    {
                        AddTypes(from, argument, kind, site, member ?? name);
                    }

                    break;
                case HandleKind.StandaloneSignature: // calli
                    AddSignature(from, _md.GetStandaloneSignature((StandaloneSignatureHandle)handle).DecodeMethodSignature(this, null), kind, site);
                    break;
                default:
                    throw new InvalidDataException($"Unexpected {handle.Kind} token (0x{MetadataTokens.GetToken(handle):X8}) as {kind} in {site}.");
            }
        }

        private string MemberName(EntityHandle method) => method.Kind switch
        {
            HandleKind.MethodDefinition => _md.GetString(_md.GetMethodDefinition((MethodDefinitionHandle)method).Name),
            HandleKind.MemberReference => _md.GetString(_md.GetMemberReference((MemberReferenceHandle)method).Name),
            _ => method.Kind.ToString(),
        };

        private void AddTypes(ScannedType from, ImmutableArray<ScannedType> types, string kind, string site, string? member = null)
        {
            foreach (ScannedType to in types)
            {
                Add(from, to, kind, site, member);
            }
        }

        private void Add(ScannedType from, ScannedType to, string kind, string site, string? member)
        {
            var dependency = new TypeDependency(from, to, kind, site, member);
            if (_found.Add(dependency))
            {
                _ordered.Add(dependency);
            }
        }

        private ScannedType Resolve(EntityHandle handle) => handle.Kind == HandleKind.TypeDefinition
            ? Define((TypeDefinitionHandle)handle)
            : Reference((TypeReferenceHandle)handle);

        private ScannedType Define(TypeDefinitionHandle handle)
        {
            if (_types.TryGetValue(handle, out ScannedType? known))
            {
                return known;
            }

            TypeDefinition type = _md.GetTypeDefinition(handle);
            string name = _md.GetString(type.Name);
            TypeAttributes visibility = type.Attributes & TypeAttributes.VisibilityMask;
            ScannedType result;
            if (type.IsNested)
            {
                ScannedType outer = Define(type.GetDeclaringType());
                result = outer with
                {
                    FullName = $"{outer.FullName}+{name}",
                    IsPublic = outer.IsPublic && visibility == TypeAttributes.NestedPublic,
                };
            }
            else
            {
                string ns = _md.GetString(type.Namespace);
                string full = ns.Length == 0 ? name : $"{ns}.{name}";
                result = new ScannedType(full, ns, full, _assembly, visibility == TypeAttributes.Public, IsInAssembly: true);
            }

            _types[handle] = result;
            return result;
        }

        private ScannedType Reference(TypeReferenceHandle handle)
        {
            if (_types.TryGetValue(handle, out ScannedType? known))
            {
                return known;
            }

            TypeReference reference = _md.GetTypeReference(handle);
            string name = _md.GetString(reference.Name);
            EntityHandle scope = reference.ResolutionScope;
            ScannedType result;
            switch (scope.Kind)
            {
                case HandleKind.TypeReference: // nested in another referenced type
                    ScannedType outer = Reference((TypeReferenceHandle)scope);
                    string nested = $"{outer.FullName}+{name}";
                    result = outer.IsInAssembly ? Local(nested) : outer with { FullName = nested };
                    break;
                case HandleKind.AssemblyReference:
                    string ns = _md.GetString(reference.Namespace);
                    string full = ns.Length == 0 ? name : $"{ns}.{name}";
                    string assembly = _md.GetAssemblyReference((AssemblyReferenceHandle)scope).GetAssemblyName().FullName;
                    result = new ScannedType(full, ns, full, assembly, IsPublic: true, IsInAssembly: false);
                    break;
                case HandleKind.ModuleDefinition: // a reference into this very module
                    string localNs = _md.GetString(reference.Namespace);
                    result = Local(localNs.Length == 0 ? name : $"{localNs}.{name}");
                    break;
                default:
                    throw new InvalidDataException($"Unsupported resolution scope {scope.Kind} for type reference {name}.");
            }

            _types[handle] = result;
            return result;
        }

        private ScannedType Local(string fullName) => _byName.TryGetValue(fullName, out TypeDefinitionHandle handle)
            ? Define(handle)
            : throw new InvalidDataException($"A reference names {fullName} in this assembly, which does not define it.");

        // ---- ISignatureTypeProvider / ICustomAttributeTypeProvider: a type is the list of named types inside it ----

        public ImmutableArray<ScannedType> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => [Define(handle)];

        public ImmutableArray<ScannedType> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => [Reference(handle)];

        public ImmutableArray<ScannedType> GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind)
            => reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public ImmutableArray<ScannedType> GetPrimitiveType(PrimitiveTypeCode typeCode) => None;

        public ImmutableArray<ScannedType> GetGenericInstantiation(ImmutableArray<ScannedType> genericType, ImmutableArray<ImmutableArray<ScannedType>> typeArguments)
            => genericType.AddRange(typeArguments.SelectMany(a => a));

        public ImmutableArray<ScannedType> GetGenericMethodParameter(object? genericContext, int index) => None;

        public ImmutableArray<ScannedType> GetGenericTypeParameter(object? genericContext, int index) => None;

        public ImmutableArray<ScannedType> GetSZArrayType(ImmutableArray<ScannedType> elementType) => elementType;

        public ImmutableArray<ScannedType> GetArrayType(ImmutableArray<ScannedType> elementType, ArrayShape shape) => elementType;

        public ImmutableArray<ScannedType> GetByReferenceType(ImmutableArray<ScannedType> elementType) => elementType;

        public ImmutableArray<ScannedType> GetPointerType(ImmutableArray<ScannedType> elementType) => elementType;

        public ImmutableArray<ScannedType> GetPinnedType(ImmutableArray<ScannedType> elementType) => elementType;

        public ImmutableArray<ScannedType> GetModifiedType(ImmutableArray<ScannedType> modifier, ImmutableArray<ScannedType> unmodifiedType, bool isRequired)
            => unmodifiedType.AddRange(modifier);

        public ImmutableArray<ScannedType> GetFunctionPointerType(MethodSignature<ImmutableArray<ScannedType>> signature)
            => signature.ReturnType.AddRange(signature.ParameterTypes.SelectMany(p => p));

        public ImmutableArray<ScannedType> GetSystemType()
            => [new ScannedType("System.Type", "System", "System.Type", typeof(Type).Assembly.FullName!, IsPublic: true, IsInAssembly: false)];

        public bool IsSystemType(ImmutableArray<ScannedType> type)
            => type.Length == 1 && !type[0].IsInAssembly && type[0].FullName == "System.Type";

        /// <summary>A <c>typeof</c> or enum-typed argument of an attribute, serialized as a (possibly assembly-qualified) type name.</summary>
        public ImmutableArray<ScannedType> GetTypeFromSerializedName(string name) => FromTypeName(TypeName.Parse(name));

        private ImmutableArray<ScannedType> FromTypeName(TypeName name)
        {
            if (name.IsArray || name.IsPointer || name.IsByRef)
            {
                return FromTypeName(name.GetElementType());
            }

            if (name.IsConstructedGenericType)
            {
                return FromTypeName(name.GetGenericTypeDefinition()).AddRange(name.GetGenericArguments().SelectMany(a => FromTypeName(a)));
            }

            TypeName outermost = name;
            while (outermost.IsNested)
            {
                outermost = outermost.DeclaringType;
            }

            string? assembly = outermost.AssemblyName?.FullName;
            bool local = assembly is null
                ? _byName.ContainsKey(name.FullName)
                : string.Equals(outermost.AssemblyName!.Name, _md.GetString(_md.GetAssemblyDefinition().Name), StringComparison.Ordinal);
            if (local)
            {
                return [Local(name.FullName)];
            }

            int dot = outermost.FullName.LastIndexOf('.');
            string ns = dot < 0 ? "" : outermost.FullName[..dot];
            return [new ScannedType(name.FullName, ns, outermost.FullName, assembly ?? typeof(object).Assembly.FullName!, IsPublic: true, IsInAssembly: false)];
        }

        public PrimitiveTypeCode GetUnderlyingEnumType(ImmutableArray<ScannedType> type)
        {
            if (type.Length != 1)
            {
                throw new InvalidDataException("An attribute argument's enum type is not a single named type.");
            }

            ScannedType @enum = type[0];
            if (@enum.IsInAssembly)
            {
                foreach (FieldDefinitionHandle f in _md.GetTypeDefinition(_byName[@enum.FullName]).GetFields())
                {
                    FieldDefinition field = _md.GetFieldDefinition(f);
                    if ((field.Attributes & FieldAttributes.Static) == 0) // value__
                    {
                        BlobReader signature = _md.GetBlobReader(field.Signature);
                        signature.ReadSignatureHeader();
                        return (PrimitiveTypeCode)signature.ReadSignatureTypeCode();
                    }
                }

                throw new InvalidDataException($"{@enum.FullName} is used as an enum but has no value field.");
            }

            Type runtime = System.Type.GetType($"{@enum.FullName}, {@enum.Assembly}", throwOnError: true)!;
            return System.Type.GetTypeCode(Enum.GetUnderlyingType(runtime)) switch
            {
                TypeCode.Boolean => PrimitiveTypeCode.Boolean,
                TypeCode.Char => PrimitiveTypeCode.Char,
                TypeCode.SByte => PrimitiveTypeCode.SByte,
                TypeCode.Byte => PrimitiveTypeCode.Byte,
                TypeCode.Int16 => PrimitiveTypeCode.Int16,
                TypeCode.UInt16 => PrimitiveTypeCode.UInt16,
                TypeCode.Int32 => PrimitiveTypeCode.Int32,
                TypeCode.UInt32 => PrimitiveTypeCode.UInt32,
                TypeCode.Int64 => PrimitiveTypeCode.Int64,
                TypeCode.UInt64 => PrimitiveTypeCode.UInt64,
                TypeCode code => throw new InvalidDataException($"{@enum.FullName} has an unexpected underlying type {code}."),
            };
        }
    }
}
