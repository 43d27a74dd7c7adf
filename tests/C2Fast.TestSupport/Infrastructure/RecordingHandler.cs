using C2Fast.Framing;

namespace C2Fast.Tests.Infrastructure;

/// <summary>A received message, copied out of the read loop.</summary>
internal sealed record ReceivedMessage(bool IsText, byte[] Payload);

/// <summary>Collects messages delivered by the read loop (copies: the payload is borrowed).</summary>
internal sealed class RecordingHandler : IMessageHandler
{
    private readonly List<ReceivedMessage> _messages = [];

    public IReadOnlyList<ReceivedMessage> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    public MessageAction OnMessage(WebSocketEngine engine, bool isText, ReadOnlySpan<byte> payload)
    {
        lock (_messages)
        {
            _messages.Add(new ReceivedMessage(isText, payload.ToArray()));
        }

        return MessageAction.Continue;
    }

    public void OnReadCompleted(WebSocketEngine engine)
    {
    }

    public void OnRepliesWritten(int count)
    {
    }

    public ValueTask WaitForCapacityAsync(WebSocketEngine engine, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Waits until at least <paramref name="count"/> messages arrived.</summary>
    public async Task<IReadOnlyList<ReceivedMessage>> WaitForAsync(int count, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            IReadOnlyList<ReceivedMessage> messages = Messages;
            if (messages.Count >= count)
            {
                return messages;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{messages.Count} of {count} messages arrived within {timeout}.");
            }

            await Task.Delay(5);
        }
    }
}
