namespace C2Fast.Tests;

public class C2FeedOptionsTests
{
    [Fact]
    public void Defaults_ProductionEndpointAndDocumentedLimits()
    {
        var options = new C2FeedOptions();
        Assert.Equal(new Uri("wss://api4-general.collective2.com/ws"), options.Endpoint);
        Assert.Equal(16 * 1024 * 1024, options.MaxMessageSize);
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
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedOptions { AdditionalHeaders = new Dictionary<string, string> { [name] = value } }.Validate());
        Assert.Equal(nameof(C2FeedOptions.AdditionalHeaders), ex.ParamName);
    }

    [Fact]
    public void Validate_OutOfRangeValues_ThrowNamingProperty()
    {
        Assert.Equal("Endpoint", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedOptions { Endpoint = new Uri("http://x/") }.Validate()).ParamName);
        Assert.Equal("MaxMessageSize", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedOptions { MaxMessageSize = 0 }.Validate()).ParamName);
        Assert.Equal("ConnectTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedOptions { ConnectTimeout = TimeSpan.Zero }.Validate()).ParamName);
        Assert.Equal("MaxHandshakeResponseSize", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedOptions { MaxHandshakeResponseSize = 10 }.Validate()).ParamName);
    }

    [Fact]
    public void Validate_InlineHandlerWithPartitionsOrADropPolicy_ThrowsNamingTheConflict()
    {
        var inline = new C2FeedOptions { InlineHandler = _ => { } };
        inline.Validate(); // alone it is fine

        Assert.Equal("ConsumerPartitions", Assert.Throws<ArgumentOutOfRangeException>(() => (inline with { ConsumerPartitions = 2 }).Validate()).ParamName);
        Assert.Equal("SlowConsumerPolicy", Assert.Throws<ArgumentOutOfRangeException>(() => (inline with { SlowConsumerPolicy = C2SlowConsumerPolicy.DropOldest }).Validate()).ParamName);
    }

    [Fact]
    public void ToString_NeverShowsApiKey()
    {
        string text = new C2FeedOptions { ApiKey = "SECRET-KEY-42" }.ToString();
        Assert.DoesNotContain("SECRET-KEY-42", text, StringComparison.Ordinal);
        Assert.Contains("[redacted]", text, StringComparison.Ordinal);
    }
}
