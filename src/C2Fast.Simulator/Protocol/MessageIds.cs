using System.Globalization;
using System.Security.Cryptography;

namespace C2Fast.Simulator.Protocol;

/// <summary>
/// Server message ids: <c>msg_</c> + 28 lowercase hex digits, the shape of the vendor's examples.
/// 12 random digits per simulator instance, then a 16-digit counter: unique and cheap.
/// </summary>
internal sealed class MessageIds
{
    public const int HexDigits = 28;
    public const int CounterDigits = 16;

    private readonly string _prefix;
    private long _counter;

    public MessageIds()
    {
        Span<byte> random = stackalloc byte[6];
        RandomNumberGenerator.Fill(random);
        _prefix = "msg_" + Convert.ToHexStringLower(random);
    }

    /// <summary>The fixed part, <c>msg_</c> and 12 hex digits (used by the flood templates).</summary>
    public string Prefix => _prefix;

    public string Next() => _prefix + Interlocked.Increment(ref _counter).ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>Reserves <paramref name="count"/> consecutive counter values and returns the first.</summary>
    public long Reserve(long count) => Interlocked.Add(ref _counter, count) - count + 1;
}
