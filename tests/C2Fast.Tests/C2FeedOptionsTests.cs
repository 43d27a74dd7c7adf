namespace C2Fast.Tests;

public class C2FeedOptionsTests
{
    [Fact]
    public void Defaults_ProductionEndpointAndDocumentedLimits()
    {
        var options = new C2FeedOptions();
        Assert.Equal(new Uri("wss://api4-general.collective2.com/ws"), options.Endpoint);
        Assert.Equal(16 * 1024 * 1024, options.Connection.MaxMessageSize);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Heartbeat.Interval);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Heartbeat.Grace);
        Assert.Equal(100, options.MaxSubscriptions);
        Assert.Same(TimeProvider.System, options.TimeProvider);
        options.Validate();
    }

    [Theory]
    [InlineData("key\r\nX-Evil: 1")]
    [InlineData("key\n")]
    [InlineData("ke y")]
    [InlineData("")]
    public void Validate_BadApiKey_ThrowsNamingPropertyWithoutTheKey(string key)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedOptions { ApiKey = key }.Validate());
        Assert.Equal(nameof(C2FeedOptions.ApiKey), ex.ParamName);
        if (key.Length > 0)
        {
            Assert.DoesNotContain(key, ex.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("X-Ok", "bad\r\nvalue")]
    [InlineData("Bad Name", "value")]
    [InlineData("Authorization", "Bearer other")]
    [InlineData("Sec-WebSocket-Protocol", "chat")]
    public void Validate_BadAdditionalHeader_Throws(string name, string value)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedOptions { Connection = new C2ConnectionOptions { AdditionalHeaders = new Dictionary<string, string> { [name] = value } } }.Validate());
        Assert.Equal("Connection.AdditionalHeaders", ex.ParamName);
    }

    [Fact]
    public void Validate_OutOfRangeValues_ThrowNamingProperty()
    {
        Assert.Equal("Endpoint", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedOptions { Endpoint = new Uri("http://x/") }.Validate()).ParamName);
        Assert.Equal("Connection.MaxMessageSize", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedOptions { Connection = new C2ConnectionOptions { MaxMessageSize = 0 } }.Validate()).ParamName);
        Assert.Equal("Connection.ConnectTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedOptions { Connection = new C2ConnectionOptions { ConnectTimeout = TimeSpan.Zero } }.Validate()).ParamName);
        Assert.Equal("Connection.MaxHandshakeResponseSize", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedOptions { Connection = new C2ConnectionOptions { MaxHandshakeResponseSize = 10 } }.Validate()).ParamName);
        Assert.Equal("Heartbeat.PausedAckInterval", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedOptions { Heartbeat = new C2HeartbeatOptions { PausedAckInterval = TimeSpan.FromSeconds(30) } }.Validate()).ParamName);
        Assert.Equal("Reconnect.MaxDelay", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedOptions { Reconnect = new C2ReconnectOptions { MaxDelay = TimeSpan.FromMilliseconds(1) } }.Validate()).ParamName);
        Assert.Equal("Queues.Capacity", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedOptions { Queues = new C2QueueOptions { Capacity = 0 } }.Validate()).ParamName);
        Assert.Equal("Tuning.ReceiveBufferSize", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedOptions { Tuning = new C2TuningOptions { ReceiveBufferSize = 10 } }.Validate()).ParamName);
        Assert.Throws<ArgumentNullException>(() => new C2FeedOptions { Heartbeat = null! }.Validate());
    }

    [Fact]
    public void InlineClient_WithPartitionsOrADropPolicy_ThrowsNamingTheConflict()
    {
        var options = new C2FeedOptions();
        Assert.Equal(C2DeliveryMode.Inline, new C2FeedClient(options, _ => { }).Delivery); // alone it is fine

        Assert.Equal("Queues.Partitions", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedClient(options with { Queues = new C2QueueOptions { Partitions = 2 } }, _ => { })).ParamName);
        Assert.Equal("Queues.SlowConsumerPolicy", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedClient(options with { Queues = new C2QueueOptions { SlowConsumerPolicy = C2SlowConsumerPolicy.DropOldest } }, _ => { })).ParamName);
        Assert.Throws<ArgumentNullException>(() => new C2FeedClient(options, inlineHandler: null!));
    }

    [Fact]
    public void With_InsideAGroup_ChangesOnlyThatValue()
    {
        var options = new C2FeedOptions { ApiKey = "k" };
        C2FeedOptions changed = options with { Reconnect = options.Reconnect with { MaxAttempts = 3 } };

        Assert.Equal(3, changed.Reconnect.MaxAttempts);
        Assert.Null(options.Reconnect.MaxAttempts);
        Assert.Equal(options.Reconnect.BaseDelay, changed.Reconnect.BaseDelay);
        Assert.Same(options.Queues, changed.Queues);
    }

    [Fact]
    public void ToString_NeverShowsApiKey()
    {
        string text = new C2FeedOptions { ApiKey = "SECRET-KEY-42" }.ToString();
        Assert.DoesNotContain("SECRET-KEY-42", text, StringComparison.Ordinal);
        Assert.Contains("[redacted]", text, StringComparison.Ordinal);
    }
}
