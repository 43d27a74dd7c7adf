using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using C2Fast.Tests.Infrastructure;
using Microsoft.AspNetCore.Connections;

namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>
/// The server side of one raw connection accepted by <see cref="RawKestrelServer"/>: the parsed
/// request head, a byte-exact writer (whole, byte-wise, chunked) and a frame reader for what the
/// client sends. One reader and one writer at a time.
/// </summary>
internal sealed class RawPeer
{
    private const int MaxHeadBytes = 64 * 1024;
    private static readonly TimeSpan TlsSettleDelay = TimeSpan.FromMilliseconds(50);

    private readonly IDuplexPipe _transport;
    private readonly Stream _input;
    private readonly Stream _output;
    private readonly Action _abort;
    private readonly Socket? _socket;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;
    private RawRequestHead? _request;

    internal RawPeer(IDuplexPipe transport, Socket? socket, Action abort, bool isTls, EndPoint? remoteEndPoint)
    {
        _socket = socket;
        _transport = transport;
        _input = transport.Input.AsStream(leaveOpen: true);

        // Plain TCP: write straight to the socket, so a completed write is in the kernel (exact byte-wise
        // segments, and nothing still queued when CompleteOutputAsync/Abort run). Kestrel's own send loop
        // stays idle because nothing is written to its pipe. TLS has to go through Kestrel's TLS pipe.
        _output = !isTls && socket is not null
            ? new NetworkStream(socket, ownsSocket: false)
            : transport.Output.AsStream(leaveOpen: true);
        _abort = abort;
        IsTls = isTls;
        RemoteEndPoint = remoteEndPoint;
    }

    /// <summary>The client's request head (read before the test handler runs).</summary>
    public RawRequestHead Request => _request ?? throw new InvalidOperationException("The request head has not been read.");

    public bool IsTls { get; }

    public EndPoint? RemoteEndPoint { get; }

    /// <summary>True once a read failed because the client reset the connection (RST).</summary>
    public bool ConnectionReset { get; private set; }

    /// <summary>Writes a scripted handshake response (head + trailing bytes) in one write.</summary>
    public Task SendHandshakeAsync(HandshakeResponse response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        return WriteAsync(response.ToBytes(), cancellationToken).AsTask();
    }

    /// <summary>Writes the correct 101 response for the request's <c>Sec-WebSocket-Key</c>.</summary>
    public Task AcceptAsync(CancellationToken cancellationToken = default) =>
        SendHandshakeAsync(
            HandshakeResponse.Accept(Request.SecWebSocketKey ?? throw new InvalidOperationException($"The request has no Sec-WebSocket-Key:{Environment.NewLine}{Request.RawText}")),
            cancellationToken);

    /// <summary>Writes the bytes in one write and flushes.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        await _output.WriteAsync(bytes, cancellationToken);
        await _output.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Writes one byte per write + flush, optionally pausing between bytes. Without a delay the
    /// transport may still coalesce bytes into one TCP segment; with TLS every byte is its own record.
    /// </summary>
    public Task WriteBytewiseAsync(ReadOnlyMemory<byte> bytes, TimeSpan? delay = null, CancellationToken cancellationToken = default) =>
        WriteChunkedAsync(bytes, 1, delay, cancellationToken);

    /// <summary>Writes <paramref name="chunkSize"/> bytes per write + flush, optionally pausing between chunks.</summary>
    public async Task WriteChunkedAsync(ReadOnlyMemory<byte> bytes, int chunkSize, TimeSpan? delay = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        for (var offset = 0; offset < bytes.Length; offset += chunkSize)
        {
            if (offset > 0 && delay is { } pause && pause > TimeSpan.Zero)
            {
                await Task.Delay(pause, cancellationToken);
            }

            await WriteAsync(bytes.Slice(offset, Math.Min(chunkSize, bytes.Length - offset)), cancellationToken);
        }
    }

    /// <summary>
    /// Reads and decodes the client's next frame (payload unmasked; <see cref="TestFrame.Masked"/> and
    /// <see cref="TestFrame.MaskKey"/> tell how it arrived). Returns null on EOF (or reset) between frames.
    /// </summary>
    /// <exception cref="TimeoutException">No complete frame within <paramref name="timeout"/>.</exception>
    /// <exception cref="InvalidDataException">The connection ended in the middle of a frame.</exception>
    public async Task<TestFrame?> ReadFrameAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            if (TestFrames.TryDecodeClientFrame(_buffer.AsSpan(_start, _end - _start), out var frame, out var consumed))
            {
                _start += consumed;
                return frame;
            }

