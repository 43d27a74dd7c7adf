namespace C2Fast.Tests.Client;

/// <summary>The public client's constructor, without a server (split from C2Fast.IntegrationTests' C2FeedClientTests, which run against the simulator).</summary>
public class C2FeedClientConstructorTests
{
    [Fact]
    public void Options_Invalid_ConstructorNamesProperty()
    {
        Assert.Equal("Queues.Partitions", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedClient(new C2FeedOptions { Queues = new C2QueueOptions { Partitions = 0 } })).ParamName);
        Assert.Equal("Queues.MaxBufferedBytes", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedClient(new C2FeedOptions { Queues = new C2QueueOptions { MaxBufferedBytes = 10 } })).ParamName);
        Assert.Equal("Heartbeat.Interval", Assert.Throws<ArgumentOutOfRangeException>(() => new C2FeedClient(new C2FeedOptions { Heartbeat = new C2HeartbeatOptions { Interval = TimeSpan.Zero } })).ParamName);
    }
}
