using System.Buffers;
using C2Fast.Framing;
using C2Fast.IntegrationTests.Infrastructure;
using C2Fast.Tests.Infrastructure;

namespace C2Fast.IntegrationTests.Conformance;

/// <summary>What one scenario against <see cref="RawKestrelServer"/> produced on both sides.</summary>
internal sealed record ScenarioResult(
    IReadOnlyList<ReceivedMessage> Messages,
    CloseResult? Closed,
    C2FeedException? Failure,
    IReadOnlyList<TestFrame> ClientFrames)
{
    public TestFrame? ClientClose => ClientFrames.LastOrDefault(f => f.IsClose);

    public IEnumerable<TestFrame> Pongs => ClientFrames.Where(f => f.Opcode == TestFrames.OpPong);
}

/// <summary>Runs the C2Fast engine against a raw Kestrel peer that writes hand-built bytes.</summary>
internal static class ClientHarness
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static C2FeedOptions Options(Uri endpoint, int maxMessageSize = 16 * 1024 * 1024, TimeSpan? silence = null) => new()
    {
        Endpoint = endpoint,
        ApiKey = "conformance-key",
        Connection = new C2ConnectionOptions
        {
            TrustedCaCertificate = TestCertificates.Shared.Ca,
            CloseTimeout = TimeSpan.FromSeconds(3),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            MaxMessageSize = maxMessageSize,
        },
        Heartbeat = silence is TimeSpan limit
            ? new C2HeartbeatOptions { Interval = limit, Grace = TimeSpan.Zero, PausedAckInterval = TimeSpan.Zero }
            : new C2HeartbeatOptions { Interval = System.Threading.Timeout.InfiniteTimeSpan, PausedAckInterval = TimeSpan.Zero }, // no watchdog unless asked
    };

    /// <summary>
    /// The server accepts, runs <paramref name="serverScript"/>, then records every client frame
    /// until the client's close (or EOF). The client runs its read loop to the end.
    /// </summary>
    public static async Task<ScenarioResult> RunAsync(Func<RawPeer, Task> serverScript, bool tls = false, int maxMessageSize = 16 * 1024 * 1024, bool echoClose = true)
    {
        var frames = new List<TestFrame>();
        await using var server = await RawKestrelServer.StartAsync(
            async peer =>
            {
                await peer.AcceptAsync();
                await serverScript(peer);
                while (await peer.ReadFrameAsync(Timeout) is { } frame)
                {
                    lock (frames)
                    {
                        frames.Add(frame);
                    }

                    if (frame.IsClose)
                    {
                        if (echoClose)
                        {
                            try
                            {
                                await peer.WriteAsync(TestFrames.Close(frame.CloseCode ?? 1000));
                            }
                            catch (IOException)
                            {
                                // The client may already have dropped TCP after failing the connection.
                            }
                        }

                        break;
                    }
                }
            },
            tls);

        await using TestConnection connection = await TestConnection.ConnectAsync(Options(server.Url("/ws"), maxMessageSize));
        var handler = new RecordingHandler();
        CloseResult? closed = null;
        C2FeedException? failure = null;
        try
        {
            closed = await connection.RunAsync(handler).WaitAsync(Timeout);
        }
        catch (C2FeedException ex)
        {
            failure = ex;
        }

        await server.WaitForHandlersAsync(Timeout);
        lock (frames)
        {
            return new ScenarioResult(handler.Messages, closed, failure, [.. frames]);
        }
    }
}
