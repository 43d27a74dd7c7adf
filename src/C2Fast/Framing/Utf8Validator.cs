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
/// <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/>, once.
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

        // Set aside a code point cut off by the end of the chunk, so valid input is scanned once.
        int cut = IncompleteTailStart(chunk);
        if (!Utf8.IsValid(chunk[..cut]))
        {
            return false;
        }

        ReadOnlySpan<byte> tail = chunk[cut..];
        if (tail.IsEmpty)
        {
            return true;
        }

        // Carry only a valid prefix of a code point; anything else is already invalid.
        if (Rune.DecodeFromUtf8(tail, out _, out _) != System.Buffers.OperationStatus.NeedMoreData)
        {
            return false;
        }

        Carry(tail);
        return true;
    }

    /// <summary>Where a multi-byte sequence that the chunk's end cuts short begins; the chunk length if none.</summary>
    private static int IncompleteTailStart(ReadOnlySpan<byte> chunk)
    {
        int stop = Math.Max(0, chunk.Length - 3);
        for (int i = chunk.Length - 1; i >= stop; i--)
        {
            byte b = chunk[i];
            if ((b & 0xC0) == 0x80)
            {
                continue; // continuation byte: keep looking for its lead
            }

            int needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return chunk.Length - i < needed ? i : chunk.Length;
        }

        return chunk.Length;
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
