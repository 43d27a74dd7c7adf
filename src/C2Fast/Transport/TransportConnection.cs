using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace C2Fast.Transport;

/// <summary>
/// A connected TCP socket, optionally wrapped in TLS, with a <see cref="PipeReader"/> for input
/// and the raw stream for output (written only under the connection's write lock).
/// </summary>
/// <remarks>
/// Input: a receive pump reads the stream into a <see cref="Pipe"/> whose reader is <see cref="Input"/>.
/// Both sides of the pipe run inline, so when the pump flushes a read, the read loop waiting on
/// <see cref="Input"/> continues on the pump's thread: no thread hop per read. The pump is either a
/// thread of its own that blocks in the socket read (<see cref="C2FeedOptions.DedicatedReceiveThread"/>:
/// the kernel wakes it directly when data arrives) or an async loop on the thread pool (the runtime's
/// epoll thread then hands every read that had to wait to a pool thread). When the loop is not
/// reading (backpressure) or falls behind, the pump reads on until the unconsumed bytes reach
/// <see cref="ReceiveBlockPool.LimitBytes"/> (the read-ahead budget, and never less than one largest
/// frame), then waits for the loop to consume half of them. The pipe's own <see cref="PipeReader.CancelPendingRead"/> is
/// then safe to use: no stream read belongs to the reader.
/// </remarks>
internal sealed class TransportConnection : IAsyncDisposable
{
    private readonly Socket? _socket;
    private readonly Pipe _pipe;
    private readonly ReceiveBlockPool _pool;
    private readonly int _readSize;
    private readonly Task _pump;
    private int _disposed;
    private int _aborted;

    private TransportConnection(Socket? socket, Stream stream, int bufferSize, long readAheadBytes, long maxFrameBytes, bool receiveThread)
    {
        _socket = socket;
        Stream = stream;
        _readSize = Math.Max(256, bufferSize / 8);

        // The pipe's own threshold counts unexamined bytes, which the loop rarely leaves (see ReceiveBlockPool); it stays
        // as a second limit. The bound that holds is the pool's, on unconsumed bytes.
        long pause = Math.Max(2L * bufferSize, readAheadBytes + bufferSize);
        _pool = new ReceiveBlockPool(bufferSize, Math.Max(pause, maxFrameBytes + (2L * bufferSize)));
        _pipe = new Pipe(new PipeOptions(
            pool: _pool,
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: pause,
            resumeWriterThreshold: pause / 2,
            minimumSegmentSize: bufferSize,
            useSynchronizationContext: false));
        _pump = receiveThread ? StartPumpThread() : PumpAsync();
    }

    /// <summary>The byte stream (TLS or plain) to write frames to.</summary>
    public Stream Stream { get; }

    /// <summary>Received bytes. One loop owns it.</summary>
    public PipeReader Input => _pipe.Reader;

    /// <summary>Whether the stream is TLS.</summary>
    public bool IsTls => Stream is SslStream;

    /// <summary>Resolves, connects, tunes the socket and (for wss) completes TLS.</summary>
    /// <exception cref="C2FeedException"><see cref="C2FeedError.ConnectFailed"/> or <see cref="C2FeedError.TlsFailed"/>.</exception>
    public static async Task<TransportConnection> ConnectAsync(C2FeedOptions options, CancellationToken cancellationToken)
    {
        Uri uri = options.Endpoint;
        Socket socket = await ConnectSocketAsync(uri, options, cancellationToken).ConfigureAwait(false);
        Stream stream = options.DedicatedReceiveThread ? new PollingNetworkStream(socket) : new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (uri.Scheme == "wss")
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(TlsOptions(uri, options.TrustedCaCertificate), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw ThrowHelper.Create(C2FeedError.TlsFailed, $"TLS with {uri.IdnHost}:{uri.Port} failed: {ex.Message}", inner: ex);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new TransportConnection(socket, stream, options.ReceiveBufferSize, options.PausedReadAheadBytes, MaxFrameBytes(options.MaxMessageSize), options.DedicatedReceiveThread);
    }

    /// <summary>
    /// A transport over an already-connected stream (in-memory tests and benchmarks of the read loop);
    /// <paramref name="receiveThread"/> pumps it with blocking reads on a thread of its own.
    /// </summary>
    public static TransportConnection FromStream(Stream stream, int receiveBufferSize, long readAheadBytes = 0, bool receiveThread = false, int maxMessageSize = 16 * 1024 * 1024)
        => new(null, stream, receiveBufferSize, readAheadBytes, MaxFrameBytes(maxMessageSize), receiveThread);

    /// <summary>Bytes the pump holds now that the loop has not consumed (rounded up to whole receive buffers).</summary>
    internal long UnconsumedBytes => _pool.OutstandingBytes;

    /// <summary>The most <see cref="UnconsumedBytes"/> the pump reads up to before it waits for the loop.</summary>
    internal long ReadLimitBytes => _pool.LimitBytes;

    /// <summary>Half-closes the sending side after the last frame (TLS close_notify first), so the close frame is not lost to a reset.</summary>
    public async ValueTask ShutdownSendAsync()
    {
        try
        {
            if (Stream is SslStream ssl)
            {
                await ssl.ShutdownAsync().ConfigureAwait(false);
            }

            _socket?.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The peer is already gone; nothing left to tell it.
        }
    }

    /// <summary>
    /// Drops the connection at once, from any thread: a pending or next read fails. The
    /// <see cref="Input"/> reader is left alone, because only its owner (the read loop) may
    /// complete it: completing it elsewhere would return buffers the loop is still parsing.
    /// </summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        try
        {
            // Wakes a receive thread waiting in poll(2), which closing the descriptor alone does not.
            _socket?.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Not connected any more, or already closed: nothing waits on it.
        }

        _pool.Close(); // a pump waiting for the loop to consume goes on, and finds the stream closed
        Stream.Dispose();
        _socket?.Dispose();
    }

