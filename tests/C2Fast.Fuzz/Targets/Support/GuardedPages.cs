using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace C2Fast.Fuzz.Targets;

/// <summary>
/// Native memory with an inaccessible page on each side (Linux <c>mmap</c> + <c>mprotect</c>). An input copied flush
/// against a guard makes any read past its end, or before its start, fault at once and end the process (a crash AFL
/// records), instead of quietly reading neighbouring bytes. Elsewhere (<see cref="IsSupported"/> false) the input is
/// returned as it is and only the other checks apply.
/// </summary>
internal static class GuardedPages
{
    private const int PageSize = 4096;
    private const int Usable = 64 * 1024;
    private const int ProtNone = 0;
    private const int ProtReadWrite = 3;
    private const int MapPrivateAnonymous = 0x22;

    private static readonly Lock Gate = new();
    private static nint s_base;

    public static bool IsSupported => OperatingSystem.IsLinux()
        && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>The largest input that can be placed.</summary>
    public static int Capacity => Usable;

    /// <summary>
    /// Runs <paramref name="body"/> on a copy of <paramref name="data"/> whose last byte is the last readable byte
    /// (<paramref name="atEnd"/>) or whose first byte is the first readable one. One region serves the process, under
    /// a lock: the copy is valid only during the call.
    /// </summary>
    public static TResult With<TResult>(ReadOnlySpan<byte> data, bool atEnd, GuardedFunc<TResult> body)
    {
        if (!IsSupported || data.Length > Usable)
        {
            return body(data);
        }

        lock (Gate)
        {
            nint start = Base() + PageSize + (atEnd ? Usable - data.Length : 0);
            ref byte first = ref Unsafe.AddByteOffset(ref Unsafe.NullRef<byte>(), (nuint)start);
            Span<byte> target = MemoryMarshal.CreateSpan(ref first, data.Length);
            data.CopyTo(target);
            return body(target);
        }
    }

    /// <summary>As <see cref="With{TResult}"/>, as a one-segment <see cref="ReadOnlySequence{T}"/> over the guarded copy.</summary>
    public static TResult WithSequence<TResult>(ReadOnlySpan<byte> data, bool atEnd, Func<ReadOnlySequence<byte>, TResult> body)
    {
        if (!IsSupported || data.Length > Usable)
        {
            return body(new ReadOnlySequence<byte>(data.ToArray()));
        }

        lock (Gate)
        {
            nint start = Base() + PageSize + (atEnd ? Usable - data.Length : 0);
            ref byte first = ref Unsafe.AddByteOffset(ref Unsafe.NullRef<byte>(), (nuint)start);
            data.CopyTo(MemoryMarshal.CreateSpan(ref first, data.Length));
            using var manager = new NativeMemory(start, data.Length);
            return body(new ReadOnlySequence<byte>(manager.Memory));
        }
    }

    public delegate TResult GuardedFunc<TResult>(ReadOnlySpan<byte> data);

    private static nint Base()
    {
        if (s_base != 0)
        {
            return s_base;
        }

        nuint total = (nuint)(Usable + (2 * PageSize));
        nint mapped = Mmap(0, total, ProtReadWrite, MapPrivateAnonymous, -1, 0);
        if (mapped == -1)
        {
            throw new InvalidOperationException($"mmap failed: errno {Marshal.GetLastPInvokeError()}");
        }

        if (Mprotect(mapped, PageSize, ProtNone) != 0 || Mprotect(mapped + PageSize + Usable, PageSize, ProtNone) != 0)
        {
            throw new InvalidOperationException($"mprotect failed: errno {Marshal.GetLastPInvokeError()}");
        }

        s_base = mapped; // kept for the life of the process
        return mapped;
    }

    [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static extern nint Mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static extern int Mprotect(nint addr, nuint length, int prot);

    /// <summary>Native bytes as <see cref="Memory{T}"/>; never pinned (they do not move).</summary>
    private sealed class NativeMemory(nint start, int length) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan()
            => MemoryMarshal.CreateSpan(ref Unsafe.AddByteOffset(ref Unsafe.NullRef<byte>(), (nuint)start), length);

        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException("Guarded memory is not pinned.");

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
