using C2Fast.Simulator.Protocol;

namespace C2Fast.Simulator.Feeds;

/// <summary>
/// Makes plausible order signals for one strategy and keeps the positions they imply, so signals and
/// position snapshots agree (a strategy only sells what it holds, only covers what it is short).
/// Not thread-safe: the owning <see cref="StrategyFeed"/> calls it under its lock.
/// </summary>
internal sealed class SignalGenerator(long strategyId, int seed)
{
    private static readonly (string Symbol, decimal Price, int Lot)[] Instruments =
    [
        ("AAPL", 187.25m, 100), ("MSFT", 415.10m, 50), ("NVDA", 121.40m, 100), ("AMZN", 182.75m, 50),
        ("GOOGL", 166.30m, 50), ("META", 512.90m, 25), ("TSLA", 244.15m, 50), ("SPY", 548.20m, 20),
        ("QQQ", 471.05m, 20), ("@ESZ5", 5512.25m, 1), ("@NQZ5", 19870.50m, 1), ("EURUSD", 1.0845m, 10000),
    ];

    private readonly Random _random = new(HashCode.Combine(seed, strategyId));
    private readonly Dictionary<string, (long Quantity, decimal AvgPrice)> _positions = new(StringComparer.Ordinal);
    private long _signalId = 150_000_000 + (strategyId % 1000) * 1_000_000;

    public SignalData Next()
    {
        var (symbol, basePrice, lot) = Instruments[_random.Next(Instruments.Length)];
        var price = Math.Round(basePrice * (1 + ((decimal)_random.NextDouble() - 0.5m) / 50), basePrice < 10 ? 4 : 2);
        _positions.TryGetValue(symbol, out var held);
        var lots = _random.Next(1, 4);

        string action;
        long quantity;
        if (held.Quantity > 0 && _random.Next(2) == 0)
        {
            action = "STC";
            quantity = Math.Min(held.Quantity, lots * lot);
        }
        else if (held.Quantity < 0 && _random.Next(2) == 0)
        {
            action = "BTC";
            quantity = Math.Min(-held.Quantity, lots * lot);
        }
        else if (held.Quantity >= 0 && _random.Next(4) != 0)
        {
            action = "BTO";
            quantity = lots * lot;
        }
        else
        {
            action = held.Quantity > 0 ? "BTO" : "STO";
            quantity = lots * lot;
        }

        var roll = _random.Next(10);
        var orderType = roll < 6 ? "market" : roll < 9 ? "limit" : "stop";
        var buying = action is "BTO" or "BTC";
        var step = basePrice < 10 ? 0.0005m : 0.05m * Math.Max(1, (int)(basePrice / 200));
        decimal? limit = orderType == "limit" ? price + (buying ? -step : step) : null;
        decimal? stop = orderType == "stop" ? price + (buying ? step : -step) : null;
        Apply(symbol, action, quantity, limit ?? stop ?? price);

        return new SignalData(strategyId, ++_signalId, action, symbol, (int)quantity, orderType, limit, stop, _random.Next(3) == 0 ? "gtc" : "day");
    }

    public IReadOnlyList<PositionData> Positions()
    {
        var list = new List<PositionData>(_positions.Count);
        foreach (var (symbol, (quantity, avg)) in _positions)
        {
            list.Add(new PositionData(symbol, quantity, avg));
        }

        list.Sort((a, b) => string.CompareOrdinal(a.Symbol, b.Symbol));
        return list;
    }

    private void Apply(string symbol, string action, long quantity, decimal fill)
    {
        _positions.TryGetValue(symbol, out var held);
        var signed = action is "BTO" or "BTC" ? quantity : -quantity;
        var next = held.Quantity + signed;
        if (next == 0)
        {
            _positions.Remove(symbol);
            return;
        }

        // Adding to a position moves the average; reducing it keeps the average.
        var adding = Math.Sign(signed) == Math.Sign(held.Quantity) || held.Quantity == 0;
        var avg = adding
            ? Math.Round(((held.AvgPrice * Math.Abs(held.Quantity)) + (fill * quantity)) / Math.Abs(next), 4)
            : held.AvgPrice;
        _positions[symbol] = (next, avg);
    }
}
