using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace C2Fast.Transport;

/// <summary>
/// A connected TCP socket, optionally wrapped in TLS, as a duplex pipe: <see cref="Input"/> is fed by a
/// receive pump, <see cref="Output"/> writes to the stream when flushed. It knows nothing of WebSocket.
/// </summary>
/// <remarks>
/// <para>
/// Input: a receive pump reads the stream into a <see cref="Pipe"/> whose reader is <see cref="Input"/>.
/// Both sides of the pipe run inline, so when the pump flushes a read, the read loop waiting on
/// <see cref="Input"/> continues on the pump's thread: no thread hop per read. The pump is either a
/// thread of its own that blocks in the socket read (<see cref="TransportSettings.ReceiveThread"/>: the
/// kernel wakes it directly when data arrives) or an async loop on the thread pool (the runtime's epoll
/// thread then hands every read that had to wait to a pool thread).
/// </para>
/// <para>
/// Memory: the pipe stops the pump once <see cref="TransportSettings.PauseThresholdBytes"/> are unexamined
/// (the loop is paused or behind) and lets it go on at half; the kernel's socket buffer and then TCP flow
/// control hold the rest.
/// </para>
/// <para>Output: <see cref="TransportOutput"/>; completing it half-closes the connection.</para>
/// </remarks>
internal sealed class TransportConnection : ITransport
{
    private readonly Socket? _socket;
    private readonly Stream _stream;
    private readonly Pipe _pipe;
    private readonly ReceiveBlockPool _pool;
    private readonly TransportOutput _output;
    private readonly int _readSize;
    private readonly Task _pump;
    private int _disposed;
    private int _aborted;

    private TransportConnection(Socket? socket, Stream stream, TransportSettings settings)
    {
        _socket = socket;
        _stream = stream;
        int blockSize = settings.ReceiveBufferSize;
        _readSize = Math.Max(256, blockSize / 8);
        long pause = settings.PauseThresholdBytes;
        _pool = new ReceiveBlockPool(blockSize, (int)Math.Min(int.MaxValue, (pause / blockSize) + 2));
        _pipe = new Pipe(new PipeOptions(
            pool: _pool,
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: pause,
            resumeWriterThreshold: pause / 2,
            minimumSegmentSize: blockSize,
            useSynchronizationContext: false));
        _output = new TransportOutput(
            PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024, leaveOpen: true)),
            ShutdownSendAsync);
        _pump = settings.ReceiveThread ? StartPumpThread() : PumpAsync();
    }

    /// <summary>Received bytes. One loop owns it.</summary>
    public PipeReader Input => _pipe.Reader;

    /// <summary>Bytes to send: written to the stream when flushed; completing it half-closes the connection.</summary>
    public PipeWriter Output => _output;

    /// <summary>Whether the stream is TLS.</summary>
    public bool IsTls => _stream is SslStream;

    /// <summary>Bytes the pump holds now that the loop has not consumed (rounded up to whole receive blocks).</summary>
    internal long UnconsumedBytes => _pool.OutstandingBytes;

    /// <summary>Resolves, connects, tunes the socket and (with TLS) completes the TLS handshake.</summary>
    /// <exception cref="TransportException"><see cref="TransportError.ConnectFailed"/> or <see cref="TransportError.TlsFailed"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled (the caller's connect timeout).</exception>
    public static async Task<TransportConnection> ConnectAsync(TransportSettings settings, CancellationToken cancellationToken)
    {
        Socket socket = await ConnectSocketAsync(settings, cancellationToken).ConfigureAwait(false);
        Stream stream = settings.ReceiveThread ? new PollingNetworkStream(socket) : new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (settings.UseTls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(TlsOptions(settings.Host, settings.TrustedCaCertificate), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw Failed(TransportError.TlsFailed, $"TLS with {settings.Host}:{settings.Port} failed: {ex.Message}", ex);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new TransportConnection(socket, stream, settings);
    }

    /// <summary>A transport over an already-connected stream (in-memory tests and benchmarks).</summary>
    public static TransportConnection FromStream(Stream stream, TransportSettings settings) => new(null, stream, settings);

    /// <summary>
    /// Drops the connection at once, from any thread: a pending or next read fails, a pending write fails.
    /// The <see cref="Input"/> reader is left alone, because only its owner (the read loop) may complete it:
    /// completing it elsewhere would return buffers the loop is still parsing.
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

        _pipe.Writer.CancelPendingFlush(); // a pump waiting for the loop to read goes on, and finds the stream closed
        _stream.Dispose();
        _socket?.Dispose();
    }

    /// <summary>
    /// Drops the connection, completes the input and waits for the pump. Only the reader's owner calls this. The output
    /// is completed by whoever writes to it (the engine, under its write lock), never here: a write may still be
    /// unwinding on another thread.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Abort();
        await Input.CompleteAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false);
        _pool.Close();
    }

    /// <summary>Half-closes the sending side after the last frame (TLS close_notify first).</summary>
    private async ValueTask ShutdownSendAsync()
    {
        try
        {
            if (_stream is SslStream ssl)
            {
                await ssl.ShutdownAsync().ConfigureAwait(false);
            }

            _socket?.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            // The peer is already gone; nothing left to tell it.
        }
    }

    /// <summary>
    /// Stream → pipe until the stream ends, fails, the reader completes or the connection is aborted. A failure
    /// completes the pipe with it, so the loop's next read throws what the stream threw.
    /// </summary>
    private async Task PumpAsync()
    {
        PipeWriter writer = _pipe.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                Memory<byte> memory = writer.GetMemory(_readSize);
                int read = await _stream.ReadAsync(memory).ConfigureAwait(false);
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

                if (flushed.IsCanceled)
                {
                    throw Dropped();
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
    /// pipe's pause threshold is reached; an abort or the reader's completion releases it. After the loop awaited
    /// something else (a paused queue, a slow write), it runs on whichever thread resumed it until it has caught
    /// up with the socket, and then comes back here with the next flush.
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
                Memory<byte> memory = writer.GetMemory(_readSize);
                int read = _stream.Read(memory.Span);
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

                if (flushed.IsCanceled)
                {
                    throw Dropped();
                }
            }
        }
