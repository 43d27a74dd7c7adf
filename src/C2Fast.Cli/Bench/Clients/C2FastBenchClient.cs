using System.Diagnostics;
using System.Threading.Channels;

namespace C2Fast.Cli.Bench.Clients;

/// <summary>
/// C2Fast as an application uses it: <see cref="C2FeedClient.Messages"/>, a consumer that reads the message type and
/// seq_id and disposes the lease; or (<c>inline</c>) an <see cref="C2FeedOptions.InlineHandler"/> that reads the same
/// two fields on the read loop. Heartbeats are acknowledged by the read loop and never reach the consumer, so they
/// are counted from <see cref="C2FeedClient.GetStatistics"/>.
/// </summary>
internal sealed class C2FastBenchClient(bool inline = false) : IBenchClient
{
    public async Task<BenchClientResult> RunAsync(BenchClientArgs args, Func<Task> ready, BenchProgress progress, CancellationToken cancellationToken)
    {
        var options = new C2FeedOptions
        {
            Endpoint = args.Uri,
            ApiKey = args.ApiKey,
            TrustedCaCertificate = args.Ca,
            Reconnect = false, // a bench run that loses its connection must fail, not hide it
            DedicatedReceiveThread = args.ReceiveThread,
        };
        var meter = new BenchMeter();
        long target = args.Messages - args.Heartbeats; // what the consumer sees
        InlineConsumer? inlineConsumer = null;
        if (inline)
        {
            if (args.Mode == BenchClientMode.Stall)
            {
                throw new InvalidOperationException("An inline handler has no queue to stall.");
            }

            inlineConsumer = new InlineConsumer(target, meter, progress);
            options = options with { InlineHandler = inlineConsumer.Handle };
        }

        if (args.BudgetBytes is long budget)
        {
            // The budget must hold one message of MaxMessageSize (16 MiB by default): a small test budget lowers that too.
            options = options with { MaxBufferedBytes = budget, MaxMessageSize = (int)Math.Min(options.MaxMessageSize, budget / 4) };
        }

        var client = new C2FeedClient(options);
        await using (client.ConfigureAwait(false))
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            meter.Start(); // the flood starts after READY, so an inline handler has seen nothing yet
            if (inlineConsumer is not null)
            {
                inlineConsumer.Client = client;
            }

            await ready().ConfigureAwait(false);

            BenchStallSample? stall = null;
            if (args.Mode == BenchClientMode.Stall)
            {
                stall = await StallAsync(client, args, cancellationToken).ConfigureAwait(false);
            }

            long delivered = 0;
            long checksum = 0;
            long windowAt = Math.Max(1, target / 10);
            // The wait takes no token: a cancellable wait allocates a waiter each time the queue runs dry. The run's
            // time limit disposes the client instead, which completes the queue.
            using CancellationTokenRegistration onTimeout = cancellationToken.Register(static c => _ = ((C2FeedClient)c!).DisposeAsync().AsTask(), client);
            if (inlineConsumer is not null)
            {
                await Task.WhenAny(inlineConsumer.Done, client.Completion).ConfigureAwait(false);
                delivered = inlineConsumer.Delivered;
            }

            // Inline, there are no queues to read: the loop below is skipped.
            ChannelReader<C2FeedMessage>? reader = inlineConsumer is null ? client.Messages : null;
            while (reader is not null && delivered < target && await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (delivered < target && reader.TryRead(out C2FeedMessage? message))
                {
                    // The minimum a consumer does: look at the type and the seq_id, give the lease back.
                    checksum += (int)message.Type + (message.SeqId ?? 0);
                    message.Dispose();
                    delivered++;
                    if (delivered == windowAt)
                    {
                        meter.OpenWindow(delivered + client.GetStatistics().HeartbeatsAcknowledged);
                    }
                }

                Volatile.Write(ref progress.Messages, delivered);
            }

            if (delivered < target)
            {
                throw new InvalidOperationException($"the feed ended after {delivered} of {target} messages: {Ended(client)}");
            }

            // Heartbeats are acked by the loop as they are parsed, so by now they are counted; idle mode only waits for them.
            long acked;
            while ((acked = client.GetStatistics().HeartbeatsAcknowledged) < args.Heartbeats)
            {
                if (client.Completion.IsCompleted)
                {
                    throw new InvalidOperationException($"the feed ended after {acked} of {args.Heartbeats} heartbeats: {Ended(client)}");
                }

                Volatile.Write(ref progress.Messages, delivered + acked);
                await Task.Delay(2, cancellationToken).ConfigureAwait(false);
            }

            meter.Stop();
            GC.KeepAlive(checksum + (inlineConsumer?.Checksum ?? 0));
            C2FeedStatistics stats = client.GetStatistics();
            Volatile.Write(ref progress.Messages, delivered + stats.HeartbeatsAcknowledged);
            BenchClientResult result = meter.Result(args.Client, delivered + stats.HeartbeatsAcknowledged, stats.HeartbeatsAcknowledged, 0, delivered + stats.HeartbeatsAcknowledged, stall: stall);
            await client.CloseAsync(cancellationToken).ConfigureAwait(false);
            return result;
        }
    }

    /// <summary>
    /// The inline consumer: the same minimum work as the queue consumer (type and seq_id), on the read loop. It opens
    /// the steady-state window at a tenth of the messages and completes <see cref="Done"/> at the last one.
    /// </summary>
    private sealed class InlineConsumer(long target, BenchMeter meter, BenchProgress progress)
    {
        private readonly TaskCompletionSource _done = NewDone(target);
        private readonly long _windowAt = Math.Max(1, target / 10);
        private long _delivered;
        private long _checksum;

        public Task Done => _done.Task;

        public C2FeedClient? Client { get; set; }

        public long Delivered => Volatile.Read(ref _delivered);

        public long Checksum => _checksum;

        // Idle mode expects heartbeats only: nothing to wait for here.
        private static TaskCompletionSource NewDone(long target)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (target <= 0)
            {
                done.SetResult();
            }

            return done;
        }

        public void Handle(C2FeedMessage message)
        {
            _checksum += (int)message.Type + (message.SeqId ?? 0);
            long delivered = _delivered + 1;
            Volatile.Write(ref _delivered, delivered);
            if (delivered == _windowAt)
            {
                meter.OpenWindow(delivered + (Client?.GetStatistics().HeartbeatsAcknowledged ?? 0)); // counted as the queue consumer counts
            }

            if ((delivered & 4095) == 0 || delivered == target)
            {
                Volatile.Write(ref progress.Messages, delivered);
            }

            if (delivered == target)
            {
                _done.TrySetResult();
            }
        }
    }

    private static string Ended(C2FeedClient client) => client.Completion.Exception?.InnerException?.Message ?? "closed";

    /// <summary>Reads nothing until the loop pauses at the budget (or everything is queued), then holds, sampling the working set.</summary>
    private static async Task<BenchStallSample> StallAsync(C2FeedClient client, BenchClientArgs args, CancellationToken cancellationToken)
    {
        using var process = Process.GetCurrentProcess();
        long started = Stopwatch.GetTimestamp();
        long maxQueued = 0;
        C2FeedStatistics stats;
        while (true)
        {
            stats = client.GetStatistics();
            maxQueued = Math.Max(maxQueued, stats.QueuedBytes);
            if (stats.BackpressurePauses > 0 || stats.MessagesDelivered + stats.HeartbeatsAcknowledged >= args.Messages
                || Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(60))
            {
                break;
            }

            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }

        double toPause = Stopwatch.GetElapsedTime(started).TotalSeconds;
        process.Refresh();
        long atPause = process.WorkingSet64;
        long queuedAtPause = stats.QueuedBytes;
        long maxDuringHold = atPause;
        long holdStart = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(holdStart).TotalSeconds < args.StallHoldSeconds)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            process.Refresh();
            maxDuringHold = Math.Max(maxDuringHold, process.WorkingSet64);
            maxQueued = Math.Max(maxQueued, client.GetStatistics().QueuedBytes);
        }

        process.Refresh();
        stats = client.GetStatistics();
        return new BenchStallSample
        {
            Paused = stats.BackpressurePauses > 0,
            SecondsToPause = toPause,
            QueuedBytesAtPause = queuedAtPause,
            QueuedBytesMax = maxQueued,
            WorkingSetAtPauseBytes = atPause,
            WorkingSetMaxDuringHoldBytes = maxDuringHold,
            WorkingSetAtHoldEndBytes = process.WorkingSet64,
            HoldSeconds = Stopwatch.GetElapsedTime(holdStart).TotalSeconds,
            BackpressurePauses = stats.BackpressurePauses,
            HeartbeatsAckedDuringStall = stats.HeartbeatsAcknowledged,
        };
    }
}
