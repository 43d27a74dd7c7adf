using C2Fast.Handshake;
using C2Fast.Session;

namespace C2Fast.Tests.Session;

/// <summary>How a failed upgrade becomes the public error: the status picks the kind, a rejection keeps what the server said.</summary>
public class FeedErrorsTests
{
    private static HandshakeException Rejected(int status, TimeSpan? retryAfter = null)
        => new(HandshakeError.Rejected, "rejected", new HandshakeRejection(status, "X-WS-Error value", "SERVER_CODE", "server message", retryAfter));

    [Theory]
    [InlineData(401, C2FeedError.AuthenticationFailed)]
    [InlineData(429, C2FeedError.ConnectionRejected)]
    [InlineData(503, C2FeedError.ConnectionRejected)]
    [InlineData(400, C2FeedError.HandshakeFailed)]
    [InlineData(403, C2FeedError.AuthenticationFailed)]
    [InlineData(404, C2FeedError.HandshakeFailed)]
    [InlineData(500, C2FeedError.HandshakeFailed)]
    [InlineData(200, C2FeedError.HandshakeFailed)]
    public void From_Rejection_ErrorByStatusWithEverythingTheServerSaid(int status, C2FeedError expected)
    {
        C2FeedException error = FeedErrors.From(Rejected(status, TimeSpan.FromSeconds(12)));

        Assert.Equal(expected, error.Error);
        Assert.Equal(status, error.HttpStatus);
        Assert.Equal("X-WS-Error value", error.ServerErrorHeader);
        Assert.Equal("SERVER_CODE", error.ServerCode);
        Assert.Equal("server message", error.ServerMessage);
        Assert.Equal(TimeSpan.FromSeconds(12), error.RetryAfter);
        Assert.Null(error.CloseStatus);
    }

    [Fact]
    public void From_RejectionWithoutDetails_NullsKept()
    {
        var rejection = new HandshakeException(HandshakeError.Rejected, "rejected", new HandshakeRejection(503, null, null, null, null));

        C2FeedException error = FeedErrors.From(rejection);

        Assert.Equal(C2FeedError.ConnectionRejected, error.Error);
        Assert.Equal(503, error.HttpStatus);
        Assert.Null(error.ServerErrorHeader);
        Assert.Null(error.ServerCode);
        Assert.Null(error.ServerMessage);
        Assert.Null(error.RetryAfter);
    }

    [Theory]
    [InlineData((int)HandshakeError.MalformedStatusLine)]
    [InlineData((int)HandshakeError.MalformedHeader)]
    [InlineData((int)HandshakeError.ResponseTooLarge)]
    [InlineData((int)HandshakeError.MissingUpgrade)]
    [InlineData((int)HandshakeError.MissingConnection)]
    [InlineData((int)HandshakeError.InvalidAccept)]
    [InlineData((int)HandshakeError.UnrequestedExtension)]
    [InlineData((int)HandshakeError.UnrequestedSubprotocol)]
    public void From_InvalidResponse_InvalidHandshakeWithoutHttpDetails(int invalid) // the enum is internal: its value
    {
        C2FeedException error = FeedErrors.From(new HandshakeException((HandshakeError)invalid, "invalid"));

        Assert.Equal(C2FeedError.InvalidHandshake, error.Error);
        Assert.Null(error.HttpStatus);
        Assert.Null(error.ServerCode);
        Assert.Null(error.RetryAfter);
    }

    [Fact]
    public void From_ConnectionLost_ConnectionLostWithTheCause()
    {
        var cause = new IOException("reset");

        C2FeedException error = FeedErrors.From(new HandshakeException(HandshakeError.ConnectionLost, "lost", inner: cause));

        Assert.Equal(C2FeedError.ConnectionLost, error.Error);
        Assert.Same(cause, error.InnerException);
        Assert.Null(error.HttpStatus);
        Assert.True(error.IsRetryable);
    }

    [Fact]
    public void From_401_NotRetryable429Retryable()
    {
        Assert.False(FeedErrors.From(Rejected(401)).IsRetryable);
        Assert.True(FeedErrors.From(Rejected(429)).IsRetryable);
    }
}
