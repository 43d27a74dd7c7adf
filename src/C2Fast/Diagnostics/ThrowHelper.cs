using System.Diagnostics.CodeAnalysis;

namespace C2Fast.Diagnostics;

/// <summary>
/// The library's throws of framework exceptions (arguments, state, disposal), kept out of line so the
/// methods that call them stay small and inlinable. The public <see cref="Exception"/> type of the feed,
/// <c>C2FeedException</c>, is created in one place only: the session's error mapping.
/// </summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange(string paramName, object? actualValue, string message)
        => throw new ArgumentOutOfRangeException(paramName, actualValue, message);

    [DoesNotReturn]
    public static void ThrowArgument(string paramName, string message)
        => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void ThrowInvalidOperation(string message)
        => throw new InvalidOperationException(message);

    [DoesNotReturn]
    public static void ThrowObjectDisposed(string objectName, string message)
        => throw new ObjectDisposedException(objectName, message);

    [DoesNotReturn]
    public static T ThrowInvalidOperation<T>(string message)
        => throw new InvalidOperationException(message);
}