            if (!await ReadMoreAsync(cts.Token, timeout, "a frame"))
            {
                return _end == _start
                    ? null
                    : throw new InvalidDataException($"The connection ended inside a frame ({_end - _start} bytes buffered: {Convert.ToHexString(_buffer, _start, Math.Min(32, _end - _start))}).");
            }
        }
    }

    /// <summary>
    /// Reads frames until a close frame and returns it. By default any other frame first is an
    /// error; with <paramref name="skipOtherFrames"/> data and control frames before the close are discarded.
    /// </summary>
    /// <exception cref="InvalidDataException">EOF before a close frame, or (strict mode) another frame came first.</exception>
    public async Task<TestFrame> ReadCloseAsync(TimeSpan timeout, bool skipOtherFrames = false)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            var frame = await ReadFrameAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero)
                ?? throw new InvalidDataException("The connection ended without a close frame.");
            if (frame.IsClose)
            {
                return frame;
            }

            if (!skipOtherFrames)
            {
                throw new InvalidDataException($"Expected a close frame, got {frame}.");
            }
        }
    }

    /// <summary>
    /// Waits until the client closes TCP (FIN, or RST: see <see cref="ConnectionReset"/>) and returns
    /// how many bytes arrived and were discarded first (0 for a client that sent nothing more).
    /// </summary>
    /// <exception cref="TimeoutException">The connection is still open after <paramref name="timeout"/>.</exception>
    public async Task<int> WaitForEofAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var discarded = _end - _start;
        _start = _end = 0;
        while (await ReadMoreAsync(cts.Token, timeout, "EOF"))
        {
            discarded += _end - _start;
            _start = _end = 0;
        }

        return discarded;
    }

    /// <summary>
    /// Half-closes: flushes, then sends a TCP FIN with <c>Socket.Shutdown(Send)</c>; reads stay open so
    /// the client's reaction can still be read. With TLS no close_notify is sent (a truncation).
    /// Falls back to completing Kestrel's output (which also ends reads) if the socket is not available.
    /// </summary>
    public async Task CompleteOutputAsync()
    {
        await _output.FlushAsync();
        if (_socket is not null)
        {
            if (IsTls)
            {
                // The TLS records may still sit in Kestrel's pipe; let its send loop hand them to the kernel.
                await Task.Delay(TlsSettleDelay);
            }

            _socket.Shutdown(SocketShutdown.Send);
        }
        else
        {
            await _transport.Output.CompleteAsync();
        }
    }

    /// <summary>
    /// Drops the connection at once with a TCP RST (SO_LINGER 0), no FIN and no TLS close_notify. The
    /// client's kernel discards data the client has not read yet, so make sure it has read what it must
    /// see first. With TLS, the last written records may still be in Kestrel's pipe: wait ~50 ms after
    /// the last write if they must go out before the RST.
    /// </summary>
    public void Abort() => _abort();

    internal async Task ReadRequestHeadAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                _request = RawRequestHead.Parse(_buffer.AsSpan(_start, end + 4));
                _start += end + 4;
                return;
            }

            if (_end - _start > MaxHeadBytes)
            {
                throw new InvalidDataException($"The request head exceeds {MaxHeadBytes} bytes.");
            }

            if (!await ReadMoreAsync(cts.Token, timeout, "the request head"))
            {
                throw new InvalidDataException($"The connection ended before a complete request head ({_end - _start} bytes).");
            }
        }
    }

    private async Task<bool> ReadMoreAsync(CancellationToken cancellationToken, TimeSpan timeout, string what)
    {
        if (_start > 0 && _start == _end)
        {
            _start = _end = 0;
        }

        if (_end == _buffer.Length)
        {
            var live = _end - _start;
            var target = live * 2 > _buffer.Length ? new byte[_buffer.Length * 2] : _buffer;
            Buffer.BlockCopy(_buffer, _start, target, 0, live);
            _buffer = target;
            _start = 0;
            _end = live;
        }

        int read;
        try
        {
            read = await _input.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Nothing more than {_end - _start} buffered bytes while waiting {timeout.TotalSeconds:0.###} s for {what}.");
        }
        catch (ConnectionResetException)
        {
            ConnectionReset = true;
            return false;
        }

        _end += read;
        return read > 0;
    }
}
