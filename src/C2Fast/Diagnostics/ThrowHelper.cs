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
    public static T ThrowArgumentOutOfRange<T>(string paramName, object? actualValue, string message)
        => throw new ArgumentOutOfRangeException(paramName, actualValue, message);

    [DoesNotReturn]
    public static void ThrowInvalidData(string message)
        => throw new InvalidDataException(message);

    [DoesNotReturn]
    public static void ThrowIO(string message)
        => throw new IOException(message);

    [DoesNotReturn]
    public static T ThrowJson<T>(string message)
        => throw new System.Text.Json.JsonException(message);

    [DoesNotReturn]
    public static void ThrowOperationCanceled(string message)
        => throw new OperationCanceledException(message);

    /// <summary>Returns <paramref name="value"/>, or throws <see cref="ArgumentNullException"/> (for constructor chains).</summary>
    public static T NotNull<T>(T? value, string paramName)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        return value;
    }
}
