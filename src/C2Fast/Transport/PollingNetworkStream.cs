using System.Net.Sockets;

namespace C2Fast.Transport;

/// <summary>
/// A <see cref="NetworkStream"/> whose synchronous reads wait for data in the kernel (<c>poll(2)</c>) on the
/// calling thread, so the receive thread is woken by the kernel directly.
/// </summary>
/// <remarks>
/// Once a socket has been used asynchronously, the runtime keeps it non-blocking and emulates a blocking
/// <see cref="Socket.Receive(Span{byte})"/> by waiting on an event that its epoll thread sets: one more thread
/// and one more wake-up per read. Polling first and reading only once the socket is readable keeps that thread
/// out of the path; the read itself then completes at once (one <c>recv(2)</c>). Everything else (async reads and writes, dispose)
/// is the base class's. The poll wakes on data, end of stream, errors and <see cref="Socket.Shutdown"/>; it also
/// returns every <see cref="PollInterval"/> to notice a socket disposed without a shutdown.
/// </remarks>
internal sealed class PollingNetworkStream(Socket socket) : NetworkStream(socket, ownsSocket: true)
{
    /// <summary>The longest single wait in <c>poll(2)</c> before the socket is looked at again.</summary>
    internal static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        WaitReadable();
        int read = Socket.Receive(buffer, SocketFlags.None, out SocketError error);
        return error == SocketError.Success ? read : throw ReadFailed(new SocketException((int)error));
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 0 ? -1 : one[0];
    }

    private void WaitReadable()
    {
        try
        {
            while (!Socket.Poll(PollInterval, SelectMode.SelectRead))
            {
            }
        }
        catch (SocketException ex)
        {
            throw ReadFailed(ex);
        }
    }

    // As NetworkStream reports socket failures: an IOException with the SocketException inside.
    private static IOException ReadFailed(SocketException ex) => new($"Unable to read data from the transport connection: {ex.Message}", ex);
}
