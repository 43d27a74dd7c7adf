using System.Buffers;
using System.IO.Pipelines;
using System.Text.Unicode;
using C2Fast.Handshake;
using C2Fast.Transport;

namespace C2Fast.Framing;

/// <summary>
/// An RFC 6455 client connection: connect + upgrade, one read loop that owns the
/// <see cref="PipeReader"/>, and a single-writer send path with a fresh mask per frame.
/// </summary>
/// <remarks>
/// Read loop: parse every complete frame in the buffer, then advance once. A frame whose header
/// or payload is incomplete leaves the buffer examined to its end, so the next read waits for
/// new bytes instead of spinning. Unfragmented messages reach the handler straight from the
/// receive buffer (no copy); fragments are assembled into one pooled buffer per connection.
/// Control frames are handled between fragments; a ping is answered before the next frame is
/// looked at. Any RFC violation sends close (1002, 1007 or 1009), half-closes, and fails the
/// loop with a <see cref="C2FeedException"/>.
///
/// Close state machine: Open → (server close: echo it) or (our close: wait for its echo) →
/// CloseReceived → wait up to <see cref="C2FeedOptions.CloseTimeout"/> for the server to end
/// TCP → Closed. After a close frame is received, nothing else is parsed or sent.
/// </remarks>
internal sealed class WebSocketConnection : IAsyncDisposable
{
    private const int WriteBufferSize = 16 * 1024;

    /// <summary>
    /// A read that finds at least this many bytes past what was looked at already is a backlog: the loop will
    /// take a while to get through it, so it is looked ahead first and the heartbeats in it are answered at once.
    /// </summary>
    internal const int BacklogLookaheadBytes = 128 * 1024;

    /// <summary>
    /// After handling this many bytes of one read, the loop hands the batch over (wakes consumers, flushes
    /// acks) and reads again, so what arrived meanwhile is looked at (and its heartbeats answered) without
    /// waiting for the loop to work through a multi-megabyte backlog.
    /// </summary>
    internal const int MaxBytesPerRead = 256 * 1024;

    private readonly TransportConnection _transport;
    private readonly C2FeedOptions _options;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly MaskKeySource _masks = new();      // used under _writeLock
    private readonly MaskKeySource _replyMasks = new(); // used by the loop thread only
    private readonly byte[] _writeBuffer = new byte[WriteBufferSize];

    // Read-loop state; only the loop touches it.
    private Opcode _openMessage = Opcode.Continuation; // Continuation = no fragmented message open
    private byte[] _assembly = [];
    private int _assemblyLength;
    private Utf8Validator _utf8;
    private readonly byte[] _pingPayload = new byte[125];
    private long _lookedAhead;          // bytes past the consumed point that a look-ahead has shown the handler
    private bool _lookaheadInFragments; // the look-ahead's last data frame left a fragmented message open
    private int _pingLength;
    private int _closeCode;
    private string _closeReason = string.Empty;

    // Send state; guarded by _writeLock.
    private bool _closeSent;
    private bool _sendingFragments;
    private volatile bool _closeRequested;
    private readonly CancellationTokenSource _closing = new(); // ends a backpressure pause once we close

    // Replies queued by the handler on the loop thread (heartbeat acks); flushed right after the frame.
    private byte[] _replies = new byte[256];
    private int _repliesLength;
    private int _repliesCount; // replies in _replies (heartbeat acks)

    private Task<CloseResult>? _loop;
    private long _silenceLimitMs;
    private int _disposed;

    // Liveness: the loop stamps every read; a timer drops a connection that went silent.
    private long _lastReceiveTicks = Environment.TickCount64;
    private Timer? _watchdog;
    private volatile bool _silent;
    private volatile bool _paused;

    private WebSocketConnection(TransportConnection transport, C2FeedOptions options)
    {
        _transport = transport;
        _options = options;
    }

