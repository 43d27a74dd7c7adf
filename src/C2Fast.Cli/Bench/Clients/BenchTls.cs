using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace C2Fast.Cli.Bench.Clients;

/// <summary>Certificate validation for the bench clients: the simulator's CA only, host name checked, never "accept all".</summary>
internal static class BenchTls
{
    /// <summary>A callback that accepts a server certificate only if it chains to <paramref name="ca"/> and names the host.</summary>
    public static RemoteCertificateValidationCallback Trusting(X509Certificate2 ca)
    {
        ArgumentNullException.ThrowIfNull(ca);
        return (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0 || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            using X509Certificate2 server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return chain.Build(server);
        };
    }
}
