namespace C2Fast.Tests.Infrastructure;

/// <summary>
/// The deterministic message contents the peers (tests/peers/ws_server.*) send, so tests can
/// assert byte-exact delivery.
/// </summary>
internal static class PeerPayloads
{
    /// <summary>Binary pattern: byte i is i % 251.</summary>
    public static byte[] Binary(int size)
    {
        var bytes = new byte[size];
        for (var i = 0; i < size; i++)
        {
            bytes[i] = (byte)(i % 251);
        }

        return bytes;
    }

    /// <summary>Text pattern as UTF-8 bytes: byte i is 32 + i % 95 (printable ASCII).</summary>
    public static byte[] TextBytes(int size)
    {
        var bytes = new byte[size];
        for (var i = 0; i < size; i++)
        {
            bytes[i] = (byte)(32 + (i % 95));
        }

        return bytes;
    }

    /// <summary>Text pattern as a string (ASCII, so characters == bytes).</summary>
    public static string Text(int size) => System.Text.Encoding.ASCII.GetString(TextBytes(size));
}
