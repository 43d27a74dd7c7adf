namespace C2Fast.IntegrationTests.Infrastructure;

public sealed class PeerProcessTests
{
    [Theory]
    [InlineData(PeerKind.Python, "unrecognized arguments")]
    [InlineData(PeerKind.Node, "unknown argument")]
    public async Task StartAsync_PeerExitsBeforeReady_ThrowsWithExitCodeAndPeerStderr(PeerKind kind, string stderrText)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => PeerProcess.StartAsync(kind, new PeerOptions(ExtraArguments: ["--no-such-option"])));

        Assert.Contains("exited before it was ready", error.Message, StringComparison.Ordinal);
        Assert.Contains("exit code 2", error.Message, StringComparison.Ordinal);
        Assert.Contains(stderrText, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_Python_PrintsPortAndStopsOnDispose()
    {
        var peer = await PeerProcess.StartAsync(PeerKind.Python);

        Assert.InRange(peer.Port, 1, 65535);
        Assert.Equal(new Uri($"ws://127.0.0.1:{peer.Port}/echo"), peer.Url("/echo"));
        await peer.DisposeAsync();
        Assert.True(peer.HasExited);
    }
}
