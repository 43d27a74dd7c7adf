namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>
/// xUnit class fixture: the four independent peers (python3-websockets and npm ws, each as ws
/// and wss) started once for a test class, all requiring <see cref="ApiKey"/>. Startup failures
/// (missing python3-websockets or node_modules/ws) fail every test of the class with the reason.
/// </summary>
public sealed class InteropPeersFixture : IAsyncLifetime
{
    public const string ApiKey = "c2fast-test-key";

    private readonly Dictionary<(PeerKind Kind, bool Tls), PeerProcess> _peers = [];

    /// <summary>Every (kind, tls) combination, for <c>[MemberData]</c>.</summary>
    public static TheoryData<PeerKind, bool> All => new()
    {
        { PeerKind.Python, false },
        { PeerKind.Python, true },
        { PeerKind.Node, false },
        { PeerKind.Node, true },
    };

    public async Task InitializeAsync()
    {
        var combos = new[] { (PeerKind.Python, false), (PeerKind.Python, true), (PeerKind.Node, false), (PeerKind.Node, true) };
        var starts = combos.Select(c => PeerProcess.StartAsync(c.Item1, new PeerOptions(Tls: c.Item2, ApiKey: ApiKey))).ToArray();
        try
        {
            await Task.WhenAll(starts);
        }
        catch
        {
            foreach (var start in starts.Where(s => s.IsCompletedSuccessfully))
            {
                await start.Result.DisposeAsync();
            }

            var failures = starts.Where(s => s.IsFaulted).Select(s => s.Exception!.InnerException!).ToArray();
            throw new AggregateException("Starting the interop peers failed.", failures);
        }

        for (var i = 0; i < combos.Length; i++)
        {
            _peers[combos[i]] = starts[i].Result;
        }
    }

    internal PeerProcess Get(PeerKind kind, bool tls) => _peers[(kind, tls)];

    public async Task DisposeAsync()
    {
        foreach (var peer in _peers.Values)
        {
            await peer.DisposeAsync();
        }

        _peers.Clear();
    }
}
