using C2Fast.Framing;
using C2Fast.Handshake;
using C2Fast.Transport;

namespace C2Fast.Session;

/// <summary>
/// Makes connections: transport (TCP, TLS), the WebSocket upgrade, the engine, and for the feed the wait for
/// <c>connection.connected</c>, all within one <see cref="C2ConnectionOptions.ConnectTimeout"/>. Failures come out
/// as <see cref="C2FeedException"/>.
/// </summary>
internal sealed class FeedConnector
{
    private readonly Func<CancellationToken, Task<ITransport>> _connect;
    private readonly HandshakeSettings _handshake;
    private readonly EngineSettings _engine;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly string _where;

    /// <param name="options">Validated options.</param>
    /// <param name="connect">Makes the transport; sockets by default (tests pass in-memory ones).</param>
    public FeedConnector(C2FeedOptions options, Func<CancellationToken, Task<ITransport>>? connect = null)
    {
        TransportSettings transport = LayerSettings.Transport(options);
        _connect = connect ?? (async cancellationToken => await TransportConnection.ConnectAsync(transport, cancellationToken).ConfigureAwait(false));
        _handshake = LayerSettings.Handshake(options);
        _engine = LayerSettings.Engine(options);
        _time = options.TimeProvider;
        _timeout = options.Connection.ConnectTimeout;
        _where = $"{options.Endpoint.IdnHost}:{options.Endpoint.Port}";
    }

    /// <summary>Connects and upgrades; the engine is not running yet.</summary>
    /// <exception cref="C2FeedException">The connection or the upgrade failed, or did not complete in time.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<(ITransport Transport, WebSocketEngine Engine)> OpenAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        return await OpenAsync(linked.Token, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Connects, upgrades, runs <paramref name="handler"/> on the engine's loop and waits for <c>connection.connected</c>.
    /// </summary>
    /// <exception cref="C2FeedException">The connection failed, was rejected, or <c>connection.connected</c> did not arrive in time.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<FeedConnection> ConnectAsync(SessionMessageHandler handler, CancellationToken cancellationToken)
    {
        // One timeout covers TCP, TLS, the upgrade and connection.connected together.
        using var timeout = new CancellationTokenSource(_timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        (ITransport transport, WebSocketEngine engine) = await OpenAsync(linked.Token, cancellationToken).ConfigureAwait(false);

        // Started on the pool, not here: a backlog that is already buffered is worked through by the loop, not by
        // this caller's thread, so connection.connected is reported as soon as it is seen.
        Task<EngineOutcome> loop = Task.Run(() => engine.RunAsync(handler), CancellationToken.None);
        var connection = new FeedConnection(transport, engine, handler, loop);
        try
        {
            Task first = await Task.WhenAny(handler.Connected, loop, Task.Delay(Timeout.InfiniteTimeSpan, linked.Token)).ConfigureAwait(false);
            if (first == handler.Connected)
            {
                return connection;
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (first == loop)
            {
                EngineOutcome outcome = await loop.ConfigureAwait(false);
                C2FeedException? error = FeedErrors.From(outcome, closing: false, handler.Failure, _engine.SilenceTimeout);
                throw error is { Error: not C2FeedError.ConnectionClosed }
                    ? error
                    : new C2FeedException(C2FeedError.ConnectionClosed, $"The server closed the connection ({outcome.CloseCode} {outcome.CloseReason}) before connection.connected.")
                    {
                        CloseStatus = outcome.CloseCode,
                        CloseReason = outcome.CloseReason,
                    };
            }

            throw FeedErrors.Create(C2FeedError.Timeout, $"connection.connected did not arrive within {_timeout}.");
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<(ITransport Transport, WebSocketEngine Engine)> OpenAsync(CancellationToken deadline, CancellationToken cancellationToken)
    {
        ITransport? transport = null;
        bool opened = false;
        try
        {
            transport = await _connect(deadline).ConfigureAwait(false);
            await HandshakeClient.UpgradeAsync(transport, _handshake, _time, deadline).ConfigureAwait(false);
            opened = true;
            return (transport, new WebSocketEngine(transport, _engine));
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw FeedErrors.Create(C2FeedError.ConnectFailed, $"Connecting to {_where} did not complete within {_timeout}.", ex);
        }
        catch (TransportException ex)
        {
            throw FeedErrors.From(ex);
        }
        catch (HandshakeException ex)
        {
            throw FeedErrors.From(ex);
        }
        finally
        {
            if (!opened && transport is not null)
            {
                await transport.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
