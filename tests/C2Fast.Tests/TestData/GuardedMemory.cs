using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace C2Fast.Tests.TestData;

/// <summary>
/// Native pages with an inaccessible page on each side (Linux <c>mmap</c> + <c>mprotect</c>):
/// bytes copied flush against either guard make any read past the end, or before the start,
/// fault and take the test host down, instead of reading neighbouring heap bytes that happen
/// to be harmless. <see cref="IsSupported"/> is false elsewhere; callers then test nothing more.
/// </summary>
internal sealed class GuardedMemory : IDisposable
{
    private const int ProtNone = 0;
    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int MapPrivate = 0x02;
    private const int MapAnonymous = 0x20;
    private const int PageSize = 4096;

    private readonly nint _base;
    private readonly nuint _total;
    private readonly int _usable;

    /// <summary>Maps <paramref name="usableBytes"/> (rounded up to pages) between two guard pages.</summary>
    /// <param name="usableBytes">The largest input to be placed.</param>
    public GuardedMemory(int usableBytes)
    {
        _usable = (usableBytes + PageSize - 1) / PageSize * PageSize;
        _total = (nuint)(_usable + (2 * PageSize));
        _base = mmap(0, _total, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (_base == -1)
        {
            throw new InvalidOperationException($"mmap failed: errno {Marshal.GetLastPInvokeError()}");
        }

        if (mprotect(_base, PageSize, ProtNone) != 0 || mprotect(_base + PageSize + _usable, PageSize, ProtNone) != 0)
        {
            throw new InvalidOperationException($"mprotect failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public static bool IsSupported => OperatingSystem.IsLinux() && (RuntimeInformation.ProcessArchitecture is System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.Arm64);

    /// <summary><paramref name="data"/> copied so that its last byte is the last readable one.</summary>
    public ReadOnlySpan<byte> AtEnd(ReadOnlySpan<byte> data) => Place(data, _usable - data.Length);

    /// <summary><paramref name="data"/> copied so that its first byte is the first readable one.</summary>
    public ReadOnlySpan<byte> AtStart(ReadOnlySpan<byte> data) => Place(data, 0);

    public void Dispose() => _ = munmap(_base, _total);

    private Span<byte> Place(ReadOnlySpan<byte> data, int offset)
    {
        if (data.Length > _usable)
        {
            throw new ArgumentException($"{data.Length} bytes do not fit {_usable}", nameof(data));
        }

        // A managed reference to native memory: the GC ignores references outside its heap.
        ref byte first = ref Unsafe.AddByteOffset(ref Unsafe.NullRef<byte>(), (nuint)(_base + PageSize + offset));
        Span<byte> target = MemoryMarshal.CreateSpan(ref first, data.Length);
        data.CopyTo(target);
        return target;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [DllImport("libc", SetLastError = true)]
    private static extern int mprotect(nint addr, nuint length, int prot);

    [DllImport("libc", SetLastError = true)]
    private static extern int munmap(nint addr, nuint length);
}
