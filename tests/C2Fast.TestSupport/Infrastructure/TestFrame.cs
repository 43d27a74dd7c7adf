using System.Buffers.Binary;
using System.Text;

namespace C2Fast.Tests.Infrastructure;

/// <summary>
/// One decoded WebSocket frame, as seen on the wire by a test peer. <see cref="Payload"/> is
/// already unmasked; <see cref="MaskKey"/> is the key the sender used (null when unmasked).
/// </summary>
internal sealed record TestFrame(
    bool Fin,
    int Rsv,
    int Opcode,
    bool Masked,
    byte[]? MaskKey,
    byte[] Payload)
{
    public bool IsClose => Opcode == TestFrames.OpClose;

    public bool IsControl => Opcode >= 8;

    /// <summary>The payload decoded as strict UTF-8 (throws on invalid UTF-8).</summary>
    public string PayloadText => new UTF8Encoding(false, true).GetString(Payload);

    /// <summary>Close code of a close frame; null when the payload is shorter than 2 bytes.</summary>
    public int? CloseCode =>
        IsClose && Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : null;

    /// <summary>Close reason of a close frame (strict UTF-8); empty when there is none.</summary>
    public string CloseReason =>
        IsClose && Payload.Length > 2 ? new UTF8Encoding(false, true).GetString(Payload, 2, Payload.Length - 2) : "";

    public override string ToString()
    {
        var head = $"fin={Fin} rsv={Rsv} opcode={Opcode} masked={Masked} len={Payload.Length}";
        return IsClose ? $"{head} close={CloseCode?.ToString() ?? "none"} '{Encoding.UTF8.GetString(Payload.AsSpan(Math.Min(2, Payload.Length)))}'" : head;
    }
}
