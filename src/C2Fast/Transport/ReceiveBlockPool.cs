using System.Buffers;

namespace C2Fast.Transport;

/// <summary>
/// The receive pipe's memory, and the bound on it: blocks of one size, rented by the receive pump and
/// returned by the read loop (which may run on another thread) once it has consumed them.
/// </summary>
/// <remarks>
/// <para>
/// The bound. <see cref="System.IO.Pipelines.Pipe"/> counts its pause threshold in bytes not yet
/// <em>examined</em>, and the read loop examines everything it is shown (it looks ahead for heartbeats,
/// and it stops after <c>MaxBytesPerRead</c> with frames still unhandled). So when the loop fell behind a
/// flood on another thread, the pump never paused and the pipe grew with the flood (660 MB for a 3 M
/// message burst at connect). Here the blocks rented and not yet returned are exactly the bytes not yet
/// consumed: the pump waits (<see cref="WaitForRoom"/>) once they reach the limit and goes on when they
/// are down to half of it. The limit is never below one whole frame of the largest allowed message plus
/// two blocks, so a loop that waits for the rest of a frame always gets it.
/// </para>
/// <para>
/// Reuse. The shared <see cref="ArrayPool{T}"/> keeps arrays per thread and per core, so blocks that one
/// thread rents and another returns mostly miss it. Here a returned block goes onto one list, under a
/// lock taken once per block (about 200 typical messages). The list keeps up to half the limit, the
/// swing of the pipe's fill between the two thresholds; that memory stays with the connection after a
/// backlog and goes with it.
/// </para>
/// </remarks>
internal sealed class ReceiveBlockPool : MemoryPool<byte>
{
    private readonly int _blockSize;
    private readonly int _limitBlocks;
    private readonly int _resumeBlocks;
    private readonly Block?[] _free;
    private readonly SemaphoreSlim _room = new(0);
    private int _count;       // free blocks in _free
    private int _outstanding; // blocks rented and not returned
    private bool _waiting;
    private bool _closed;

    /// <param name="blockSize">The size of every block.</param>
    /// <param name="limitBytes">Rented, unreturned bytes at which <see cref="HasRoom"/> turns false (rounded up to blocks, at least two).</param>
    public ReceiveBlockPool(int blockSize, long limitBytes)
    {
        _blockSize = blockSize;
        _limitBlocks = (int)Math.Clamp((limitBytes + blockSize - 1) / blockSize, 2, int.MaxValue / 2);
        _resumeBlocks = _limitBlocks / 2;
        _free = new Block?[Math.Max(1, _resumeBlocks)];
    }

    /// <inheritdoc/>
    public override int MaxBufferSize => _blockSize;

    /// <summary>Bytes rented and not yet returned: what the pipe holds, rounded up to blocks.</summary>
    public long OutstandingBytes
    {
        get
        {
            lock (_free)
            {
                return (long)_outstanding * _blockSize;
            }
        }
    }

    /// <summary>The most bytes the pump may hold before it waits.</summary>
    public long LimitBytes => (long)_limitBlocks * _blockSize;

    /// <summary>Whether the pump may read more (also true once the pool is closed).</summary>
    public bool HasRoom
    {
        get
        {
            lock (_free)
            {
                return _closed || _outstanding < _limitBlocks;
            }
        }
    }

    /// <summary>Whether <see cref="Close"/> was called: the pump must stop.</summary>
    public bool IsClosed => Volatile.Read(ref _closed);

    /// <summary>Blocks the receive thread until the loop has consumed down to half the limit, or the pool is closed.</summary>
    public void WaitForRoom()
    {
        while (ArmWait())
        {
            _room.Wait();
        }
    }

    /// <summary>The async pump's <see cref="WaitForRoom"/>.</summary>
    public async ValueTask WaitForRoomAsync()
    {
        while (ArmWait())
        {
            await _room.WaitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Releases a waiting pump for good: the connection is going away.</summary>
    public void Close()
    {
        bool release;
        lock (_free)
        {
            _closed = true;
            release = _waiting;
            _waiting = false;
        }

        if (release)
        {
            _room.Release();
        }
    }

    /// <inheritdoc/>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > _blockSize)
        {
            return new Block(null, new byte[minBufferSize]); // never asked for by the pipe: its sizes stop at MaxBufferSize
        }

        lock (_free)
        {
            _outstanding++;
            if (_count > 0)
            {
                Block block = _free[--_count]!;
                _free[_count] = null;
                block.Rented = true;
                return block;
            }
        }

        return new Block(this, new byte[_blockSize]) { Rented = true };
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing) => Close();

    // True if the caller must wait on _room (and is now registered to be released).
    private bool ArmWait()
    {
        lock (_free)
        {
            if (_closed || _outstanding < _limitBlocks)
            {
                return false;
            }

            _waiting = true;
            return true;
        }
    }

    private void Return(Block block)
    {
        bool release = false;
        lock (_free)
        {
            if (!block.Rented)
            {
                return; // a second dispose of the same rental
            }

            block.Rented = false;
            _outstanding--;
            if (_count < _free.Length)
            {
                _free[_count++] = block;
            }

            if (_waiting && _outstanding <= _resumeBlocks)
            {
                _waiting = false;
                release = true;
            }
        }

        if (release)
        {
            _room.Release();
        }
    }

    private sealed class Block(ReceiveBlockPool? pool, byte[] array) : IMemoryOwner<byte>
    {
        public bool Rented { get; set; }

        public Memory<byte> Memory => array;

        public void Dispose() => pool?.Return(this);
    }
}
