using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using C2Fast.Framing;
using C2Fast.Handshake;
using C2Fast.Transport;

namespace C2Fast.Session;

/// <summary>
/// The one place where the lower layers' failures become the public <see cref="C2FeedException"/>: transport
/// and handshake exceptions, the engine's outcome, and the session's own errors.
/// </summary>
internal static class FeedErrors
{
    public static C2FeedException Create(C2FeedError error, string message, Exception? inner = null)
        => new(error, message, inner);

    [DoesNotReturn]
    public static void Throw(C2FeedError error, string message, Exception? inner = null)
        => throw Create(error, message, inner);

    public static C2FeedException NotConnected() => Create(C2FeedError.ConnectionNotOpen, "The client is not connected.");

    /// <summary>The transport could not be set up.</summary>
    public static C2FeedException From(TransportException ex) => Create(
        ex.Error == TransportError.TlsFailed ? C2FeedError.TlsFailed : C2FeedError.ConnectFailed,
        ex.Message,
        ex.InnerException ?? ex);

    /// <summary>The upgrade failed: a rejection keeps what the server said (status, header, body, Retry-After).</summary>
    public static C2FeedException From(HandshakeException ex)
    {
        if (ex.Error == HandshakeError.ConnectionLost)
        {
            return Create(C2FeedError.ConnectionLost, ex.Message, ex.InnerException);
        }

        if (ex.Rejection is not { } rejection)
        {
            return Create(C2FeedError.InvalidHandshake, ex.Message);
        }

        C2FeedError error = rejection.StatusCode switch
        {
            401 or 403 => C2FeedError.AuthenticationFailed,
            429 or 503 => C2FeedError.ConnectionRejected,
            _ => C2FeedError.HandshakeFailed,
        };
        return new C2FeedException(error, ex.Message)
        {
            HttpStatus = rejection.StatusCode,
            ServerErrorHeader = rejection.ErrorHeader,
            ServerCode = rejection.Code,
            ServerMessage = rejection.Message,
            RetryAfter = rejection.RetryAfter,
        };
    }

    /// <summary>
    /// How a connection ended, as the session reports it: null for an end the application asked for
    /// (<paramref name="closing"/>), else the typed error. <paramref name="handlerFailure"/> is what an inline handler threw.
    /// </summary>
    public static C2FeedException? From(EngineOutcome outcome, bool closing, Exception? handlerFailure, TimeSpan silenceTimeout)
    {
        if (handlerFailure is not null)
        {
            return Create(C2FeedError.HandlerFailed, $"The inline handler threw: {handlerFailure.Message}", handlerFailure);
        }

        switch (outcome.End)
        {
            case EngineEnd.ProtocolError:
                C2FeedError error = outcome.Error switch
                {
                    FrameError.InvalidUtf8 or FrameError.InvalidCloseReasonUtf8 => C2FeedError.InvalidUtf8,
                    FrameError.MessageTooBig => C2FeedError.MessageTooBig,
                    _ => C2FeedError.ProtocolViolation,
                };
                return new C2FeedException(error, FrameErrors.Describe(outcome.Error)) { CloseStatus = outcome.CloseCode };
            case EngineEnd.SilenceTimeout:
                return Create(C2FeedError.Timeout, string.Create(CultureInfo.InvariantCulture, $"No data from the server for {silenceTimeout.TotalMilliseconds:0} ms: the connection is treated as dead."));
            case EngineEnd.Faulted:
                return Create(C2FeedError.ConnectionLost, "The connection failed unexpectedly.", outcome.Exception);
        }

        if (closing)
        {
            return null;
        }

        return outcome.End switch
        {
            EngineEnd.Closed or EngineEnd.CloseUnanswered => new C2FeedException(
                C2FeedError.ConnectionClosed,
                string.Create(CultureInfo.InvariantCulture, $"The server closed the connection ({outcome.CloseCode} {outcome.CloseReason})."))
            {
                CloseStatus = outcome.CloseCode,
                CloseReason = outcome.CloseReason,
            },
            EngineEnd.TransportClosed => Create(C2FeedError.ConnectionLost, "The server ended the TCP connection without a close frame."),
            EngineEnd.TransportFailed => Create(C2FeedError.ConnectionLost, "The connection failed.", outcome.Exception),
            _ => Create(C2FeedError.ConnectionLost, "The connection was dropped."),
        };
    }

    /// <summary>The server answered a request with <c>error</c>.</summary>
    public static C2FeedException Rejected(RequestTracker.PendingRequest request, IReadOnlyList<C2ServerError> errors)
    {
        C2ServerError first = errors.Count > 0 ? errors[0] : new C2ServerError(null, null, null);
        string text = string.Join("; ", errors.Select(e => $"{e.Code} {e.Field} {e.Message}".Trim()));
        return new C2FeedException(C2FeedError.ServerError, $"The server rejected the {request.Describe()}: {text}")
        {
            ServerCode = first.Code,
            ServerMessage = first.Message,
            ServerField = first.Field,
            ServerErrors = errors,
        };
    }
}
