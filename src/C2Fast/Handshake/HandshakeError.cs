namespace C2Fast.Handshake;

/// <summary>Why an upgrade response was rejected; one value per RFC 6455 §4.1 / HTTP rule.</summary>
internal enum HandshakeError : byte
{
    None = 0,
    MalformedStatusLine,
    MalformedHeader,
    ResponseTooLarge,
    MissingUpgrade,
    MissingConnection,
    InvalidAccept,
    UnrequestedExtension,
    UnrequestedSubprotocol,
}
