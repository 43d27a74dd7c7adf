using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace C2Fast.Tests.Infrastructure;

/// <summary>
/// An in-memory test PKI: a self-signed ECDSA P-256 CA and a server certificate for
/// <c>localhost</c>, <c>127.0.0.1</c> and <c>::1</c> signed by it. One instance per test run
/// (<see cref="Shared"/>). Nothing is added to any system or user certificate store.
/// </summary>
internal sealed class TestCertificates
{
    private static readonly Lazy<TestCertificates> SharedInstance = new(() => new TestCertificates(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly ECDsa _caKey;
    private readonly Lazy<PemFiles> _pemFiles;

    private TestCertificates()
    {
        var now = DateTimeOffset.UtcNow;
        _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=C2Fast Test CA, O=C2Fast Tests", _caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        CaWithKey = caRequest.CreateSelfSigned(now.AddYears(-1), now.AddYears(1));
        Ca = X509CertificateLoader.LoadCertificate(CaWithKey.RawData);

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Server = Issue(serverKey, "localhost", ["localhost"], [IPAddress.Loopback, IPAddress.IPv6Loopback], now.AddDays(-1), now.AddDays(30));
        CaPem = Ca.ExportCertificatePem();
        ServerCertificatePem = Server.ExportCertificatePem();
        ServerKeyPem = serverKey.ExportPkcs8PrivateKeyPem();
        _pemFiles = new Lazy<PemFiles>(WritePemFiles, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The instance shared by the whole test run (key generation happens once).</summary>
    public static TestCertificates Shared => SharedInstance.Value;

    /// <summary>The CA certificate, public part only: what a client trusts.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The CA certificate with its private key (for issuing more certificates).</summary>
    public X509Certificate2 CaWithKey { get; }

    /// <summary>The server certificate with its private key, loaded from PKCS#12 (usable by Kestrel/SslStream on Linux).</summary>
    public X509Certificate2 Server { get; }

    public string CaPem { get; }

    public string ServerCertificatePem { get; }

    /// <summary>The server's private key as PKCS#8 PEM (<c>-----BEGIN PRIVATE KEY-----</c>).</summary>
    public string ServerKeyPem { get; }

    /// <summary>
    /// CA PEM, server certificate PEM and key PEM written once to a private temp directory
    /// (deleted at process exit), for the peer processes' <c>--tls CERT KEY</c>.
    /// </summary>
    public PemFiles Files => _pemFiles.Value;

    /// <summary>
    /// A certificate validation callback that accepts exactly the chains ending in
    /// <paramref name="ca"/> (custom root trust, no revocation check) and still rejects a
    /// name mismatch or a missing certificate.
    /// </summary>
    public static RemoteCertificateValidationCallback ValidateWithCustomCa(X509Certificate2 ca)
    {
        ArgumentNullException.ThrowIfNull(ca);
        var caRaw = ca.RawData;
        return (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
            {
                return false;
            }

            using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            using var trusted = X509CertificateLoader.LoadCertificate(caRaw);
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(trusted);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
            return chain.Build(leaf);
        };
    }

    /// <summary><see cref="ValidateWithCustomCa"/> for this instance's <see cref="Ca"/>.</summary>
    public RemoteCertificateValidationCallback ValidateWithTestCa() => ValidateWithCustomCa(Ca);

    /// <summary>
    /// Issues a server certificate signed by the test CA with the given names and validity
    /// (e.g. a wrong name or an expired one), returned with its private key via PKCS#12.
    /// </summary>
    public X509Certificate2 IssueServerCertificate(string commonName, string[] dnsNames, IPAddress[] ipAddresses, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Issue(key, commonName, dnsNames, ipAddresses, notBefore, notAfter);
    }

    private X509Certificate2 Issue(ECDsa key, string commonName, string[] dnsNames, IPAddress[] ipAddresses, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var request = new CertificateRequest(new X500DistinguishedName($"CN={commonName}"), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var dns in dnsNames)
        {
            san.AddDnsName(dns);
        }

        foreach (var ip in ipAddresses)
        {
            san.AddIpAddress(ip);
        }

        request.CertificateExtensions.Add(san.Build(false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(CaWithKey, true, false));

        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        using var issued = request.Create(CaWithKey, notBefore, notAfter, serial);
        using var withKey = issued.CopyWithPrivateKey(key);

        // Round-trip through PKCS#12 so the key is a regular (non-ephemeral) one on every platform.
        var pfx = withKey.Export(X509ContentType.Pkcs12, "c2fast-test");
        return X509CertificateLoader.LoadPkcs12(pfx, "c2fast-test", X509KeyStorageFlags.Exportable);
    }

    /// <summary>Writes <c>ca.pem</c>, <c>server.pem</c> and <c>server.key</c> (PKCS#8) into <paramref name="directory"/>.</summary>
    public PemFiles WritePemFilesTo(string directory)
    {
        Directory.CreateDirectory(directory);
        var files = new PemFiles(directory, Path.Combine(directory, "ca.pem"), Path.Combine(directory, "server.pem"), Path.Combine(directory, "server.key"));
        File.WriteAllText(files.CaPath, CaPem);
        File.WriteAllText(files.ServerCertificatePath, ServerCertificatePem);
        File.WriteAllText(files.ServerKeyPath, ServerKeyPem);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(files.ServerKeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return files;
    }

    private PemFiles WritePemFiles()
    {
        var directory = Directory.CreateTempSubdirectory("c2fast-test-certs-").FullName;
        var files = WritePemFilesTo(directory);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(directory, true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        };
        return files;
    }

    /// <summary>Paths of the PEM files written by <see cref="Files"/>.</summary>
    internal sealed record PemFiles(string Directory, string CaPath, string ServerCertificatePath, string ServerKeyPath);
}
