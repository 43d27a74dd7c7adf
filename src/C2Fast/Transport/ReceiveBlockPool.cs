using System.Buffers;

namespace C2Fast.Transport;

/// <summary>
/// The receive pipe's memory: blocks of one size, rented by the receive pump and returned by the read loop
/// (which may run on another thread) once it has consumed them.
/// </summary>
/// <remarks>
/// The shared <see cref="ArrayPool{T}"/> keeps arrays per thread and per core, so blocks that one thread rents
/// and another returns mostly miss it. Here a returned block goes onto one free list, under a lock taken once
/// per block (about 200 typical messages). The list keeps up to <c>maxFree</c> blocks. When the connection goes
/// (<see cref="Close"/>), its free and late-returned blocks go to a small process-wide stash
/// (<see cref="MaxStashedPerSize"/> per block size) that the next connection's pool takes from first, so a
/// reconnect does not allocate its receive buffers again. The pool bounds nothing: the pipe's pause threshold does.
/// </remarks>
internal sealed class ReceiveBlockPool : MemoryPool<byte>
{
    /// <summary>Blocks of one size kept across connections, at most.</summary>
    internal const int MaxStashedPerSize = 32;

    private static readonly Dictionary<int, Stack<byte[]>> s_stash = [];

    private readonly int _blockSize;
    private readonly Block?[] _free;
    private int _count;       // free blocks in _free
    private int _outstanding; // blocks rented and not returned
    private bool _closed;

    /// <param name="blockSize">The size of every block.</param>
    /// <param name="maxFree">Free blocks kept for reuse while the connection lives.</param>
    public ReceiveBlockPool(int blockSize, int maxFree)
    {
        _blockSize = blockSize;
        _free = new Block?[Math.Max(1, maxFree)];
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

    /// <summary>The connection is going away: free blocks, and blocks returned from now on, go to the stash.</summary>
    public void Close()
    {
        byte[][] spare;
        lock (_free)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            spare = new byte[_count][];
            for (int i = 0; i < _count; i++)
            {
                spare[i] = _free[i]!.Array;
                _free[i] = null;
            }

            _count = 0;
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

    private void Return(Block block)
    {
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
