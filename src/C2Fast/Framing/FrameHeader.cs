namespace C2Fast.Framing;

/// <summary>A decoded frame header. <see cref="HeaderLength"/> bytes precede the payload.</summary>
internal readonly record struct FrameHeader(bool Fin, Opcode Opcode, long PayloadLength, int HeaderLength)
{
    /// <summary>RFC 6455 §5.5: opcodes with the high bit set are control frames.</summary>
    public bool IsControl => ((byte)Opcode & 0x8) != 0;

    /// <summary>Header plus payload.</summary>
    public long FrameLength => HeaderLength + PayloadLength;
}
