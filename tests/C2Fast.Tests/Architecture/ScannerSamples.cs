namespace C2Fast.Tests.Architecture.Samples;

// Tiny types compiled into the test assembly so LayerDependencyTests can prove the scanner finds each kind of
// reference. Each *Target is referenced in exactly one way by exactly one user, so a test can say "this user reaches
// this target only through X". Nothing here is ever run.

internal sealed class NewedTarget;

internal sealed class FieldTarget;

internal sealed class GenericArgTarget;

internal sealed class GenericMethodArgTarget;

internal static class LambdaTarget
{
    public static int Value() => 1;
}

internal static class AsyncTarget
{
    public static int Value() => 2;
}

internal sealed class CaughtTarget : Exception;

internal sealed class LocalTarget;

internal static class Sink
{
    public static void Use(object? value) => GC.KeepAlive(value);
}

internal class BaseTarget;

internal interface IInterfaceTarget;

internal class ConstraintTarget;

internal sealed class TypeofTarget;

internal sealed class TypeofGenericArgTarget;

internal enum EnumArgumentTarget
{
    A,
    B,
}

[AttributeUsage(AttributeTargets.All)]
internal sealed class MarkAttribute(Type type, params Type[] more) : Attribute
{
    public Type Type { get; } = type;

    public IReadOnlyList<Type> More { get; } = more;

    public EnumArgumentTarget Kind { get; set; }
}

internal enum ParameterEnumTarget
{
    A,
    B,
}

internal static class TakesEnum
{
    public static int Use(ParameterEnumTarget value) => (int)value;
}

internal enum GenericParameterEnumTarget
{
    A,
    B,
}

internal static class TakesEnum<T>
{
    public static int Use(GenericParameterEnumTarget value) => (int)value; // called on TakesEnum<int>: a member reference, not a definition
}

internal struct InitTarget
{
    public long Value;
}

internal static class AfterSwitchTarget
{
    public static long Value() => 3;
}

// ---- the users ----

internal sealed class NewsUp
{
    public object Make() => new NewedTarget();
}

internal sealed class HoldsField
{
#pragma warning disable CS0649 // never assigned: only its type matters (an initializer would add an stfld)
    public FieldTarget? Field;
#pragma warning restore CS0649
}

internal sealed class UsesGenericArguments
{
    public object MakeList() => new List<GenericArgTarget>();                    // newobj on a member of the type spec List<GenericArgTarget>

    public object MakeArray() => Array.Empty<GenericMethodArgTarget>();          // call on the method spec Empty<GenericMethodArgTarget>
}

internal sealed class CallsInLambda
{
    public Func<int> Make(int captured) => () => LambdaTarget.Value() + captured; // the call sits in a display class
}

internal sealed class CallsInAsync
{
    public async Task<int> RunAsync()
    {
        await Task.Yield();
        return AsyncTarget.Value();                                                // the call sits in the state machine's MoveNext
    }
}

internal sealed class Catches
{
    public int Run(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (CaughtTarget)                                                       // only in the exception region table
        {
            return 1;
        }
    }
}

internal sealed class HoldsLocal
{
    public void Run()
    {
        LocalTarget? local = null;                                                 // a local that lives across a try: only in the local signature
        try
        {
            Sink.Use(local);
        }
        finally
        {
            Sink.Use(local);
        }
    }
}

internal sealed class PassesEnumConstant
{
    public int Run() => TakesEnum.Use(ParameterEnumTarget.B);                     // the enum is only in the callee's signature: IL passes 1

    public int RunGeneric() => TakesEnum<int>.Use(GenericParameterEnumTarget.B);
}

internal sealed class Derived<T> : BaseTarget, IInterfaceTarget
    where T : ConstraintTarget;

[Mark(typeof(TypeofTarget), typeof(Dictionary<string, TypeofGenericArgTarget[]>), Kind = EnumArgumentTarget.B)]
internal sealed class Annotated;

internal static class Switches
{
    // IL: a switch with its jump table, ldc.i8 and ldc.r8 (8-byte operands), initobj (a two-byte opcode with a type
    // token) and only then the call the test looks for: misreading any operand size would lose or garble it.
    public static long Run(int selector, long scale)
    {
        long result = selector switch
        {
            0 => 10,
            1 => 11,
            2 => 12,
            3 => 13,
            4 => 14,
            _ => 15,
        };
        result += scale * 0x1234567890L;
        result += (long)(scale * 1.5);
        InitTarget init = default;
        init.Value = result;
        Touch(ref init);
        return init.Value + AfterSwitchTarget.Value();
    }

    private static void Touch(ref InitTarget target) => target.Value++;
}
