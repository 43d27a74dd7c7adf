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
/// backlog. When the connection goes (<see cref="Close"/>), its free and late-returned blocks go to a
/// small process-wide stash (<see cref="MaxStashedPerSize"/> per block size) that the next connection's
/// pool takes from first, so a reconnect does not allocate its receive buffers again.
/// </para>
/// </remarks>
internal sealed class ReceiveBlockPool : MemoryPool<byte>
{
    /// <summary>Blocks of one size kept across connections, at most.</summary>
    internal const int MaxStashedPerSize = 32;

    private static readonly Dictionary<int, Stack<byte[]>> s_stash = [];

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

    /// <summary>Whether the pump may read more now: under the limit and not closed.</summary>
    public bool HasRoom
    {
        get
        {
            lock (_free)
            {
                return !_closed && _outstanding < _limitBlocks;
            }
        }
    }

    /// <summary>
    /// Blocks the receive thread until the loop has consumed down to half the limit (true), or the pool is
    /// closed (false: the connection is going away and the pump must stop).
    /// </summary>
    public bool WaitForRoom()
    {
        while (ArmWait())
        {
            _room.Wait();
        }

        return !Volatile.Read(ref _closed);
    }

    /// <summary>The async pump's <see cref="WaitForRoom"/>.</summary>
    public async ValueTask<bool> WaitForRoomAsync()
    {
        while (ArmWait())
        {
            await _room.WaitAsync().ConfigureAwait(false);
        }

        return !Volatile.Read(ref _closed);
    }

    /// <summary>Releases a waiting pump for good: the connection is going away.</summary>
    public void Close()
    {
        bool release;
        byte[][] spare;
        lock (_free)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            release = _waiting;
            _waiting = false;
            spare = new byte[_count][];
            for (int i = 0; i < _count; i++)
            {
                spare[i] = _free[i]!.Array;
                _free[i] = null;
            }

            _count = 0;
        }

        if (release)
        {
            _room.Release();
        }

        foreach (byte[] array in spare)
        {
            Stash(array);
        }
    }

    /// <summary>Blocks of <paramref name="blockSize"/> bytes in the process-wide stash now (for tests).</summary>
    internal static int StashedCount(int blockSize)
    {
        lock (s_stash)
        {
            return s_stash.TryGetValue(blockSize, out Stack<byte[]>? stack) ? stack.Count : 0;
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

        return new Block(this, Unstash(_blockSize) ?? new byte[_blockSize]) { Rented = true };
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
        bool stash = false;
        lock (_free)
        {
            if (!block.Rented)
            {
                return; // a second dispose of the same rental
            }

            block.Rented = false;
            _outstanding--;
            if (_closed)
            {
                stash = true; // the connection is gone: the block is for the next one
            }
            else if (_count < _free.Length)
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

        if (stash)
        {
            Stash(block.Array);
        }
    }

    private static void Stash(byte[] array)
    {
        lock (s_stash)
        {
            if (!s_stash.TryGetValue(array.Length, out Stack<byte[]>? stack))
            {
                s_stash[array.Length] = stack = new Stack<byte[]>();
            }

            if (stack.Count < MaxStashedPerSize)
            {
                stack.Push(array);
            }
        }
    }

    private static byte[]? Unstash(int blockSize)
    {
        lock (s_stash)
        {
            return s_stash.TryGetValue(blockSize, out Stack<byte[]>? stack) && stack.TryPop(out byte[]? array) ? array : null;
        }
    }

    private sealed class Block(ReceiveBlockPool? pool, byte[] array) : IMemoryOwner<byte>
    {
        public bool Rented { get; set; }

        public byte[] Array => array;

        public Memory<byte> Memory => array;

        public void Dispose() => pool?.Return(this);
    }
}
