namespace C2Fast.Tests.Client;

/// <summary>The public client's constructor, without a server (split from C2Fast.IntegrationTests' C2FeedClientTests, which run against the simulator).</summary>
public class C2FeedClientConstructorTests
{
    [Fact]
    public void Options_Invalid_ConstructorNamesProperty()
    {
        Assert.Equal("ConsumerPartitions", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedClient(new C2FeedOptions { ConsumerPartitions = 0 })).ParamName);
        Assert.Equal("MaxBufferedBytes", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedClient(new C2FeedOptions { MaxBufferedBytes = 10 })).ParamName);
        Assert.Equal("HeartbeatInterval", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedClient(new C2FeedOptions { HeartbeatInterval = TimeSpan.Zero })).ParamName);
    }
}
