using C2Fast.Diagnostics;

namespace C2Fast.Protocol;

/// <summary>The pre-serialized <c>heartbeat.ack</c> body: built once, then only its timestamp is rewritten per send.</summary>
/// <remarks>
/// <para>
/// Body (Contract.md §4, §5): <c>{"msg_type":"heartbeat.ack","timestamp":"YYYY-MM-DDTHH:MM:SSZ"}</c>,
/// <see cref="BodyLength"/> bytes, with the 20 timestamp bytes at <see cref="TimestampOffset"/>.
/// </para>
/// <para>
/// Intended use (house-style rule 6): the framing layer copies <see cref="WriteTemplate"/> once
/// into its frame template, then per heartbeat stamps the current time at
/// <see cref="TimestampOffset"/> with <see cref="StampTimestamp"/>, draws a fresh mask and XORs.
/// No serializer runs on the heartbeat path. The server rejects timestamps more than one minute
/// off UTC, so the stamp must be taken at send time, never cached.
/// </para>
/// </remarks>
internal static class HeartbeatAck
{
    /// <summary>Length of the JSON body in bytes.</summary>
    public const int BodyLength = 63;

    /// <summary>Offset of the first timestamp byte (the <c>Y</c> of <c>YYYY</c>) inside the body.</summary>
    public const int TimestampOffset = 41;

    /// <summary>Length of the timestamp in bytes (<see cref="UtcTimestamp.Length"/>).</summary>
    public const int TimestampLength = UtcTimestamp.Length;

    /// <summary>The body with the vendor's example timestamp; stamp a real one before sending.</summary>
    public static ReadOnlySpan<byte> Template => """{"msg_type":"heartbeat.ack","timestamp":"2024-01-01T12:00:01Z"}"""u8;

    /// <summary>Copies the template body into <paramref name="destination"/>.</summary>
    /// <param name="destination">At least <see cref="BodyLength"/> bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="BodyLength"/>.</exception>
    public static void WriteTemplate(Span<byte> destination) => Template.CopyTo(destination);

    /// <summary>Writes <paramref name="utcNow"/> as <c>YYYY-MM-DDTHH:MM:SSZ</c> over the timestamp of a body written by <see cref="WriteTemplate"/>.</summary>
    /// <param name="body">The body: its first byte is the <c>{</c> of the template; at least <see cref="BodyLength"/> bytes.</param>
    /// <param name="utcNow">The current UTC time (<see cref="DateTime.UtcNow"/>), truncated to whole seconds.</param>
    /// <exception cref="ArgumentException"><paramref name="body"/> is shorter than <see cref="BodyLength"/>.</exception>
    public static void StampTimestamp(Span<byte> body, DateTime utcNow)
    {
        if (body.Length < BodyLength)
        {
            ThrowBodyTooSmall();
        }

        UtcTimestamp.Write(body.Slice(TimestampOffset, TimestampLength), utcNow);
    }

    /// <summary>Writes a complete, stamped body: <see cref="WriteTemplate"/> then <see cref="StampTimestamp"/>.</summary>
    /// <param name="destination">At least <see cref="BodyLength"/> bytes.</param>
    /// <param name="utcNow">The current UTC time.</param>
    /// <returns><see cref="BodyLength"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="BodyLength"/>.</exception>
    public static int Write(Span<byte> destination, DateTime utcNow)
    {
        WriteTemplate(destination);
        StampTimestamp(destination, utcNow);
        return BodyLength;
    }

    private static void ThrowBodyTooSmall() =>
        ThrowHelper.ThrowArgument("body", "The body is shorter than the heartbeat.ack template.");
}