#pragma warning disable CA1031 // Whatever the stream throws is the reader's to see, through the pipe; never let it end the process.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error = ex;
        }

        writer.Complete(error);
    }

    private static ObjectDisposedException Dropped() => new(nameof(TransportConnection), "The connection was dropped.");

    private static TransportException Failed(TransportError error, string message, Exception? inner) => new(error, message, inner);

    private static async Task<Socket> ConnectSocketAsync(TransportSettings settings, CancellationToken cancellationToken)
    {
        string host = settings.Host;
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out IPAddress? literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw Failed(TransportError.ConnectFailed, $"Could not resolve {host}: {ex.SocketErrorCode}.", ex);
        }

        Exception? last = null;
        foreach (IPAddress address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                Configure(socket, settings);
                await socket.ConnectAsync(new IPEndPoint(address, settings.Port), cancellationToken).ConfigureAwait(false);
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

        throw Failed(TransportError.ConnectFailed, $"Could not connect to {host}:{settings.Port} ({addresses.Length} address(es) tried): {last?.Message ?? "no address"}.", last);
    }

    private static void Configure(Socket socket, TransportSettings settings)
    {
        // Frames are small and latency matters more than packet count.
        socket.NoDelay = true;
        if (settings.SocketReceiveBufferSize is int receive)
        {
            socket.ReceiveBufferSize = receive;
        }

        if (settings.SocketSendBufferSize is int send)
        {
            socket.SendBufferSize = send;
        }

        if (settings.TcpKeepAliveTime > TimeSpan.Zero)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, Math.Max(1, (int)settings.TcpKeepAliveTime.TotalSeconds));
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 5);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        }
    }

    private static SslClientAuthenticationOptions TlsOptions(string host, X509Certificate2? extraCa)
    {
        var tls = new SslClientAuthenticationOptions
        {
            // SNI and host-name validation both use the endpoint's host.
            TargetHost = host,
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
