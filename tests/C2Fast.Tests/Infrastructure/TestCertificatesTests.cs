using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace C2Fast.Tests.Infrastructure;

public sealed class TestCertificatesTests
{
    private static TestCertificates Certificates => TestCertificates.Shared;

    [Fact]
    public void Server_Extensions_HaveSanServerAuthAndNoCa()
    {
        var server = Certificates.Server;

        Assert.True(server.HasPrivateKey);
        Assert.Equal(Certificates.Ca.Subject, server.Issuer);
        var san = Assert.Single(server.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Equal(["localhost"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], san.EnumerateIPAddresses());
        var eku = Assert.Single(server.Extensions.OfType<X509EnhancedKeyUsageExtension>());
        Assert.Equal("1.3.6.1.5.5.7.3.1", Assert.Single(eku.EnhancedKeyUsages.Cast<Oid>()).Value);
        Assert.False(Assert.Single(server.Extensions.OfType<X509BasicConstraintsExtension>()).CertificateAuthority);
        Assert.True(Assert.Single(Certificates.Ca.Extensions.OfType<X509BasicConstraintsExtension>()).CertificateAuthority);
        Assert.False(Certificates.Ca.HasPrivateKey);
    }

    [Fact]
    public void Files_Written_ContainPemOfTheCertificates()
    {
        var files = Certificates.Files;

        Assert.Equal(Certificates.CaPem, File.ReadAllText(files.CaPath));
        using var fromPem = X509Certificate2.CreateFromPemFile(files.ServerCertificatePath, files.ServerKeyPath);
        Assert.Equal(Certificates.Server.Thumbprint, fromPem.Thumbprint);
        Assert.True(fromPem.HasPrivateKey);
    }

    [Fact]
    public void ValidateWithCustomCa_ServerCertificateWithChainError_Accepted()
    {
        var callback = Certificates.ValidateWithTestCa();

        Assert.True(callback(this, Certificates.Server, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void ValidateWithCustomCa_NameMismatch_Rejected()
    {
        var callback = Certificates.ValidateWithTestCa();

        Assert.False(callback(this, Certificates.Server, null, SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(callback(this, null, null, SslPolicyErrors.RemoteCertificateNotAvailable));
    }

    [Fact]
    public void ValidateWithCustomCa_OtherCa_Rejected()
    {
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Other CA", otherKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var otherCa = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        var callback = TestCertificates.ValidateWithCustomCa(otherCa);

        Assert.False(callback(this, Certificates.Server, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void IssueServerCertificate_Expired_RejectedByCallback()
    {
        using var expired = Certificates.IssueServerCertificate("localhost", ["localhost"], [IPAddress.Loopback], DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1));

        Assert.True(expired.HasPrivateKey);
        Assert.False(Certificates.ValidateWithTestCa()(this, expired, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }
}
