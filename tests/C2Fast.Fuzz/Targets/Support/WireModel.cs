using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using C2Fast.Framing;

namespace C2Fast.Fuzz.Targets;

/// <summary>
/// What a client must make of a server byte stream, read frame by frame from RFC 6455 alone (§5 framing, §5.4
/// fragmentation, §5.5 control frames, §7 closing, §8.1 UTF-8): the data messages in order, the pings in between,
/// and how the connection ends. Independent of the engine: it needs the whole stream at once and keeps no state but
/// the message being assembled.
/// </summary>
internal sealed class WireModel
{
    private WireModel()
    {
    }

    /// <summary>Data messages and pings, in wire order.</summary>
    public List<WireEvent> Events { get; } = [];

    /// <summary>Closed (a valid close frame), ProtocolError or TransportClosed (the stream ended first).</summary>
    public EngineEnd End { get; private set; }

    /// <summary>The server's close code (Closed, 1005 for none), the code we must fail with (ProtocolError), else 1006.</summary>
    public int CloseCode { get; private set; } = 1006;

    public string CloseReason { get; private set; } = string.Empty;

    public FrameError Error { get; private set; }

    public static WireModel Decode(ReadOnlySpan<byte> wire, long maxMessage)
    {
        var model = new WireModel();
        int open = -1; // opcode of the fragmented message being assembled
        var assembly = new List<byte>();
        Utf8Reference utf8 = Utf8Reference.Start();
        int offset = 0;
        while (true)
        {
            ReadOnlySpan<byte> rest = wire[offset..];
            FrameReference.Header header = FrameReference.Parse(rest, maxMessage);
            if (header.Status == OperationStatus.InvalidData)
            {
                return model.Fail(header.Error);
            }

            if (header.Status == OperationStatus.NeedMoreData || rest.Length - header.HeaderLength < header.PayloadLength)
            {
                model.End = EngineEnd.TransportClosed;
                return model;
            }

            ReadOnlySpan<byte> payload = rest.Slice(header.HeaderLength, (int)header.PayloadLength);
            offset += header.HeaderLength + (int)header.PayloadLength;
            switch (header.Opcode)
            {
                case 1 or 2:
                    if (open != -1)
                    {
                        return model.Fail(FrameError.DataFrameInsideMessage);
                    }

                    if (header.Fin)
                    {
                        if (header.Opcode == 1 && !Utf8Reference.IsValid(payload))
                        {
                            return model.Fail(FrameError.InvalidUtf8);
                        }

                        model.Events.Add(WireEvent.Message(header.Opcode == 1, payload.ToArray()));
                        break;
                    }

                    open = header.Opcode;
                    assembly.Clear();
                    utf8 = Utf8Reference.Start();
                    goto case -1;
                case 0:
                    if (open == -1)
                    {
                        return model.Fail(FrameError.ContinuationWithoutMessage);
                    }

                    goto case -1;
                case -1:
                    if (assembly.Count + (long)payload.Length > maxMessage)
                    {
                        return model.Fail(FrameError.MessageTooBig);
                    }

                    if (open == 1)
                    {
                        utf8.Feed(payload);
                        if (!utf8.Valid || (header.Fin && utf8.Pending))
                        {
                            return model.Fail(FrameError.InvalidUtf8);
                        }
                    }

                    assembly.AddRange(payload);
                    if (header.Fin)
                    {
                        model.Events.Add(WireEvent.Message(open == 1, [.. assembly]));
                        open = -1;
                    }

                    break;
                case 9:
                    model.Events.Add(WireEvent.Ping(payload.ToArray()));
                    break;
                case 10:
                    break; // an unsolicited pong needs no answer
                default: // 8: close
                    if (payload.Length == 1)
                    {
                        return model.Fail(FrameError.InvalidClosePayload);
                    }

                    int code = payload.IsEmpty ? 1005 : BinaryPrimitives.ReadUInt16BigEndian(payload);
                    if (!payload.IsEmpty && !FrameReference.IsSendableCloseCode(code))
                    {
                        return model.Fail(FrameError.InvalidCloseCode);
                    }

                    if (payload.Length > 2 && !Utf8Reference.IsValid(payload[2..]))
                    {
                        return model.Fail(FrameError.InvalidCloseReasonUtf8);
                    }

                    model.End = EngineEnd.Closed;
                    model.CloseCode = code;
                    model.CloseReason = payload.Length > 2 ? Encoding.UTF8.GetString(payload[2..]) : string.Empty;
                    return model;
            }
        }
    }

    private WireModel Fail(FrameError error)
    {
        End = EngineEnd.ProtocolError;
        Error = error;
        CloseCode = FrameReference.DocumentedCloseCode(error);
        return this;
    }
}

/// <summary>A data message (text or binary) or a ping, as the server sent it.</summary>
internal sealed record WireEvent(bool IsPing, bool IsText, byte[] Payload)
{
    public static WireEvent Message(bool isText, byte[] payload) => new(false, isText, payload);

    public static WireEvent Ping(byte[] payload) => new(true, false, payload);
}