    /// <summary>Connects, completes TLS and the upgrade within <see cref="C2FeedOptions.ConnectTimeout"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid (names the property).</exception>
    /// <exception cref="C2FeedException">The connection or upgrade failed; see <see cref="C2FeedException.Error"/>.</exception>
    public static async Task<WebSocketConnection> ConnectAsync(C2FeedOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        TransportConnection? transport = null;
        try
        {
            transport = await TransportConnection.ConnectAsync(options, timeout.Token).ConfigureAwait(false);
            await HandshakeClient.UpgradeAsync(transport, options, timeout.Token).ConfigureAwait(false);
            return new WebSocketConnection(transport, options);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            await DisposeQuietlyAsync(transport).ConfigureAwait(false);
            throw ThrowHelper.Create(C2FeedError.ConnectFailed, $"Connecting to {options.Endpoint.IdnHost}:{options.Endpoint.Port} did not complete within {options.ConnectTimeout}.", inner: ex);
        }
        catch
        {
            await DisposeQuietlyAsync(transport).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A connection over an already-upgraded transport (in-memory tests and benchmarks).</summary>
    internal static WebSocketConnection Over(TransportConnection transport, C2FeedOptions options) => new(transport, options);

    /// <summary>Whether the transport is TLS.</summary>
    public bool IsTls => _transport.IsTls;

    /// <summary>
    /// Runs the read loop until the close handshake completes. Call once.
    /// </summary>
    /// <returns>The close code and reason when the connection closed cleanly.</returns>
    /// <exception cref="C2FeedException">A protocol violation, a lost connection or a timeout.</exception>
    /// <param name="handler">Receives every data message.</param>
    /// <param name="silenceTimeout">
    /// Client-side liveness: with no bytes at all for this long the connection is treated as dead
    /// (half-open TCP) and the loop fails with <see cref="C2FeedError.Timeout"/>. Null disables it.
    /// </param>
    /// <param name="cancellationToken">Stops the loop and drops the connection.</param>
    public Task<CloseResult> RunAsync(IMessageHandler handler, TimeSpan? silenceTimeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (_loop is not null)
        {
            throw new InvalidOperationException("The read loop is already running.");
        }

        if (silenceTimeout is TimeSpan timeout && timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            TimeSpan period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond * 10, timeout.Ticks / 8));
            _watchdog = new Timer(static state => ((WebSocketConnection)state!).CheckLiveness(), this, period, period);
            _silenceLimitMs = (long)timeout.TotalMilliseconds;
        }

        _loop = ReadLoopAsync(handler, cancellationToken);
        return _loop;
    }

    /// <summary>
    /// Queues a text message to send right after the current frame is handled (loop thread only,
    /// from <see cref="IMessageHandler.OnMessage"/>). Masked here with a fresh key; no allocation
    /// once the reply buffer has grown to fit.
    /// </summary>
    public void QueueReply(ReadOnlySpan<byte> textPayload)
    {
        int needed = _repliesLength + FrameWriter.HeaderLength(textPayload.Length) + textPayload.Length;
        if (needed > _replies.Length)
        {
            Array.Resize(ref _replies, Math.Max(needed, _replies.Length * 2));
        }

        // Only the loop queues replies, so it has a key source of its own and needs no lock.
        _repliesLength += FrameWriter.WriteFrame(_replies.AsSpan(_repliesLength), Opcode.Text, fin: true, textPayload, _replyMasks.Next());
        _repliesCount++;
    }

    /// <summary>Sends a whole message as one frame.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> payload, bool isText, CancellationToken cancellationToken = default)
        => SendAsync(payload, isText, endOfMessage: true, cancellationToken);

