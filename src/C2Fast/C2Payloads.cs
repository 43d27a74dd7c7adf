using System.Text.Json.Serialization;

namespace C2Fast;

/// <summary>
/// A <c>strategy.signal</c> payload. The vendor does not document its schema; these are the snake_case
/// fields C2Fast's simulator sends, an order-like object. Unknown fields are ignored; the raw bytes remain in
/// <see cref="C2FeedMessage.Payload"/>.
/// </summary>
/// <param name="StrategyId">The strategy that issued the signal.</param>
/// <param name="SignalId">The signal's id.</param>
/// <param name="Action"><c>BTO</c>, <c>STO</c>, <c>BTC</c> or <c>STC</c>.</param>
/// <param name="Symbol">The instrument.</param>
/// <param name="Quantity">Units to trade.</param>
/// <param name="OrderType"><c>market</c>, <c>limit</c> or <c>stop</c>.</param>
/// <param name="LimitPrice">Limit price of a limit order.</param>
/// <param name="StopPrice">Stop price of a stop order.</param>
/// <param name="Tif">Time in force: <c>day</c> or <c>gtc</c>.</param>
public sealed record C2Signal(
    [property: JsonPropertyName("strategy_id")] long StrategyId,
    [property: JsonPropertyName("signal_id")] long? SignalId,
    [property: JsonPropertyName("action")] string? Action,
    [property: JsonPropertyName("symbol")] string? Symbol,
    [property: JsonPropertyName("quantity")] decimal? Quantity,
    [property: JsonPropertyName("order_type")] string? OrderType,
    [property: JsonPropertyName("limit_price")] decimal? LimitPrice,
    [property: JsonPropertyName("stop_price")] decimal? StopPrice,
    [property: JsonPropertyName("tif")] string? Tif);

/// <summary>A <c>strategy.positions</c> payload: a full snapshot of the strategy's positions (the vendor does not document its schema; this is the simulator's).</summary>
/// <param name="StrategyId">The strategy.</param>
/// <param name="Positions">Every open position.</param>
public sealed record C2Positions(
    [property: JsonPropertyName("strategy_id")] long StrategyId,
    [property: JsonPropertyName("positions")] IReadOnlyList<C2Position> Positions);

/// <summary>One open position.</summary>
/// <param name="Symbol">The instrument.</param>
/// <param name="Quantity">Signed quantity.</param>
/// <param name="AvgPrice">Average entry price.</param>
public sealed record C2Position(
    [property: JsonPropertyName("symbol")] string? Symbol,
    [property: JsonPropertyName("quantity")] decimal Quantity,
    [property: JsonPropertyName("avg_price")] decimal? AvgPrice);

/// <summary>A <c>gap</c> payload, as the vendor documents it: more signals were missed than the server replays (1000).</summary>
/// <param name="StrategyId">The strategy (may be null in the vendor's example; then see <paramref name="Channel"/>).</param>
/// <param name="Channel">The channel, e.g. <c>strategy.signal:12345678</c>.</param>
/// <param name="From">The <c>seq_id</c> the replay started from (a string on the wire).</param>
/// <param name="Message">The server's explanation.</param>
public sealed record C2Gap(
    [property: JsonPropertyName("strategy_id")] long? StrategyId,
    [property: JsonPropertyName("channel")] string? Channel,
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("message")] string? Message);

/// <summary>Source-generated (reflection-free, trimming-safe) metadata for the typed payloads.</summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(C2Signal))]
[JsonSerializable(typeof(C2Positions))]
[JsonSerializable(typeof(C2Gap))]
internal sealed partial class C2JsonContext : JsonSerializerContext;
