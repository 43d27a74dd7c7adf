using System.IO.Pipelines;

namespace C2Fast.Transport;

/// <summary>A connected byte stream as a duplex pipe, which can be dropped at once from any thread.</summary>
/// <remarks><see cref="TransportConnection"/> over sockets; tests supply in-memory ones.</remarks>
internal interface ITransport : IDuplexPipe, IAsyncDisposable
{
    /// <summary>Drops the connection at once: pending reads and writes fail. Only the input's owner disposes.</summary>
    void Abort();
}
