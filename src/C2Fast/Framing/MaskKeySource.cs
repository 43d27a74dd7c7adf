using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace C2Fast.Framing;

/// <summary>
/// Fresh, unpredictable 4-byte masking keys for client frames (RFC 6455 §5.3, §10.3).
/// </summary>
/// <remarks>
/// Keys come from the OS CSPRNG, fetched 64 keys at a time so each frame costs a copy rather
/// than a system call. Not thread-safe: each connection owns one and uses it under its write lock.
/// </remarks>
internal sealed class MaskKeySource
{
    private readonly byte[] _keys = new byte[256];
    private int _next = 256;

    /// <summary>The next key, in wire byte order read natively.</summary>
    public uint Next()
    {
        if (_next == _keys.Length)
        {
            RandomNumberGenerator.Fill(_keys);
            _next = 0;
        }

        uint key = MemoryMarshal.Read<uint>(_keys.AsSpan(_next));
        _next += 4;
        return key;
    }
}
