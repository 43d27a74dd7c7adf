using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace C2Fast.Cli.Bench.Clients;

/// <summary>
/// The machine's ceiling: a socket (an <see cref="SslStream"/> over it for wss) that performs the HTTP upgrade, reads
/// the first frame (<c>connection.connected</c>) to know where the flood starts, then only counts bytes until the
/// expected number has arrived. No framing, no parsing, no heartbeat answers.
/// </summary>
internal sealed class RawDrainClient : IBenchClient
{
    public async Task<BenchClientResult> RunAsync(BenchClientArgs args, Func<Task> ready, BenchProgress progress, CancellationToken cancellationToken)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(args.Uri.Host, args.Uri.Port, cancellationToken).ConfigureAwait(false);
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        if (args.Uri.Scheme == "wss")
        {
            var tls = new SslStream(stream, leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = args.Uri.Host,
                RemoteCertificateValidationCallback = args.Ca is { } ca ? BenchTls.Trusting(ca) : null,
            }, cancellationToken).ConfigureAwait(false);
            stream = tls;
        }

        await using (stream.ConfigureAwait(false))
        {
            string request = $"GET {args.Uri.PathAndQuery} HTTP/1.1\r\nHost: {args.Uri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                $"Sec-WebSocket-Key: {Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))}\r\nSec-WebSocket-Version: 13\r\n" +
                $"Authorization: Bearer {args.ApiKey}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);

            byte[] buffer = new byte[1 << 20];
            int filled = 0;
            int headEnd;
            while ((headEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
            {
                filled += await ReadSomeAsync(stream, buffer.AsMemory(filled, 16 * 1024), cancellationToken).ConfigureAwait(false);
            }

            string head = Encoding.ASCII.GetString(buffer, 0, headEnd);
            if (!head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("upgrade rejected: " + head.Split('\r')[0]);
            }

            // The first frame is connection.connected: wait for all of it (2-byte header, 7- or 16-bit length).
            int start = headEnd + 4;
            while (filled - start < 4)
            {
                filled += await ReadSomeAsync(stream, buffer.AsMemory(filled, 16 * 1024), cancellationToken).ConfigureAwait(false);
            }

            int length = buffer[start + 1] & 0x7F;
            int header = 2;
            if (length == 126)
            {
                length = (buffer[start + 2] << 8) | buffer[start + 3];
                header = 4;
            }

            while (filled - start < header + length)
            {
                filled += await ReadSomeAsync(stream, buffer.AsMemory(filled, 16 * 1024), cancellationToken).ConfigureAwait(false);
            }

            long counted = filled - start - header - length; // anything already past the first frame
            var meter = new BenchMeter();
            meter.Start();
            await ready().ConfigureAwait(false);
            long windowAt = Math.Max(1, args.Bytes / 10);
            while (counted < args.Bytes)
            {
                counted += await ReadSomeAsync(stream, buffer, cancellationToken).ConfigureAwait(false);
                if (!meter.WindowOpen && counted >= windowAt)
                {
                    meter.OpenWindow(0, counted);
                }

                Volatile.Write(ref progress.Bytes, counted);
            }

            meter.Stop();
            return meter.Result(args.Client, args.Messages, 0, counted, 0, counted);
        }
    }

    private static async ValueTask<int> ReadSomeAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return read > 0 ? read : throw new EndOfStreamException("the server closed the connection");
    }
}
