namespace C2Fast.Handshake;

/// <summary>What the upgrade request carries and how much of the answer is read.</summary>
/// <param name="Endpoint">The <c>ws://</c> or <c>wss://</c> URI (request target and Host header).</param>
/// <param name="ApiKey">Sent as <c>Authorization: Bearer</c>; null sends no Authorization header.</param>
/// <param name="AdditionalHeaders">Extra request headers, already validated.</param>
/// <param name="MaxResponseHeadBytes">The largest response head accepted.</param>
internal sealed record HandshakeSettings(
    Uri Endpoint,
    string? ApiKey,
    IReadOnlyDictionary<string, string>? AdditionalHeaders = null,
    int MaxResponseHeadBytes = 16 * 1024);