    /// <summary>Sends one fragment of a message (RFC 6455 §5.4); the first fragment carries the type.</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> payload, bool isText, bool endOfMessage, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfCloseSent();
            Opcode opcode = _sendingFragments ? Opcode.Continuation : isText ? Opcode.Text : Opcode.Binary;
            await WriteFrameLockedAsync(opcode, endOfMessage, new ReadOnlySequence<byte>(payload), cancellationToken).ConfigureAwait(false);
            _sendingFragments = !endOfMessage;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends a ping (RFC 6455 §5.5.2) with up to 125 bytes of payload.</summary>
    public async ValueTask PingAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payload.Length, 125);
        await SendControlAsync(Opcode.Ping, new ReadOnlySequence<byte>(payload), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts the close handshake (RFC 6455 §7.1.2) and waits for the read loop to see the server's
    /// close and the end of TCP, at most <see cref="C2FeedOptions.CloseTimeout"/>; then drops TCP.
    /// </summary>
    /// <returns>The server's answer; code 1006 if it never answered.</returns>
    public async Task<CloseResult> CloseAsync(int code = 1000, string? reason = null, CancellationToken cancellationToken = default)
    {
        if (code != CloseFrame.NoStatus && !CloseFrame.IsValidReceivedCode(code))
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "Not a close code that may be sent (RFC 6455 §7.4).");
        }

        if (Volatile.Read(ref _disposed) != 0)
        {
            return new CloseResult(1006, string.Empty, ServerInitiated: false);
        }

        _closeRequested = true;
        await _closing.CancelAsync().ConfigureAwait(false);

        // The whole close is bounded by CloseTimeout, even behind a send stuck on a full TCP window.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.CloseTimeout);
        try
        {
            await _writeLock.WaitAsync(deadline.Token).ConfigureAwait(false);
            try
            {
                if (!_closeSent)
                {
                    await WriteCloseLockedAsync(code, reason, deadline.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception ex) when (ex is C2FeedException or OperationCanceledException)
        {
            // The transport is gone or stuck; the loop reports how it ended.
            _transport.Abort();
        }

        if (_loop is null)
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
            return new CloseResult(1006, string.Empty, ServerInitiated: false);
        }

        try
        {
            await _loop.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // The server never answered: drop TCP; the loop ends as an unanswered close.
            _transport.Abort();
        }
        catch (C2FeedException)
        {
            // Reported by awaiting the loop below.
        }

        return await _loop.ConfigureAwait(false);
    }

    /// <summary>Drops the connection without a close handshake and releases the buffers.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _closeRequested = true;
        await _closing.CancelAsync().ConfigureAwait(false);
        if (_watchdog is not null)
        {
            await _watchdog.DisposeAsync().ConfigureAwait(false);
        }

        _transport.Abort();
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is C2FeedException or OperationCanceledException)
            {
                // Disposal ends the loop; its outcome no longer matters.
            }
        }
        else
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
        }

        if (_assembly.Length != 0)
        {
            ArrayPool<byte>.Shared.Return(_assembly);
            _assembly = [];
        }

        // _writeLock and _closing are left undisposed on purpose: neither holds a wait handle or a
        // timer, and a late SendAsync/CloseAsync must get a C2FeedException, not ObjectDisposedException.
    }

    private async Task<CloseResult> ReadLoopAsync(IMessageHandler handler, CancellationToken cancellationToken)
    {
        PipeReader input = _transport.Input;
        CancellationTokenSource? pauseScope = null; // created on the first pause, once per connection
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _lastReceiveTicks, Environment.TickCount64);
                ReadOnlySequence<byte> buffer = result.Buffer;
                if (_options.PausedReadAheadBytes != 0 && buffer.Length - _lookedAhead >= BacklogLookaheadBytes)
                {
                    // A backlog (the loop fell behind the socket): its heartbeats are answered before it is worked through.
                    LookAhead(buffer, handler);
                    if (_repliesLength != 0)
                    {
                        await FlushRepliesAsync(handler, cancellationToken).ConfigureAwait(false);
                    }
                }

                FrameAction action = HandleFrames(ref buffer, handler, out FrameError error);
                if (_lookedAhead != 0 && (_lookedAhead -= result.Buffer.Length - buffer.Length) <= 0)
                {
                    // Handled past what a look-ahead showed the handler: the next one starts where the loop stands.
                    _lookedAhead = 0;
                }

                // The batch is handed over, and its replies (heartbeat acks) leave in one write, before
                // anything else: never behind queued application work, a pause or the next read.
                handler.OnReadCompleted(this);
                if (_repliesLength != 0)
                {
                    await FlushRepliesAsync(handler, cancellationToken).ConfigureAwait(false);
                }

                switch (action)
                {
                    case FrameAction.Fail:
                        input.AdvanceTo(buffer.Start, buffer.End);
                        throw await FailAsync(error).ConfigureAwait(false);
                    case FrameAction.Pong:
                        // RFC 6455 §5.5.2-3: answer with a pong carrying the same payload, before the next frame is looked at.
                        KeepForNextRead(input, buffer);
                        await SendPongAsync(cancellationToken).ConfigureAwait(false);
                        continue;
                    case FrameAction.Yield:
                        // MaxBytesPerRead handled: read again at once, with what arrived meanwhile.
                        KeepForNextRead(input, buffer);
                        continue;
                    case FrameAction.Pause:
                        // Backpressure: keep what is buffered, deliver nothing more until the handler has room.
                        KeepForNextRead(input, buffer);
                        pauseScope ??= CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
                        await WaitForCapacityAsync(handler, pauseScope.Token, cancellationToken).ConfigureAwait(false);
                        continue;
                    case FrameAction.Close:
                        // RFC 6455 §5.5.1: after the close frame nothing more is processed.
                        input.AdvanceTo(buffer.End);
                        return await CompleteCloseAsync().ConfigureAwait(false);
                }

                // The next frame is incomplete: examined to the end, so the next read waits for new bytes.
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    if (_silent)
                    {
                        // The watchdog dropped the transport: a socket shut down under a pending read ends it as EOF.
                        throw SilenceTimeout(null);
                    }

                    if (_closeRequested)
                    {
                        await _transport.DisposeAsync().ConfigureAwait(false);
                        return new CloseResult(1006, string.Empty, ServerInitiated: false);
                    }

                    throw Lost(null, "The server ended the TCP connection without a close frame.");
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            if (_silent)
            {
                throw SilenceTimeout(ex);
            }

            if (_closeRequested)
            {
                // We dropped TCP ourselves (close timeout or dispose).
                return new CloseResult(1006, string.Empty, ServerInitiated: false);
            }

            throw Lost(ex, "The connection failed while reading.");
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (InvalidOperationException ex)
        {
            // Safety net: nothing unexpected may escape as anything but the one error type.
            if (_closeRequested)
            {
                return new CloseResult(1006, string.Empty, ServerInitiated: false);
            }

            throw Lost(ex, "The connection failed while reading.");
        }
        finally
        {
            _watchdog?.Dispose();
            pauseScope?.Dispose();

            // Only the loop owns the reader, so only the loop completes it.
            await _transport.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Leaves <paramref name="rest"/> (not handled yet) in the pipe so that the next read returns it at once.
    /// The pipe's examined position only moves forward, so it is marked examined and the next read is
    /// cancelled instead, which makes it return what is buffered without waiting for new bytes.
    /// </summary>
    private static void KeepForNextRead(PipeReader input, in ReadOnlySequence<byte> rest)
    {
        input.AdvanceTo(rest.Start, rest.End);
        input.CancelPendingRead();
    }

    /// <summary>
    /// Backpressure: delivers nothing until the handler has room. Meanwhile, unless it is switched off,
    /// the loop reads on (up to <see cref="C2FeedOptions.PausedReadAheadBytes"/> past the pause point,
    /// consuming nothing) and shows each message that arrived to the handler's <see cref="IMessageHandler.OnLookahead"/>,
    /// so a heartbeat behind the backlog is answered now instead of when consumers catch up.
    /// </summary>
    private async ValueTask WaitForCapacityAsync(IMessageHandler handler, CancellationToken pauseToken, CancellationToken cancellationToken)
    {
        // While paused we read nothing on purpose: that is not the server going silent.
        _paused = true;
        try
        {
            ValueTask waiting = handler.WaitForCapacityAsync(this, pauseToken);
            if (waiting.IsCompleted || _options.PausedReadAheadBytes == 0)
            {
                await waiting.ConfigureAwait(false);
            }
            else
            {
                Task capacity = waiting.AsTask();
                await ReadAheadAsync(handler, capacity, cancellationToken).ConfigureAwait(false);
                await capacity.ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // We are closing: stop waiting for consumers and read on to the server's close frame.
        }
        finally
        {
            Volatile.Write(ref _lastReceiveTicks, Environment.TickCount64);
            _paused = false;
        }
    }

    /// <summary>Reads past the pause point until the handler has room, the read-ahead budget is used or the stream ends.</summary>
    private async Task ReadAheadAsync(IMessageHandler handler, Task capacity, CancellationToken cancellationToken)
    {
        PipeReader input = _transport.Input;

        // A read still pending when room comes back returns at once, as canceled, with what it has.
        // (Safe on this pipe: no stream read belongs to its reader; see TransportConnection.)
        _ = capacity.ContinueWith(static (_, reader) => ((PipeReader)reader!).CancelPendingRead(), input, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        bool stop = false;
        while (!capacity.IsCompleted)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            Volatile.Write(ref _lastReceiveTicks, Environment.TickCount64);
            if (!stop)
            {
                stop = LookAhead(buffer, handler);
                if (_repliesLength != 0)
                {
                    await FlushRepliesAsync(handler, cancellationToken).ConfigureAwait(false);
                }
            }

            // Consume nothing: everything read stays for the resumed loop. (The pipe's examined position
            // may only move forward, so it is always the end here.)
            input.AdvanceTo(buffer.Start, buffer.End);
            // A canceled read by itself says nothing: the pause began with one (KeepForNextRead).
            if (capacity.IsCompleted || result.IsCompleted || stop || buffer.Length >= _options.PausedReadAheadBytes)
            {
                // The resumed loop's first read must not wait for new bytes: it returns at once, canceled, with all of it.
                input.CancelPendingRead();
                return;
            }
        }

        input.CancelPendingRead();
    }

    /// <summary>
    /// Shows the handler each complete unfragmented text message past what earlier look-aheads covered
    /// (<see cref="_lookedAhead"/> bytes past the consumed point); true stops the look-ahead (a close frame
    /// or something the resumed loop will reject: it decides, not this pass).
    /// </summary>
    private bool LookAhead(in ReadOnlySequence<byte> buffer, IMessageHandler handler)
    {
        if (_lookedAhead >= buffer.Length)
        {
            return false;
        }

        if (_lookedAhead == 0)
        {
            // Starting where the loop stands: inside a fragmented message if the loop is.
            _lookaheadInFragments = _openMessage != Opcode.Continuation;
        }

        ReadOnlySequence<byte> rest = buffer.Slice(_lookedAhead);
        while (true)
        {
            OperationStatus status = FrameHeaderParser.TryParse(rest, _options.MaxMessageSize, out FrameHeader header, out _);
            if (status == OperationStatus.InvalidData)
            {
                return true;
            }

            if (status == OperationStatus.NeedMoreData || rest.Length < header.FrameLength)
            {
                return false;
            }

            if (header.Opcode == Opcode.Close)
            {
                return true;
            }

            if (header.Opcode is Opcode.Text or Opcode.Binary or Opcode.Continuation)
            {
                bool whole = header.Fin && header.Opcode == Opcode.Text && !_lookaheadInFragments;
                _lookaheadInFragments = !header.Fin;
                if (whole)
                {
                    ReadOnlySequence<byte> payload = rest.Slice(header.HeaderLength, header.PayloadLength);
                    if (payload.IsSingleSegment)
                    {
                        handler.OnLookahead(this, payload.FirstSpan);
                    }
                    else
                    {
                        byte[] copy = ArrayPool<byte>.Shared.Rent((int)payload.Length);
                        payload.CopyTo(copy);
                        handler.OnLookahead(this, copy.AsSpan(0, (int)payload.Length));
                        ArrayPool<byte>.Shared.Return(copy);
                    }
                }
            }

            _lookedAhead += header.FrameLength;
            rest = rest.Slice(header.FrameLength);
        }
    }

    /// <summary>
    /// Handles every complete frame at the start of <paramref name="buffer"/> and slices them off, stopping
    /// early after a frame that needs the loop (pong, close, pause), once <see cref="MaxBytesPerRead"/> are handled
    /// (yield), or at a violation (the failing frame stays).
    /// Frames wholly inside the first segment are handled straight from its span, with no per-frame sequence
    /// slicing; a frame that straddles segments is copied out once and handled the same way.
    /// </summary>
    private FrameAction HandleFrames(ref ReadOnlySequence<byte> buffer, IMessageHandler handler, out FrameError error)
    {
        long maxMessage = _options.MaxMessageSize;
        long handled = 0;
        while (true)
        {
            ReadOnlySpan<byte> span = buffer.FirstSpan;
            int offset = 0;
            FrameAction action = FrameAction.None;
            error = FrameError.None;
            while (true)
            {
                ReadOnlySpan<byte> rest = span[offset..];
                OperationStatus status = FrameHeaderParser.TryParse(rest, maxMessage, out FrameHeader header, out error);
                if (status == OperationStatus.InvalidData)
                {
                    action = FrameAction.Fail;
                    break;
                }

                if (status == OperationStatus.NeedMoreData || rest.Length < header.FrameLength)
                {
                    break;
                }

                action = HandleFrame(header, rest.Slice(header.HeaderLength, (int)header.PayloadLength), handler, out error);
                if (action == FrameAction.Fail)
                {
                    break;
                }

                offset += (int)header.FrameLength;
                if (action != FrameAction.None)
                {
                    break;
                }
            }

            buffer = buffer.Slice(offset);
            if (action != FrameAction.None)
            {
                return action;
            }

            handled += offset;
            if (handled >= MaxBytesPerRead && !buffer.IsEmpty)
            {
                return FrameAction.Yield;
            }

            // No complete frame is left in that span: the next one is not all here yet, or it lies in (or
            // reaches into) the next segment, which is where the slice now starts if the span ran out exactly.
            OperationStatus straddling = FrameHeaderParser.TryParse(buffer, maxMessage, out FrameHeader next, out error);
            if (straddling == OperationStatus.InvalidData)
            {
                return FrameAction.Fail;
            }

            if (straddling == OperationStatus.NeedMoreData || buffer.Length < next.FrameLength)
            {
                return FrameAction.None;
            }

            if (buffer.FirstSpan.Length >= next.FrameLength)
            {
                continue; // wholly inside the new first segment: handled from its span
            }

            action = HandleStraddlingFrame(next, buffer.Slice(next.HeaderLength, next.PayloadLength), handler, out error);
            if (action == FrameAction.Fail)
            {
                return action;
            }

            buffer = buffer.Slice(next.FrameLength);
            if (action != FrameAction.None)
            {
                return action;
            }
        }
    }

    private FrameAction HandleStraddlingFrame(in FrameHeader header, in ReadOnlySequence<byte> payload, IMessageHandler handler, out FrameError error)
    {
        int length = (int)payload.Length;
        byte[] copy = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        try
        {
            payload.CopyTo(copy);
            return HandleFrame(header, copy.AsSpan(0, length), handler, out error);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    private FrameAction HandleFrame(in FrameHeader header, ReadOnlySpan<byte> payload, IMessageHandler handler, out FrameError error)
    {
        error = FrameError.None;
        switch (header.Opcode)
        {
            case Opcode.Text or Opcode.Binary:
                // RFC 6455 §5.4: a data frame may not start a message while another is open.
                if (_openMessage != Opcode.Continuation)
                {
                    error = FrameError.DataFrameInsideMessage;
                    return FrameAction.Fail;
                }

                if (header.Fin)
                {
                    // RFC 6455 §8.1: a text message must be valid UTF-8.
                    if (header.Opcode == Opcode.Text && !Utf8.IsValid(payload))
                    {
                        error = FrameError.InvalidUtf8;
                        return FrameAction.Fail;
                    }

                    // Once the application asked to close, further data is discarded, never queued.
                    return _closeRequested || handler.OnMessage(this, header.Opcode == Opcode.Text, payload) ? FrameAction.None : FrameAction.Pause;
                }

                _openMessage = header.Opcode;
                _assemblyLength = 0;
                _utf8.Reset();
                return Append(header.Fin, payload, handler, out error);

            case Opcode.Continuation:
                // RFC 6455 §5.4: a continuation frame needs a message to continue.
                if (_openMessage == Opcode.Continuation)
                {
                    error = FrameError.ContinuationWithoutMessage;
                    return FrameAction.Fail;
                }

                return Append(header.Fin, payload, handler, out error);

            case Opcode.Ping:
                // Answered by the loop once this read is handled; control payloads are at most 125 bytes.
                payload.CopyTo(_pingPayload);
                _pingLength = payload.Length;
                return FrameAction.Pong;

            case Opcode.Pong:
                // RFC 6455 §5.5.3: an unsolicited pong needs no answer.
                return FrameAction.None;

            default:
                // RFC 6455 §5.5.1: validate the close payload; a bad one is a protocol error.
                if (!CloseFrame.TryParse(payload, out _closeCode, out error))
                {
                    return FrameAction.Fail;
                }

                _closeReason = CloseFrame.ReadReason(payload);
                return FrameAction.Close;
        }
    }

    private FrameAction Append(bool fin, ReadOnlySpan<byte> payload, IMessageHandler handler, out FrameError error)
    {
        error = FrameError.None;

        // RFC 6455 §7.4.1 (1009): the assembled message may not exceed the configured maximum.
        if (_assemblyLength + payload.Length > _options.MaxMessageSize)
        {
            error = FrameError.MessageTooBig;
            return FrameAction.Fail;
        }

        // RFC 6455 §8.1: validate each fragment as it arrives; a code point may span fragments.
        if (_openMessage == Opcode.Text)
        {
            if (!_utf8.TryValidate(payload) || (fin && _utf8.HasPending))
            {
                error = FrameError.InvalidUtf8;
                return FrameAction.Fail;
            }
        }

        int length = payload.Length;
        EnsureAssemblyCapacity(_assemblyLength + length);
        payload.CopyTo(_assembly.AsSpan(_assemblyLength));
        _assemblyLength += length;

        if (fin)
        {
            bool isText = _openMessage == Opcode.Text;
            _openMessage = Opcode.Continuation;
            bool more = _closeRequested || handler.OnMessage(this, isText, _assembly.AsSpan(0, _assemblyLength));
            _assemblyLength = 0;
            return more ? FrameAction.None : FrameAction.Pause;
        }

        return FrameAction.None;
    }

    private void EnsureAssemblyCapacity(int needed)
    {
        if (needed <= _assembly.Length)
        {
            return;
        }

        int size = (int)Math.Min(Math.Max(needed, Math.Max(4096, (long)_assembly.Length * 2)), _options.MaxMessageSize);
        byte[] larger = ArrayPool<byte>.Shared.Rent(size);
        _assembly.AsSpan(0, _assemblyLength).CopyTo(larger);
        if (_assembly.Length != 0)
        {
            ArrayPool<byte>.Shared.Return(_assembly);
        }

        _assembly = larger;
    }

    /// <summary>Answers the server's close (if we have not sent ours) and waits for TCP to end.</summary>
    private async Task<CloseResult> CompleteCloseAsync()
    {
        bool serverInitiated = false;
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_closeSent)
            {
                // RFC 6455 §5.5.1: answer a close with a close, echoing the status code.
                serverInitiated = true;
                await WriteCloseLockedAsync(_closeCode, null, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (C2FeedException)
        {
            // The server may already have dropped TCP; the close is complete either way.
        }
        finally
        {
            _writeLock.Release();
        }

        await DrainAndDisposeAsync().ConfigureAwait(false);
        return new CloseResult(_closeCode, _closeReason, serverInitiated);
    }

    /// <summary>Fails the connection (RFC 6455 §7.1.7): close with the rule's code, half-close, drain briefly, drop.</summary>
    private async Task<C2FeedException> FailAsync(FrameError error)
    {
        int code = FrameErrors.CloseCode(error);
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_closeSent)
            {
                await WriteCloseLockedAsync(code, null, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (C2FeedException)
        {
            // Could not tell the server; failing anyway.
        }
        finally
        {
            _writeLock.Release();
        }

        await _transport.ShutdownSendAsync().ConfigureAwait(false);
        await DrainAndDisposeAsync().ConfigureAwait(false);
        return ThrowHelper.Create(FrameErrors.FeedError(error), FrameErrors.Describe(error), code);
    }

    /// <summary>RFC 6455 §7.1.1: the server closes TCP first; wait for that, at most CloseTimeout, then drop it.</summary>
    private async Task DrainAndDisposeAsync()
    {
        PipeReader input = _transport.Input;
        using var timeout = new CancellationTokenSource(_options.CloseTimeout);
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Timed out or the transport is already gone.
        }

        await _transport.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask FlushRepliesAsync(IMessageHandler handler, CancellationToken cancellationToken)
    {
        int written = 0;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_closeSent)
            {
                await WriteRawLockedAsync(_replies.AsMemory(0, _repliesLength), cancellationToken).ConfigureAwait(false);
                written = _repliesCount;
            }
        }
        finally
        {
            _repliesLength = 0;
            _repliesCount = 0;
            _writeLock.Release();
        }

        if (written != 0)
        {
            handler.OnRepliesWritten(written);
        }
    }

    private void CheckLiveness()
    {
        if (!_paused && Environment.TickCount64 - Volatile.Read(ref _lastReceiveTicks) > _silenceLimitMs && !_silent)
        {
            // Half-open TCP never errors by itself: drop it so the loop fails with Timeout.
            _silent = true;
            _transport.Abort();
        }
    }

    private async ValueTask SendPongAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // RFC 6455 §5.5.1: after our close frame we send nothing more, not even a pong.
            if (!_closeSent)
            {
                await WriteFrameLockedAsync(Opcode.Pong, fin: true, new ReadOnlySequence<byte>(_pingPayload, 0, _pingLength), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async ValueTask SendControlAsync(Opcode opcode, ReadOnlySequence<byte> payload, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfCloseSent();
            await WriteFrameLockedAsync(opcode, fin: true, payload, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private ValueTask WriteCloseLockedAsync(int code, string? reason, CancellationToken cancellationToken)
    {
        byte[] payload = new byte[125];
        int length = CloseFrame.WritePayload(payload, code, reason);
        _closeSent = true;
        return WriteFrameLockedAsync(Opcode.Close, fin: true, new ReadOnlySequence<byte>(payload, 0, length), cancellationToken);
    }

    /// <summary>Masks and writes one frame, in buffer-sized pieces for large payloads. Caller holds the write lock.</summary>
    private async ValueTask WriteFrameLockedAsync(Opcode opcode, bool fin, ReadOnlySequence<byte> payload, CancellationToken cancellationToken)
    {
        byte[] buffer = _writeBuffer;
        uint key = _masks.Next();
        int position = FrameWriter.WriteHeader(buffer, opcode, fin, payload.Length, key);
        long masked = 0;
        try
        {
            foreach (ReadOnlyMemory<byte> segment in payload)
            {
                ReadOnlyMemory<byte> rest = segment;
                while (!rest.IsEmpty)
                {
                    int take = Math.Min(rest.Length, buffer.Length - position);
                    Span<byte> destination = buffer.AsSpan(position, take);
                    rest.Span[..take].CopyTo(destination);
                    Mask.Apply(destination, key, masked);
                    masked += take;
                    position += take;
                    rest = rest[take..];
                    if (position == buffer.Length)
                    {
                        await _transport.Stream.WriteAsync(buffer.AsMemory(0, position), cancellationToken).ConfigureAwait(false);
                        position = 0;
                    }
                }
            }

            if (position > 0)
            {
                await _transport.Stream.WriteAsync(buffer.AsMemory(0, position), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // A partly written frame leaves the stream unusable: nothing more may be sent.
            _closeSent = true;
            _transport.Abort();
            if (ex is OperationCanceledException)
            {
                throw;
            }

            throw Lost(ex, "The connection failed while sending.");
        }
    }

    /// <summary>Writes already-framed bytes. Caller holds the write lock.</summary>
    private async ValueTask WriteRawLockedAsync(ReadOnlyMemory<byte> frames, CancellationToken cancellationToken)
    {
        try
        {
            await _transport.Stream.WriteAsync(frames, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            _closeSent = true;
            _transport.Abort();
            if (ex is OperationCanceledException)
            {
                throw;
            }

            throw Lost(ex, "The connection failed while sending.");
        }
    }

    private void ThrowIfCloseSent()
    {
        if (_closeSent)
        {
            ThrowHelper.Throw(C2FeedError.ConnectionNotOpen, "The connection is closing or closed; nothing more can be sent.");
        }
    }

    private C2FeedException SilenceTimeout(Exception? inner)
        => ThrowHelper.Create(C2FeedError.Timeout, $"No data from the server for {_silenceLimitMs} ms: the connection is treated as dead.", inner: inner);

    private static C2FeedException Lost(Exception? inner, string message)
        => ThrowHelper.Create(C2FeedError.ConnectionLost, message, inner: inner);

    private static async ValueTask DisposeQuietlyAsync(TransportConnection? transport)
    {
        if (transport is not null)
        {
            await transport.DisposeAsync().ConfigureAwait(false);
        }
    }

    private enum FrameAction : byte
    {
        None,
        Pong,
        Close,
        Fail,
        Pause,
        Yield,
    }
}
