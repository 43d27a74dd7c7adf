using C2Fast.Session;

namespace C2Fast.Tests.Session;

/// <summary>
/// Reconnect backoff: full jitter in [0, min(MaxDelay, BaseDelay·2^(n-1))] in whole milliseconds, the cap for any
/// attempt number, a floor after rejections (RejectionDelay or a longer Retry-After), and which failures end it.
/// </summary>
public class ReconnectPolicyTests
{
    private static readonly C2ReconnectOptions Options = new()
    {
        BaseDelay = TimeSpan.FromMilliseconds(100),
        MaxDelay = TimeSpan.FromSeconds(10),
        RejectionDelay = TimeSpan.FromSeconds(5),
    };

    private static readonly double[] Randoms = [0, 1e-9, 0.001, 0.25, 0.5, 0.75, 0.999, 0.999_999_999];

    private static readonly ReconnectPolicy Policy = new(Options);

    private static double CapMs(int attempt)
        => Math.Min(Options.MaxDelay.TotalMilliseconds, Options.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));

    private static void AssertWholeMilliseconds(TimeSpan delay)
        => Assert.True(delay.Ticks % TimeSpan.TicksPerMillisecond == 0, $"{delay} is not a whole number of milliseconds");

    [Fact]
    public void Delay_EveryAttemptAndRandom_WithinZeroAndTheCapInWholeMilliseconds()
    {
        for (int attempt = 1; attempt <= 20; attempt++)
        {
            foreach (double random in Randoms)
            {
                TimeSpan delay = Policy.Delay(attempt, null, random);
                Assert.InRange(delay.TotalMilliseconds, 0, CapMs(attempt));
                AssertWholeMilliseconds(delay);
            }
        }
    }

    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    [InlineData(3, 400)]
    [InlineData(7, 6_400)]
    [InlineData(8, 10_000)] // 12.8 s capped at MaxDelay
    [InlineData(9, 10_000)]
    public void Delay_RandomJustBelowOne_ReachesTheAttemptsCap(int attempt, int capMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(capMs), Policy.Delay(attempt, null, 0.999_999_999));
    }

    [Theory]
    [InlineData(1, 0.5, 50)]
    [InlineData(3, 0.5, 200)]
    [InlineData(3, 0.1234, 50)]  // 49.36 ms rounds up
    [InlineData(10, 0.25, 2_500)]
    public void Delay_FullJitter_TheRandomShareOfTheCapRoundedUp(int attempt, double random, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), Policy.Delay(attempt, null, random));
    }

    [Fact]
    public void Delay_RandomZero_NoWait()
    {
        Assert.Equal(TimeSpan.Zero, Policy.Delay(1, null, 0));
        Assert.Equal(TimeSpan.Zero, Policy.Delay(50, null, 0));
    }

    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(1_000)]
    [InlineData(int.MaxValue)]
    public void Delay_AttemptLargeEnoughToOverflowAShift_StaysAtTheCap(int attempt)
    {
        Assert.Equal(Options.MaxDelay, Policy.Delay(attempt, null, 0.999_999_999));
        Assert.Equal(TimeSpan.FromTicks(Options.MaxDelay.Ticks / 2), Policy.Delay(attempt, null, 0.5));
        Assert.InRange(Policy.Delay(attempt, null, 0.75), TimeSpan.Zero, Options.MaxDelay);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void Delay_ConnectionRejectedWithoutRetryAfter_AtLeastTheRejectionDelay(double random)
    {
        var rejected = new C2FeedException(C2FeedError.ConnectionRejected, "429") { HttpStatus = 429 };

        Assert.Equal(Options.RejectionDelay, Policy.Delay(1, rejected, random));
    }

    [Fact]
    public void Delay_ConnectionRejectedJitterAboveTheFloor_TheJitter()
    {
        var rejected = new C2FeedException(C2FeedError.ConnectionRejected, "503") { HttpStatus = 503 };

        Assert.Equal(TimeSpan.FromSeconds(8), Policy.Delay(20, rejected, 0.8)); // 8 s of a 10 s cap beats the 5 s floor
    }

    [Fact]
    public void Delay_RetryAfterLongerThanTheRejectionDelay_RetryAfter()
    {
        var rejected = new C2FeedException(C2FeedError.ConnectionRejected, "429") { HttpStatus = 429, RetryAfter = TimeSpan.FromSeconds(42) };

        Assert.Equal(TimeSpan.FromSeconds(42), Policy.Delay(1, rejected, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(42), Policy.Delay(30, rejected, 0.999)); // above the backoff cap too
    }

    [Fact]
    public void Delay_RetryAfterShorterThanTheRejectionDelay_TheRejectionDelay()
    {
        var rejected = new C2FeedException(C2FeedError.ConnectionRejected, "429") { HttpStatus = 429, RetryAfter = TimeSpan.FromSeconds(2) };

        Assert.Equal(Options.RejectionDelay, Policy.Delay(1, rejected, 0));
    }

    [Fact]
    public void Delay_ServerClosedWith1008_FlooredLikeARejection()
    {
        var closed = new C2FeedException(C2FeedError.ConnectionClosed, "closed") { CloseStatus = 1008 };

        Assert.Equal(Options.RejectionDelay, Policy.Delay(1, closed, 0));
    }

    [Theory]
    [InlineData(C2FeedError.ConnectionClosed, 1000)]
    [InlineData(C2FeedError.ConnectionClosed, 1011)]
    [InlineData(C2FeedError.ConnectionClosed, null)]
    [InlineData(C2FeedError.ProtocolViolation, 1008)] // only a close by the server counts
    [InlineData(C2FeedError.ConnectionLost, null)]
    [InlineData(C2FeedError.Timeout, null)]
    [InlineData(C2FeedError.HandshakeFailed, null)]
    public void Delay_OtherFailures_NoFloor(C2FeedError error, int? closeStatus)
    {
        var failure = new C2FeedException(error, "failed") { CloseStatus = closeStatus, RetryAfter = TimeSpan.FromSeconds(30) };

        Assert.Equal(TimeSpan.Zero, Policy.Delay(1, failure, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(50), Policy.Delay(1, failure, 0.5));
    }

    [Fact]
    public void IsTerminal_OnlyABadKeyOrAFailedHandler()
    {
        foreach (C2FeedError error in Enum.GetValues<C2FeedError>())
        {
            bool expected = error is C2FeedError.AuthenticationFailed or C2FeedError.HandlerFailed;
            Assert.True(expected == ReconnectPolicy.IsTerminal(new C2FeedException(error, "failed")), $"{error}");
        }
    }

    [Fact]
    public void IsTerminal_401Rejection_Terminal()
    {
        var unauthorized = new C2FeedException(C2FeedError.AuthenticationFailed, "401") { HttpStatus = 401 };
        var rateLimited = new C2FeedException(C2FeedError.ConnectionRejected, "429") { HttpStatus = 429 };

        Assert.True(ReconnectPolicy.IsTerminal(unauthorized));
        Assert.False(ReconnectPolicy.IsTerminal(rateLimited));
    }
}
