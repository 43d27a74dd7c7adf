using System.Text;

namespace C2Fast.Tests.Protocol;

/// <summary>Server messages from c2-protocol.md §2–§3, literal where the spec gives a literal.</summary>
internal static class ProtocolSamples
{
    // §2, verbatim (its msg_type is the placeholder "string": an unknown type).
    public const string SpecEnvelope =
        """{"msg_type":"string","id":"msg_…","seq_id":98765,"request_id":"my-req-1","timestamp":"2024-01-01T12:00:00Z","v":4,"payload":{}}""";

    public const string ConnectionConnected =
        """{"msg_type":"connection.connected","id":"msg_0a1b2c3d","timestamp":"2024-01-01T12:00:00Z","v":4}""";

    public const string ConnectionDisconnected =
        """{"msg_type":"connection.disconnected","id":"msg_0a1b2c3e","timestamp":"2024-01-01T12:00:00Z","v":4}""";

    public const string Heartbeat =
        """{"msg_type":"heartbeat","id":"msg_5f3e2a1b","timestamp":"2024-01-01T12:00:30Z","v":4}""";

    public const string HeartbeatWithNullSeqId =
        """{"msg_type":"heartbeat","id":"msg_5f3e2a1c","seq_id":null,"timestamp":"2024-01-01T12:01:00Z","v":4}""";

    public const string SubscriptionAck =
        """{"msg_type":"subscription.ack","id":"msg_77aa","request_id":"my-sub-001","timestamp":"2024-01-01T12:00:01Z","v":4,"payload":{"action":"subscribe","channel":"strategy.signal","strategy_id":12345678}}""";

    public const string StrategySignal =
        """{"msg_type":"strategy.signal","id":"msg_9c8d7e6f","seq_id":98765,"timestamp":"2024-01-01T12:00:05Z","v":4,"payload":{"strategy_id":12345678,"signal_id":555001,"action":"BTO","symbol":"AAPL","quantity":100,"order_type":"limit","limit_price":187.25,"stop_price":null,"tif":"day"}}""";

    public const string StrategyPositions =
        """{"msg_type":"strategy.positions","id":"msg_a0b1","timestamp":"2024-01-01T12:00:06Z","v":4,"payload":{"strategy_id":12345678,"positions":[{"symbol":"AAPL","quantity":100,"avg_price":187.25},{"symbol":"MSFT","quantity":-50,"avg_price":410.5}]}}""";

    // §3 gap: the spec's payload, verbatim.
    public const string Gap =
        """{"msg_type":"gap","id":"msg_ffee","timestamp":"2024-01-01T12:00:07Z","v":4,"payload":{"strategy_id":null,"channel":"strategy.signal:12345678","from":"98765","message":"Replay limit of 1000 messages exceeded"}}""";

    // §3 error: the spec's payload, verbatim.
    public const string Error =
        """{"msg_type":"error","id":"msg_e001","request_id":"my-sub-001","timestamp":"2024-01-01T12:00:02Z","v":4,"payload":{"code":"FORBIDDEN","field":"StrategyId","message":"Not authorized to subscribe to Strategy"}}""";

    public const string ErrorArray =
        """{"msg_type":"error","id":"msg_e002","request_id":"my-sub-002","timestamp":"2024-01-01T12:00:02Z","v":4,"payload":{"errors":[{"code":"INVALID_PARAMETER","field":"StrategyId","message":"must be positive"},{"code":"INVALID_PARAMETER","field":"Channel","message":"unknown channel"}]}}""";

    /// <summary>Every sample with its expected MessageType name (for loops over "every message type").</summary>
    public static TheoryData<string, string> All => new()
    {
        { SpecEnvelope, "Unknown" },
        { ConnectionConnected, "ConnectionConnected" },
        { ConnectionDisconnected, "ConnectionDisconnected" },
        { Heartbeat, "Heartbeat" },
        { HeartbeatWithNullSeqId, "Heartbeat" },
        { SubscriptionAck, "SubscriptionAck" },
        { StrategySignal, "StrategySignal" },
        { StrategyPositions, "StrategyPositions" },
        { Gap, "Gap" },
        { Error, "Error" },
        { ErrorArray, "Error" },
    };

    public static string[] AllMessages =>
    [
        SpecEnvelope, ConnectionConnected, ConnectionDisconnected, Heartbeat, HeartbeatWithNullSeqId,
        SubscriptionAck, StrategySignal, StrategyPositions, Gap, Error, ErrorArray,
    ];

    public static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);
}
