namespace C2Fast.Cli.Bench;

/// <summary>The clients <c>c2fast bench</c> compares, by their command-line names.</summary>
internal enum BenchClientKind
{
    /// <summary><c>C2FeedClient</c>: the consumer reads msg_type and seq_id and disposes the lease.</summary>
    C2Fast,

    /// <summary><c>C2FeedClient</c> with an <c>InlineHandler</c>: msg_type and seq_id read on the read loop, no queue.</summary>
    C2FastInline,

    /// <summary><c>ClientWebSocket</c> + <c>System.Text.Json</c> (source-generated) into an envelope class.</summary>
    ClientWebSocketStj,

    /// <summary><c>ClientWebSocket</c> + a hand-written <c>Utf8JsonReader</c> scan of msg_type and seq_id.</summary>
    ClientWebSocketReader,

    /// <summary>The <c>Websocket.Client</c> NuGet package + <c>System.Text.Json</c> (source-generated).</summary>
    WebsocketClient,

    /// <summary>The vendor's Python example loop (Debian python3-websockets, <c>json.loads</c> per message).</summary>
    Python,

    /// <summary>A raw socket (or <c>SslStream</c>) that upgrades, then only counts bytes: the machine's ceiling.</summary>
    Raw,
}

/// <summary>Names, descriptions and traits of <see cref="BenchClientKind"/>.</summary>
internal static class BenchClients
{
    public static readonly BenchClientKind[] All =
    [
        BenchClientKind.C2Fast, BenchClientKind.C2FastInline, BenchClientKind.ClientWebSocketStj, BenchClientKind.ClientWebSocketReader,
        BenchClientKind.WebsocketClient, BenchClientKind.Python, BenchClientKind.Raw,
    ];

    public static string Name(BenchClientKind kind) => kind switch
    {
        BenchClientKind.C2Fast => "c2fast",
        BenchClientKind.C2FastInline => "c2fast-inline",
        BenchClientKind.ClientWebSocketStj => "cws-stj",
        BenchClientKind.ClientWebSocketReader => "cws-reader",
        BenchClientKind.WebsocketClient => "websocket-client",
        BenchClientKind.Python => "python",
        _ => "raw",
    };

    public static string Description(BenchClientKind kind) => kind switch
    {
        BenchClientKind.C2Fast => "C2FeedClient; consumer reads msg_type + seq_id, disposes the lease",
        BenchClientKind.C2FastInline => "C2FeedClient with an InlineHandler: msg_type + seq_id read on the read loop, no queue",
        BenchClientKind.ClientWebSocketStj => "ClientWebSocket + System.Text.Json (source-generated) into an envelope class",
        BenchClientKind.ClientWebSocketReader => "ClientWebSocket + hand-written Utf8JsonReader scan of msg_type and seq_id",
        BenchClientKind.WebsocketClient => "Websocket.Client 5.5.1 (NuGet) + System.Text.Json (source-generated)",
        BenchClientKind.Python => "vendor's python loop: python3-websockets + json.loads per message",
        _ => "raw socket drain: HTTP upgrade, then counts bytes only (the ceiling)",
    };

    /// <summary>Whether the client runs .NET code in a child process, so allocation and GC figures apply.</summary>
    public static bool IsDotNet(BenchClientKind kind) => kind is not (BenchClientKind.Python or BenchClientKind.Raw);

    /// <summary>Whether the client answers heartbeats (the raw drain does not, so it has no round trip).</summary>
    public static bool AcksHeartbeats(BenchClientKind kind) => kind != BenchClientKind.Raw;

    public static bool TryParse(string name, out BenchClientKind kind)
    {
        foreach (BenchClientKind candidate in All)
        {
            if (string.Equals(Name(candidate), name, StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }

    /// <summary>
    /// The order of round <paramref name="round"/>: rotated left by the round number, and reversed on odd
    /// rounds, so no client is always first (cold machine) or always right after the same neighbour.
    /// </summary>
    public static IReadOnlyList<T> OrderForRound<T>(IReadOnlyList<T> clients, int round)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(round);
        if (clients.Count == 0)
        {
            return [];
        }

        int shift = round % clients.Count;
        var rotated = new List<T>(clients.Count);
        for (int i = 0; i < clients.Count; i++)
        {
            rotated.Add(clients[(i + shift) % clients.Count]);
        }

        if (round % 2 == 1)
        {
            rotated.Reverse();
        }

        return rotated;
    }
}
