using System.Text;
using System.Text.Unicode;

namespace C2Fast.Framing;

/// <summary>
/// Incremental UTF-8 validation for text messages that arrive in fragments (RFC 6455 §8.1).
/// </summary>
/// <remarks>
/// A code point may be split across fragments, so up to three trailing bytes of an incomplete
/// sequence are carried to the next chunk. Those bytes must already be a valid prefix of some
/// code point (<see cref="Rune.DecodeFromUtf8"/> answers <c>NeedMoreData</c> only then), so an
/// overlong form, a surrogate or a value above U+10FFFF fails as soon as its bytes arrive, not
/// at the end of the message. The bulk of each chunk goes through the vectorised
/// <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/>.
/// </remarks>
internal struct Utf8Validator
{
    private uint _pending;     // up to 3 bytes of an incomplete code point, little-endian packed
    private int _pendingCount;

    /// <summary>Whether bytes of an incomplete code point are waiting for the next chunk.</summary>
    public readonly bool HasPending => _pendingCount != 0;

    /// <summary>Forgets any carried bytes (start of a new message).</summary>
    public void Reset()
    {
        _pending = 0;
        _pendingCount = 0;
    }

    /// <summary>Validates the next chunk of a text message.</summary>
    /// <param name="chunk">The next bytes of the message.</param>
    /// <returns>
    /// <see langword="false"/> when the bytes can no longer be valid UTF-8. At the end of the
    /// message the caller also requires <see cref="HasPending"/> to be <see langword="false"/>.
    /// </returns>
    public bool TryValidate(ReadOnlySpan<byte> chunk)
    {
        if (_pendingCount != 0)
        {
            // Complete the carried code point with at most 3 bytes of the new chunk.
            Span<byte> joined = stackalloc byte[6];
            for (int i = 0; i < _pendingCount; i++)
            {
                joined[i] = (byte)(_pending >> (8 * i));
            }

            int take = Math.Min(chunk.Length, 4 - _pendingCount);
            chunk[..take].CopyTo(joined[_pendingCount..]);
            int joinedLength = _pendingCount + take;

            switch (Rune.DecodeFromUtf8(joined[..joinedLength], out _, out int consumed))
            {
                case System.Buffers.OperationStatus.Done:
                    chunk = chunk[(consumed - _pendingCount)..];
                    Reset();
                    break;
                case System.Buffers.OperationStatus.NeedMoreData:
                    Carry(joined[..joinedLength]);
                    return true;
                default:
                    return false;
            }
        }

        if (Utf8.IsValid(chunk))
        {
            return true;
        }

        // Invalid as a whole: acceptable only if the sole problem is an incomplete last code point.
        int start = chunk.Length - 1;
        int stop = Math.Max(0, chunk.Length - 3);
        while (start > stop && (chunk[start] & 0xC0) == 0x80)
        {
            start--;
        }

        ReadOnlySpan<byte> tail = chunk[start..];
        if (Rune.DecodeFromUtf8(tail, out _, out _) != System.Buffers.OperationStatus.NeedMoreData
            || !Utf8.IsValid(chunk[..start]))
        {
            return false;
        }

        Carry(tail);
        return true;
    }

    private void Carry(ReadOnlySpan<byte> bytes)
    {
        _pending = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            _pending |= (uint)bytes[i] << (8 * i);
        }

        _pendingCount = bytes.Length;
    }
}