    /// <summary>Drops the connection and completes <see cref="Input"/>. Only the reader's owner calls this.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Abort();
        await Input.CompleteAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false);
    }

    /// <summary>
    /// Stream → pipe until the stream ends, fails or the reader completes. A failure completes the pipe
    /// with it, so the loop's next read throws what the stream threw (as reading the stream itself would).
    /// </summary>
    private async Task PumpAsync()
    {
        PipeWriter writer = _pipe.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                if (!_pool.HasRoom && !await _pool.WaitForRoomAsync().ConfigureAwait(false))
                {
                    throw Dropped(); // as reading the disposed stream would
                }

                Memory<byte> memory = writer.GetMemory(_readSize);
                int read = await Stream.ReadAsync(memory).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                writer.Advance(read);
                FlushResult flushed = await writer.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    break; // the reader is done
                }
            }
        }
#pragma warning disable CA1031 // Whatever the stream throws is the reader's to see, through the pipe.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error = ex;
        }

        await writer.CompleteAsync(error).ConfigureAwait(false);
    }

    /// <summary>
    /// The receive thread: the same loop as <see cref="PumpAsync"/> with blocking reads. The read loop runs on
    /// it whenever it waits for input (a flush resumes it inline). The thread waits for the loop only when the
    /// pool's limit is reached (<see cref="ReceiveBlockPool.WaitForRoom"/>) or the pipe's own threshold is; an
    /// abort or the reader's completion releases it. After the loop awaited something else (a paused queue, a
    /// slow write), it runs on whichever thread resumed it until it has caught up with the socket, and then
    /// comes back here with the next flush.
    /// </summary>
    private Task StartPumpThread()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(static state =>
        {
            var (connection, done) = ((TransportConnection, TaskCompletionSource))state!;
            try
            {
                connection.PumpBlocking();
                done.SetResult();
            }
#pragma warning disable CA1031 // Never let an exception end the process from this thread: the disposer sees it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "C2Fast receive",
        };
        thread.Start((this, done));
        return done.Task;
    }

    private void PumpBlocking()
    {
        PipeWriter writer = _pipe.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                if (!_pool.HasRoom && !_pool.WaitForRoom())
                {
                    throw Dropped(); // as reading the disposed stream would
                }

                Memory<byte> memory = writer.GetMemory(_readSize);
                int read = Stream.Read(memory.Span);
                if (read == 0)
                {
                    break;
                }

                writer.Advance(read);
                ValueTask<FlushResult> flush = writer.FlushAsync();
                FlushResult flushed = flush.IsCompletedSuccessfully ? flush.Result : flush.AsTask().GetAwaiter().GetResult();
                if (flushed.IsCompleted)
                {
                    break; // the reader is done
                }
            }
        }
#pragma warning disable CA1031 // Whatever the stream throws is the reader's to see, through the pipe.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error = ex;
        }

        writer.Complete(error);
    }

    private static ObjectDisposedException Dropped() => new(nameof(TransportConnection), "The connection was dropped.");

    // The largest frame a message of maxMessageSize comes in: a loop waiting for the rest of it must get it.
    private static long MaxFrameBytes(int maxMessageSize) => maxMessageSize + 14L;

    private static async Task<Socket> ConnectSocketAsync(Uri uri, C2FeedOptions options, CancellationToken cancellationToken)
    {
        string host = uri.DnsSafeHost;
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out IPAddress? literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw ThrowHelper.Create(C2FeedError.ConnectFailed, $"Could not resolve {host}: {ex.SocketErrorCode}.", inner: ex);
        }

        Exception? last = null;
        foreach (IPAddress address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                Configure(socket, options);
                await socket.ConnectAsync(new IPEndPoint(address, uri.Port), cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw ThrowHelper.Create(C2FeedError.ConnectFailed, $"Could not connect to {host}:{uri.Port} ({addresses.Length} address(es) tried): {last?.Message ?? "no address"}.", inner: last);
    }

    private static void Configure(Socket socket, C2FeedOptions options)
    {
        // Frames are small and latency matters more than packet count.
        socket.NoDelay = true;
        if (options.SocketReceiveBufferSize is int receive)
        {
            socket.ReceiveBufferSize = receive;
        }

        if (options.SocketSendBufferSize is int send)
        {
            socket.SendBufferSize = send;
        }

        if (options.TcpKeepAliveTime > TimeSpan.Zero)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, Math.Max(1, (int)options.TcpKeepAliveTime.TotalSeconds));
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 5);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        }
    }

    private static SslClientAuthenticationOptions TlsOptions(Uri uri, X509Certificate2? extraCa)
    {
        var tls = new SslClientAuthenticationOptions
        {
            // SNI and host-name validation both use the endpoint's host.
            TargetHost = uri.IdnHost,
            EnabledSslProtocols = SslProtocols.None,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };

        if (extraCa is not null)
        {
            tls.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => ValidateWithExtraCa(extraCa, certificate, chain, errors);
        }

        return tls;
    }

    /// <summary>
    /// Accepts what the system accepts; otherwise accepts only a chain that ends at the extra CA.
    /// A host-name mismatch or a missing certificate is never accepted.
    /// </summary>
    internal static bool ValidateWithExtraCa(X509Certificate2 extraCa, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.Add(extraCa);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (X509ChainElement element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(leaf);
    }
}
