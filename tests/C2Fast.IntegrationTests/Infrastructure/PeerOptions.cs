using C2Fast.Tests.Infrastructure;

namespace C2Fast.IntegrationTests.Infrastructure;

/// <summary>Command-line options of a peer process (see tests/peers/README.md).</summary>
/// <param name="Tls">Serve wss with <see cref="TestCertificates.Shared"/>'s server certificate.</param>
/// <param name="ApiKey">When set, the peer requires <c>Authorization: Bearer ApiKey</c> (else 401).</param>
/// <param name="MaxSize">Largest message the peer accepts (the peers default to 64 MiB).</param>
/// <param name="ExtraArguments">Appended to the command line as given.</param>
internal sealed record PeerOptions(bool Tls = false, string? ApiKey = null, long? MaxSize = null, IReadOnlyList<string>? ExtraArguments = null);
