using System.Buffers;
using System.Text.Json;
using C2Fast.Simulator.Framing;

namespace C2Fast.Simulator.Protocol;

/// <summary>
/// Encodes every server message as a complete text frame (header + JSON), in the envelope of spec §2:
/// <c>msg_type, id, [seq_id], [request_id], timestamp, v, [payload]</c>, snake_case.
/// </summary>
/// <remarks>Not on a hot path (the flood has its own templates), so it uses <see cref="Utf8JsonWriter"/> per call.</remarks>
internal sealed class EnvelopeWriter(MessageIds ids, C2SimulatorOptions options, TimeProvider time)
{
    public MessageIds Ids => ids;

    public byte[] Connected() => Build(MessageTypes.Connected, seqId: null, requestId: null, nullSeqId: false, payload: null);

    public byte[] Heartbeat() => Build(MessageTypes.Heartbeat, seqId: null, requestId: null, options.WriteNullSeqId, payload: null);

    public byte[] SubscriptionAck(string? requestId, string action, string channel, long strategyId) =>
        Build(MessageTypes.SubscriptionAck, seqId: null, requestId, options.WriteNullSeqId, !options.AckEchoesRequest ? null : w =>
        {
            w.WriteString("action"u8, action);
            w.WriteString("channel"u8, channel);
            w.WriteNumber("strategy_id"u8, strategyId);
        });

    public byte[] Error(string? requestId, IReadOnlyList<ErrorItem> errors) =>
        Build(MessageTypes.Error, seqId: null, options.ErrorEchoesRequestId ? requestId : null, options.WriteNullSeqId, w =>
        {
            if (errors.Count == 1)
            {
                WriteError(w, errors[0]);
                return;
            }

            w.WriteStartArray("errors"u8);
            foreach (var error in errors)
            {
                w.WriteStartObject();
                WriteError(w, error);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });

    public byte[] Gap(long strategyId, long from) =>
        Build(MessageTypes.Gap, seqId: null, requestId: null, options.WriteNullSeqId, w =>
        {
            if (options.GapStrategyIdNull)
            {
                w.WriteNull("strategy_id"u8);
            }
            else
            {
                w.WriteNumber("strategy_id"u8, strategyId);
            }

            w.WriteString("channel"u8, $"{MessageTypes.Signal}:{strategyId}");
            w.WriteString("from"u8, from.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("message"u8, $"Replay limit of {options.ReplayLimit} messages exceeded");
        });

    public byte[] Signal(long seqId, in SignalData signal)
    {
        var copy = signal;
        return Build(MessageTypes.Signal, seqId, requestId: null, nullSeqId: false, w => WriteSignal(w, copy));
    }

    public byte[] Positions(long strategyId, IReadOnlyList<PositionData> positions, long? seqId) =>
        Build(MessageTypes.Positions, seqId, requestId: null, nullSeqId: false, w => WritePositions(w, strategyId, positions));

    public static void WriteSignal(Utf8JsonWriter w, in SignalData s)
    {
        w.WriteNumber("strategy_id"u8, s.StrategyId);
        w.WriteNumber("signal_id"u8, s.SignalId);
        w.WriteString("action"u8, s.Action);
        w.WriteString("symbol"u8, s.Symbol);
        w.WriteNumber("quantity"u8, s.Quantity);
        w.WriteString("order_type"u8, s.OrderType);
        if (s.LimitPrice is { } limit)
        {
            w.WriteNumber("limit_price"u8, limit);
        }

        if (s.StopPrice is { } stop)
        {
            w.WriteNumber("stop_price"u8, stop);
        }

        w.WriteString("tif"u8, s.Tif);
    }

    public static void WritePositions(Utf8JsonWriter w, long strategyId, IReadOnlyList<PositionData> positions)
    {
        w.WriteNumber("strategy_id"u8, strategyId);
        w.WriteStartArray("positions"u8);
        foreach (var p in positions)
        {
            w.WriteStartObject();
            w.WriteString("symbol"u8, p.Symbol);
            w.WriteNumber("quantity"u8, p.Quantity);
            w.WriteNumber("avg_price"u8, p.AvgPrice);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteError(Utf8JsonWriter w, ErrorItem error)
    {
        w.WriteString("code"u8, error.Code);
        if (error.Field is null)
        {
            w.WriteNull("field"u8);
        }
        else
        {
            w.WriteString("field"u8, error.Field);
        }

        w.WriteString("message"u8, error.Message);
    }

    private byte[] Build(string msgType, long? seqId, string? requestId, bool nullSeqId, Action<Utf8JsonWriter>? payload)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("msg_type"u8, msgType);
            w.WriteString("id"u8, ids.Next());
            if (seqId is { } seq)
            {
                w.WriteNumber("seq_id"u8, seq);
            }
            else if (nullSeqId)
            {
                w.WriteNull("seq_id"u8);
            }

            if (requestId is not null)
            {
                w.WriteString("request_id"u8, requestId);
            }

            w.WriteString("timestamp"u8, Timestamps.Format(time.GetUtcNow()));
            w.WriteNumber("v"u8, 4);
            if (payload is not null)
            {
                w.WriteStartObject("payload"u8);
                payload(w);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return ServerFrame.Encode(ServerFrame.OpText, buffer.WrittenSpan);
    }
}

/// <summary>The [CHOICE] signal payload of spec §3: an order-like object.</summary>
internal readonly record struct SignalData(
    long StrategyId, long SignalId, string Action, string Symbol, int Quantity, string OrderType, decimal? LimitPrice, decimal? StopPrice, string Tif);

/// <summary>One line of a <c>strategy.positions</c> snapshot.</summary>
internal readonly record struct PositionData(string Symbol, long Quantity, decimal AvgPrice);
