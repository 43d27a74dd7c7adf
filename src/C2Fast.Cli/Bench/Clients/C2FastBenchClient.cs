using System.Diagnostics;
using System.Threading.Channels;

namespace C2Fast.Cli.Bench.Clients;

/// <summary>
/// C2Fast as an application uses it: the client's partition read with <c>WaitToReadAsync</c> + <c>TryRead</c>, a
/// consumer that reads the message type and seq_id and disposes the message; or (<c>inline</c>) an inline handler
/// that reads the same two fields on the read loop. Heartbeats are acknowledged by the read loop and never reach the consumer, so they
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
            Connection = new C2ConnectionOptions { TrustedCaCertificate = args.Ca },
            Reconnect = new C2ReconnectOptions { Enabled = false }, // a bench run that loses its connection must fail, not hide it
            Tuning = new C2TuningOptions { DedicatedReceiveThread = args.ReceiveThread },
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
        }

        if (args.BudgetBytes is long budget)
        {
            // The budget must hold one message of MaxMessageSize (16 MiB by default): a small test budget lowers that too.
            options = options with
            {
                Queues = options.Queues with { MaxBufferedBytes = budget },
                Connection = options.Connection with { MaxMessageSize = (int)Math.Min(options.Connection.MaxMessageSize, budget / 4) },
            };
        }

        C2FeedClient client = inlineConsumer is null ? new C2FeedClient(options) : new C2FeedClient(options, inlineConsumer.Handle);
        await using (client.ConfigureAwait(false))
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            meter.Start(); // the flood starts after READY, so an inline handler has seen nothing yet
            if (inlineConsumer is not null)
            {
                inlineConsumer.Client = client;
            }

            await ready().ConfigureAwait(false);

            // The waits take no token: a cancellable wait allocates a waiter each time the queue runs dry. The run's
            // time limit disposes the client instead, which completes the queue (a warm-up's too).
            using CancellationTokenRegistration onTimeout = cancellationToken.Register(static c => _ = ((C2FeedClient)c!).DisposeAsync().AsTask(), client);
            BenchStallSample? stall = null;
            long ackBase = 0; // heartbeats acknowledged before the measured flood (a stall run's warm-up)
            if (args.Mode == BenchClientMode.Stall)
            {
                if (args.WarmupMessages > 0)
                {
                    ackBase = await WarmUpAsync(client, args, progress, cancellationToken).ConfigureAwait(false);
                }

                stall = await StallAsync(client, args, cancellationToken).ConfigureAwait(false);
            }

            long delivered = 0;
            long checksum = 0;
            if (inlineConsumer is not null)
            {
                await Task.WhenAny(inlineConsumer.Done, client.Completion).ConfigureAwait(false);
                delivered = inlineConsumer.Delivered;
            }
            else
            {
                long windowAt = Math.Max(1, target / 10);
                (delivered, checksum) = await ConsumeAsync(client.Partitions[0], target, windowAt, () => meter.OpenWindow(windowAt + client.GetStatistics().HeartbeatsAcknowledged - ackBase), progress).ConfigureAwait(false);
            }

            if (delivered < target)
            {
                throw new InvalidOperationException($"the feed ended after {delivered} of {target} messages: {Ended(client)}");
            }

            // Heartbeats are acked by the loop as they are parsed, so by now they are counted; idle mode only waits for them.
            await WaitForAcksAsync(client, ackBase, args.Heartbeats, delivered, progress, cancellationToken).ConfigureAwait(false);
            meter.Stop();
            GC.KeepAlive(checksum + (inlineConsumer?.Checksum ?? 0));
            long acked = client.GetStatistics().HeartbeatsAcknowledged - ackBase;
            Volatile.Write(ref progress.Messages, delivered + acked);
            BenchClientResult result = meter.Result(args.Client, delivered + acked, acked, 0, delivered + acked, stall: stall);
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

    /// <summary>
    /// The queue consumer: the minimum an application does per message (type, seq_id, dispose), until
    /// <paramref name="target"/> messages or the end of the feed. <paramref name="openWindow"/> runs at the
    /// <paramref name="windowAt"/>-th message.
    /// </summary>
    private static async Task<(long Delivered, long Checksum)> ConsumeAsync(ChannelReader<C2FeedMessage> reader, long target, long windowAt, Action openWindow, BenchProgress progress)
    {
        long delivered = 0;
        long checksum = 0;
        while (delivered < target && await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (delivered < target && reader.TryRead(out C2FeedMessage message))
            {
                checksum += (int)message.Type + (message.SeqId ?? 0);
                message.Dispose();
                delivered++;
                if (delivered == windowAt)
                {
                    openWindow();
                }
            }

            Volatile.Write(ref progress.Messages, delivered);
        }

        return (delivered, checksum);
    }

    /// <summary>Waits until the loop has acknowledged <paramref name="expected"/> heartbeats after the first <paramref name="ackBase"/> (they are acked as they are parsed).</summary>
    private static async Task WaitForAcksAsync(C2FeedClient client, long ackBase, long expected, long delivered, BenchProgress progress, CancellationToken cancellationToken)
    {
        long acked;
        while ((acked = client.GetStatistics().HeartbeatsAcknowledged - ackBase) < expected)
        {
            if (client.Completion.IsCompleted)
            {
                throw new InvalidOperationException($"the feed ended after {acked} of {expected} heartbeats: {Ended(client)}");
            }

            Volatile.Write(ref progress.Messages, delivered + acked);
            await Task.Delay(2, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A stall run's warm-up: reads <see cref="BenchClientArgs.WarmupMessages"/> at full speed, as the flood runs do, so
    /// that the stall meets code the JIT has optimized; then says so and returns the heartbeats acknowledged so far.
    /// </summary>
    private static async Task<long> WarmUpAsync(C2FeedClient client, BenchClientArgs args, BenchProgress progress, CancellationToken cancellationToken)
    {
        long expected = args.WarmupMessages - args.WarmupHeartbeats;
        (long read, long checksum) = await ConsumeAsync(client.Partitions[0], expected, windowAt: -1, static () => { }, progress).ConfigureAwait(false);
        if (read < expected)
        {
            throw new InvalidOperationException($"the feed ended during the warm-up, after {read} of {expected} messages: {Ended(client)}");
        }

        await WaitForAcksAsync(client, 0, args.WarmupHeartbeats, read, progress, cancellationToken).ConfigureAwait(false);
        GC.KeepAlive(checksum);
        await args.WarmedUp().ConfigureAwait(false);
        return client.GetStatistics().HeartbeatsAcknowledged;
    }

    /// <summary>Reads nothing until the loop pauses at the budget (or everything is queued), then holds, sampling the working set.</summary>
    private static async Task<BenchStallSample> StallAsync(C2FeedClient client, BenchClientArgs args, CancellationToken cancellationToken)
    {
        using var process = Process.GetCurrentProcess();
        long started = Stopwatch.GetTimestamp();
        long maxQueued = 0;
        C2FeedStatistics before = client.GetStatistics(); // what a warm-up counted
        C2FeedStatistics stats;
        while (true)
        {
            stats = client.GetStatistics();
            maxQueued = Math.Max(maxQueued, stats.QueuedBytes);
            if (stats.BackpressurePauses > before.BackpressurePauses
                || stats.MessagesDelivered + stats.HeartbeatsAcknowledged - before.MessagesDelivered - before.HeartbeatsAcknowledged >= args.Messages
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
            Paused = stats.BackpressurePauses > before.BackpressurePauses,
            SecondsToPause = toPause,
            QueuedBytesAtPause = queuedAtPause,
            QueuedBytesMax = maxQueued,
            WorkingSetAtPauseBytes = atPause,
            WorkingSetMaxDuringHoldBytes = maxDuringHold,
            WorkingSetAtHoldEndBytes = process.WorkingSet64,
            HoldSeconds = Stopwatch.GetElapsedTime(holdStart).TotalSeconds,
            BackpressurePauses = stats.BackpressurePauses - before.BackpressurePauses,
            HeartbeatsAckedDuringStall = stats.HeartbeatsAcknowledged - before.HeartbeatsAcknowledged,
        };
    }
}
