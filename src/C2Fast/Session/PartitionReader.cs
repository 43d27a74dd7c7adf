using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using C2Fast.Dispatch;

namespace C2Fast.Session;

/// <summary>
/// A partition as the public <see cref="ChannelReader{T}"/> of <see cref="C2FeedMessage"/>: each lease read
/// becomes a handle holding the lease's current version, so the handle alone decides who may release it.
/// </summary>
internal sealed class PartitionReader(FeedPartition partition) : ChannelReader<C2FeedMessage>
{
    /// <inheritdoc/>
    public override Task Completion => partition.Completion;

    /// <inheritdoc/>
    public override bool CanCount => true;

    /// <summary>False: a peeked message would be a second handle to one the next read hands out, able to dispose it.</summary>
    public override bool CanPeek => false;

    /// <inheritdoc/>
    public override int Count => partition.Count;

    /// <inheritdoc/>
    public override bool TryRead([MaybeNullWhen(false)] out C2FeedMessage item)
    {
        if (partition.TryRead(out MessageLease? lease))
        {
            item = new C2FeedMessage(lease);
            return true;
        }

        item = default;
        return false;
    }

    /// <inheritdoc/>
    /// <remarks>Does not allocate for the usual single reader, whether or not the token can be cancelled.</remarks>
    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => partition.WaitToReadAsync(cancellationToken);
}
