using C2Fast.Framing;
using C2Fast.Session;
using C2Fast.Transport;

namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>How a connection ended after a close handshake, as the conformance tests check it.</summary>
/// <param name="Code">The server's close code; 1005 when its close frame had none, 1006 when it never answered ours.</param>
/// <param name="Reason">The server's close reason (may be empty).</param>
/// <param name="ServerInitiated">Whether the server sent the first close frame.</param>
internal readonly record struct CloseResult(int Code, string Reason, bool ServerInitiated);

/// <summary>
/// The real layers below the session for one connection (transport, upgrade and <see cref="WebSocketEngine"/>, made by
/// the session's <see cref="FeedConnector"/>), with failures reported as the application sees them: the session's
/// <see cref="FeedErrors"/> mapping turns the engine's outcome into a thrown <see cref="C2FeedException"/>.
/// </summary>
internal sealed class TestConnection : IAsyncDisposable
{
    private readonly ITransport _transport;
    private readonly TimeSpan _silence;

    private TestConnection(ITransport transport, WebSocketEngine engine, TimeSpan silence)
    {
        _transport = transport;
        Engine = engine;
        _silence = silence;
    }

    public WebSocketEngine Engine { get; }

    public bool IsTls => _transport is TransportConnection { IsTls: true };

    /// <summary>Connects and upgrades (the options' connect timeout bounds it).</summary>
    /// <exception cref="C2FeedException">The connection or the upgrade failed.</exception>
    public static async Task<TestConnection> ConnectAsync(C2FeedOptions options, CancellationToken cancellationToken = default)
    {
        options.Validate();
        (ITransport transport, WebSocketEngine engine) = await new FeedConnector(options).OpenAsync(cancellationToken);
        return new TestConnection(transport, engine, options.Heartbeat.SilenceTimeout);
    }

    /// <summary>
    /// Runs the read loop to the end: the close result, or the failure thrown as the application would see it. As the
    /// session does, the transport is dropped as soon as the loop ends (after a close timeout, a silence, a failure).
    /// </summary>
    public async Task<CloseResult> RunAsync(IMessageHandler handler)
    {
        EngineOutcome outcome = await Engine.RunAsync(handler);
        _transport.Abort();
        return Result(outcome);
    }

    /// <summary>Closes and waits for the end (bounded by the close timeout).</summary>
    public async Task<CloseResult> CloseAsync(int code = 1000, string? reason = null)
    {
        EngineOutcome outcome = await Engine.CloseAsync(code, reason);
        _transport.Abort();
        return Result(outcome);
    }

    /// <summary>Sends one message (or fragment); a connection that is closing or gone throws as the client's requests do.</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> payload, bool isText, bool endOfMessage = true)
        => Sent(await Engine.SendAsync(payload, isText, endOfMessage));

    public async ValueTask PingAsync(ReadOnlyMemory<byte> payload) => Sent(await Engine.PingAsync(payload));

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        await _transport.DisposeAsync();
    }

    private static void Sent(SendResult result)
    {
        if (result != SendResult.Sent)
        {
            throw FeedErrors.Create(result == SendResult.NotOpen ? C2FeedError.ConnectionNotOpen : C2FeedError.ConnectionLost, $"Not sent: {result}.");
        }
    }

    private CloseResult Result(EngineOutcome outcome) => outcome.End switch
    {
        EngineEnd.Closed or EngineEnd.CloseUnanswered => new CloseResult(outcome.CloseCode, outcome.CloseReason, outcome.ServerInitiated),
        _ => throw FeedErrors.From(outcome, closing: false, null, _silence)!,
    };
}
