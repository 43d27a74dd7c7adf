namespace C2Fast.IntegrationTests.Readme;

/// <summary>
/// The README's "Embedding" example, compiled here and run against the simulator by
/// <see cref="EmbeddingExampleTests"/>; the README must contain the marked region verbatim.
/// </summary>
internal static class EmbeddingExample
{
    public static async Task<long> RunAsync(C2FeedOptions options, long strategyId, long lastSeqId, Action<C2Signal> trade, CancellationToken cancellationToken)
    {
        // README:begin
        await using var client = new C2FeedClient(options with
        {
            ApiKey = options.ApiKey ?? Environment.GetEnvironmentVariable("C2_API_KEY"),
        });
        client.GapDetected += (_, e) => Console.Error.WriteLine($"gap on {e.StrategyId}: re-sync it from the REST API");

        await client.ConnectAsync(cancellationToken);
        await client.SubscribeAsync(C2Channel.Signal, strategyId, resumeFrom: lastSeqId, cancellationToken);

        try
        {
            await foreach (C2FeedMessage message in client.ReadAllAsync(cancellationToken))
            {
                using (message) // returns the pooled lease
                {
                    if (message.Type == C2MessageType.Signal)
                    {
                        trade(message.GetSignal());
                        lastSeqId = message.SeqId!.Value; // persist it to resume after a restart
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // shutting down
        }

        // README:end
        return lastSeqId;
    }
}
