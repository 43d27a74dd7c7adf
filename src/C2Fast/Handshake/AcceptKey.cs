using System.Security.Cryptography;
using System.Text;

namespace C2Fast.Handshake;

/// <summary>The <c>Sec-WebSocket-Key</c> / <c>Sec-WebSocket-Accept</c> pair of RFC 6455 §4.1-4.2.</summary>
internal static class AcceptKey
{
    /// <summary>The RFC's fixed GUID appended to the key before hashing.</summary>
    private static ReadOnlySpan<byte> Guid => "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8;

    /// <summary>Length of a base64 key of 16 random bytes.</summary>
    public const int KeyLength = 24;

    /// <summary>Length of a base64 SHA-1 accept value.</summary>
    public const int AcceptLength = 28;

    /// <summary>Writes a fresh random key: base64 of 16 bytes from the CSPRNG (RFC 6455 §4.1, item 7).</summary>
    public static void NewKey(Span<byte> key)
    {
        Span<byte> nonce = stackalloc byte[16];
        RandomNumberGenerator.Fill(nonce);
        System.Buffers.Text.Base64.EncodeToUtf8(nonce, key, out _, out _);
    }

    /// <summary>Writes the accept value the server must answer for <paramref name="key"/>: base64(SHA-1(key + GUID)).</summary>
    public static void ComputeAccept(ReadOnlySpan<byte> key, Span<byte> accept)
    {
        Span<byte> input = stackalloc byte[KeyLength + 36];
        key.CopyTo(input);
        Guid.CopyTo(input[key.Length..]);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input[..(key.Length + Guid.Length)], hash);
        System.Buffers.Text.Base64.EncodeToUtf8(hash, accept, out _, out _);
    }

    /// <summary>The key as a string (for logs and tests only).</summary>
    public static string ToText(ReadOnlySpan<byte> key) => Encoding.ASCII.GetString(key);
}
