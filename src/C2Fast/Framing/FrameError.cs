namespace C2Fast.Framing;

/// <summary>
/// Why a server frame or message was rejected. Each value maps to one RFC 6455 rule and one close
/// code (<see cref="FrameErrors.CloseCode"/>).
/// </summary>
internal enum FrameError : byte
{
    None = 0,
    ReservedBitsSet,
    ReservedOpcode,
    MaskedServerFrame,
    ControlFrameTooLong,
    ControlFrameFragmented,
    LengthMostSignificantBitSet,
    NonMinimalLength,
    ContinuationWithoutMessage,
    DataFrameInsideMessage,
    InvalidClosePayload,
    InvalidCloseCode,
    InvalidUtf8,
    InvalidCloseReasonUtf8,
    MessageTooBig,
}

internal static class FrameErrors
{
    public const int ProtocolError = 1002;
    public const int InvalidPayload = 1007;
    public const int MessageTooBig = 1009;

    public static int CloseCode(FrameError error) => error switch
    {
        FrameError.InvalidUtf8 or FrameError.InvalidCloseReasonUtf8 => InvalidPayload, // RFC 6455 §7.4.1: 1007 names the fault
        FrameError.MessageTooBig => MessageTooBig,
        _ => ProtocolError,
    };

    public static string Describe(FrameError error) => error switch
    {
        FrameError.ReservedBitsSet => "The server set an RSV bit without a negotiated extension (RFC 6455 §5.2).",
        FrameError.ReservedOpcode => "The server used a reserved opcode (RFC 6455 §5.2).",
        FrameError.MaskedServerFrame => "The server sent a masked frame (RFC 6455 §5.1).",
        FrameError.ControlFrameTooLong => "The server sent a control frame with more than 125 payload bytes (RFC 6455 §5.5).",
        FrameError.ControlFrameFragmented => "The server sent a fragmented control frame (RFC 6455 §5.5).",
        FrameError.LengthMostSignificantBitSet => "The server sent a 64-bit length with its most significant bit set (RFC 6455 §5.2).",
        FrameError.NonMinimalLength => "The server encoded a payload length in more bytes than needed (RFC 6455 §5.2).",
        FrameError.ContinuationWithoutMessage => "The server sent a continuation frame with no message to continue (RFC 6455 §5.4).",
        FrameError.DataFrameInsideMessage => "The server started a new data message inside a fragmented one (RFC 6455 §5.4).",
        FrameError.InvalidClosePayload => "The server sent a close frame with a 1-byte payload (RFC 6455 §5.5.1).",
        FrameError.InvalidCloseCode => "The server sent a close frame with an invalid status code (RFC 6455 §7.4).",
        FrameError.InvalidUtf8 => "The server sent a text message that is not valid UTF-8 (RFC 6455 §8.1).",
        FrameError.InvalidCloseReasonUtf8 => "The server sent a close reason that is not valid UTF-8 (RFC 6455 §5.5.1).",
        FrameError.MessageTooBig => "The server sent a message larger than the configured maximum (RFC 6455 §7.4.1, 1009).",
        _ => "Unknown framing error.",
    };
}
