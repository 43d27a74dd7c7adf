namespace C2Fast.Tests.Infrastructure;

/// <summary>The payload length encodings of RFC 6455 §5.2, for forcing a (non-minimal) form.</summary>
internal enum TestLengthForm
{
    /// <summary>7-bit length in the second header byte (0..125).</summary>
    Short,

    /// <summary>126 followed by a 16-bit big-endian length.</summary>
    Medium,

    /// <summary>127 followed by a 64-bit big-endian length.</summary>
    Long,
}
