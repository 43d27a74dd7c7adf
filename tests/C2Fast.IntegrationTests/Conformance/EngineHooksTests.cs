using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Threading.Tasks.Sources;
using C2Fast.Framing;
using C2Fast.IntegrationTests.Infrastructure;
using C2Fast.Tests.Infrastructure;

namespace C2Fast.IntegrationTests.Conformance;

/// <summary>The hooks the feed layer builds on: replies queued from the handler, backpressure, liveness.</summary>
public class EngineHooksTests
{
    private sealed class ReplyingHandler : IMessageHandler
    {
        public MessageAction OnMessage(WebSocketEngine engine, bool isText, ReadOnlySpan<byte> payload)
        {
            engine.QueueReply(Encoding.UTF8.GetBytes("re:" + Encoding.UTF8.GetString(payload)));
            return MessageAction.Continue;
        }

        public void OnReadCompleted(WebSocketEngine engine)
        {
        }

        public void OnRepliesWritten(int count)
        {
        }

        public ValueTask WaitForCapacityAsync(WebSocketEngine engine, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    /// <summary>
    /// Asks for a pause after the second message. Its capacity wait is a value-task source of its own, so the test
    /// sees the loop await it (<see cref="Parked"/>): from then on the loop cannot deliver until <see cref="Release"/>.
    /// </summary>
    private sealed class PausingHandler : IMessageHandler, IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _capacity = new() { RunContinuationsAsynchronously = true };
        private int _completed;
        private CancellationTokenRegistration _cancellation;

        public List<string> Seen { get; } = [];

        public TaskCompletionSource Paused { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The loop awaits the capacity wait (registered its continuation).</summary>
        public TaskCompletionSource Parked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release()
        {
            if (Interlocked.Exchange(ref _completed, 1) == 0)
            {
                _capacity.SetResult(true);
            }
        }

        public MessageAction OnMessage(WebSocketEngine engine, bool isText, ReadOnlySpan<byte> payload)
        {
            lock (Seen)
            {
                Seen.Add(Encoding.UTF8.GetString(payload));
            }

            return Seen.Count != 2 ? MessageAction.Continue : MessageAction.Pause; // a pause after the second message
        }

        public void OnReadCompleted(WebSocketEngine engine)
        {
        }

        public void OnRepliesWritten(int count)
        {
        }

        public ValueTask WaitForCapacityAsync(WebSocketEngine engine, CancellationToken cancellationToken)
        {
            Paused.TrySetResult();
            _cancellation = cancellationToken.Register(() =>
            {
                if (Interlocked.Exchange(ref _completed, 1) == 0)
                {
                    _capacity.SetException(new OperationCanceledException(cancellationToken));
                }
            });
            return new ValueTask(this, _capacity.Version);
        }

        void IValueTaskSource.GetResult(short token)
        {
            _cancellation.Dispose();
            _capacity.GetResult(token);
        }

        ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _capacity.GetStatus(token);

        void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        {
            _capacity.OnCompleted(continuation, state, token, flags);
            Parked.TrySetResult();
        }
    }

    [Fact]
    public async Task QueueReply_RepliesMaskedInOrderRightAfterEachMessage()
    {
        var replies = new List<TestFrame>();
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.AcceptAsync();
            for (int i = 0; i < 5; i++)
            {
                // One message at a time: the reply must come without any further input.
                await peer.WriteAsync(TestFrames.Text($"m{i}"));
                replies.Add((await peer.ReadFrameAsync(ClientHarness.Timeout))!);
            }

            await peer.WriteAsync(TestFrames.Close(1000));
            await peer.ReadCloseAsync(ClientHarness.Timeout);
        });
        await using var connection = await TestConnection.ConnectAsync(ClientHarness.Options(server.Url("/ws")));
        await connection.RunAsync(new ReplyingHandler()).WaitAsync(ClientHarness.Timeout);
        await server.WaitForHandlersAsync(ClientHarness.Timeout);

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"re:m{i}"), replies.Select(r => r.PayloadText));
        Assert.All(replies, r => Assert.True(r.Masked && r.Fin && r.Opcode == TestFrames.OpText));
    }

    [Fact]
    public async Task Pause_LoopStopsUntilHandlerHasCapacity_ThenDeliversTheRestInOrder()
    {
        var handler = new PausingHandler();
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.AcceptAsync();
            await peer.WriteAsync(TestFrames.Concat(TestFrames.Text("a"), TestFrames.Text("b"), TestFrames.Text("c"), TestFrames.Text("d"), TestFrames.Close(1000)));
            await peer.ReadCloseAsync(ClientHarness.Timeout);
        });
        await using var connection = await TestConnection.ConnectAsync(ClientHarness.Options(server.Url("/ws")));
        Task<CloseResult> loop = connection.RunAsync(handler);

        await handler.Paused.Task.WaitAsync(ClientHarness.Timeout);
        // Not after a sleep: once the loop awaits the capacity wait it cannot deliver or end until the release.
        await handler.Parked.Task.WaitAsync(ClientHarness.Timeout);
        Assert.Equal(["a", "b"], handler.Seen);
        Assert.False(loop.IsCompleted);

        handler.Release();
        CloseResult closed = await loop.WaitAsync(ClientHarness.Timeout);
        Assert.Equal(["a", "b", "c", "d"], handler.Seen);
        Assert.Equal(1000, closed.Code);
    }

    [Fact]
    public async Task Liveness_ServerSilent_TimeoutAfterSilencePeriod()
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.AcceptAsync();
            await peer.WriteAsync(TestFrames.Text("then silence"));
            await peer.WaitForEofAsync(ClientHarness.Timeout);
        });
        await using var connection = await TestConnection.ConnectAsync(ClientHarness.Options(server.Url("/ws"), silence: TimeSpan.FromMilliseconds(500)));
        var stopwatch = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<C2FeedException>(() => connection.RunAsync(new RecordingHandler()).WaitAsync(ClientHarness.Timeout));

        Assert.Equal(C2FeedError.Timeout, ex.Error);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(5));
        await server.WaitForHandlersAsync(ClientHarness.Timeout);
    }

    [Fact]
    public async Task Liveness_PingsKeepItAlive()
    {
        await using var server = await RawKestrelServer.StartAsync(async peer =>
        {
            await peer.AcceptAsync();
            for (int i = 0; i < 12; i++)
            {
                await Task.Delay(100); // 1.2 s in all, twice the silence limit; a loaded machine may stretch a gap to ~300 ms
                await peer.WriteAsync(TestFrames.Ping("alive"));
            }

            await peer.WriteAsync(TestFrames.Close(1000));
            await peer.ReadCloseAsync(ClientHarness.Timeout, skipOtherFrames: true);
        });
        await using var connection = await TestConnection.ConnectAsync(ClientHarness.Options(server.Url("/ws"), silence: TimeSpan.FromMilliseconds(600)));

        CloseResult closed = await connection.RunAsync(new RecordingHandler()).WaitAsync(ClientHarness.Timeout);

        Assert.Equal(1000, closed.Code);
    }
}
