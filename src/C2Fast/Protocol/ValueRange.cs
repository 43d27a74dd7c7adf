using System.Buffers;

namespace C2Fast.Protocol;

/// <summary>Where a JSON value sits inside the message it was parsed from: a byte offset and a length.</summary>
/// <remarks>
/// For a string, the range covers the raw bytes between the quotes, exactly as on the wire:
/// escapes are not decoded (<see cref="IsEscaped"/> says whether there are any; decode with
/// <see cref="EnvelopeParser.Unescape(ReadOnlySpan{byte}, ValueRange, Span{byte}, out int)"/>).
/// For the payload, it covers the whole value, braces included.
/// <para>
/// Offsets are absolute from the first byte of the message, for span and multi-segment input
/// alike, so one range can be applied to either form of the same bytes. <c>default</c> is
/// "absent": a JSON <c>null</c> and a missing field look the same.
/// </para>
/// </remarks>
internal readonly struct ValueRange : IEquatable<ValueRange>
{
    // Start + 1, so that default(ValueRange) means "absent" and an empty string is still present.
    private readonly int _startPlusOne;
    private readonly int _length;
    private readonly bool _isEscaped;

    /// <summary>Creates a present range.</summary>
    /// <param name="start">Offset of the first byte, from the start of the message.</param>
    /// <param name="length">Number of bytes.</param>
    /// <param name="isEscaped">Whether the raw bytes contain JSON escapes.</param>
    public ValueRange(int start, int length, bool isEscaped = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _startPlusOne = start + 1;
        _length = length;
        _isEscaped = isEscaped;
    }

    /// <summary>Whether the value was present (and not JSON <c>null</c>).</summary>
    public bool IsPresent => _startPlusOne != 0;

    /// <summary>Offset of the first byte; -1 when absent.</summary>
    public int Start => _startPlusOne - 1;

    /// <summary>Number of raw bytes; 0 when absent.</summary>
    public int Length => _length;

    /// <summary>Offset just past the last byte.</summary>
    public int End => Start + _length;

    /// <summary>Whether the raw string bytes contain at least one backslash escape.</summary>
    public bool IsEscaped => _isEscaped;

    /// <summary>The raw bytes of this range inside <paramref name="message"/>; empty when absent.</summary>
    /// <param name="message">The message the range was parsed from.</param>
    /// <returns>A slice of <paramref name="message"/>.</returns>
    public ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> message) => IsPresent ? message.Slice(Start, _length) : default;

    /// <summary>The raw bytes of this range inside <paramref name="message"/>; empty when absent.</summary>
    /// <param name="message">The message the range was parsed from.</param>
    /// <returns>A slice of <paramref name="message"/>.</returns>
    public ReadOnlySequence<byte> Slice(in ReadOnlySequence<byte> message) => IsPresent ? message.Slice(Start, _length) : default;

    /// <inheritdoc/>
    public bool Equals(ValueRange other) =>
        _startPlusOne == other._startPlusOne && _length == other._length && _isEscaped == other._isEscaped;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ValueRange other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_startPlusOne, _length, _isEscaped);

    /// <inheritdoc/>
    public override string ToString() => IsPresent ? $"[{Start}..{End}){(_isEscaped ? " escaped" : "")}" : "absent";

    /// <summary>Equality of offset, length and escape flag.</summary>
    /// <param name="left">A range.</param>
    /// <param name="right">Another range.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(ValueRange left, ValueRange right) => left.Equals(right);

    /// <summary>Inequality of offset, length or escape flag.</summary>
    /// <param name="left">A range.</param>
    /// <param name="right">Another range.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(ValueRange left, ValueRange right) => !left.Equals(right);
}
