using Sev.Attestation.Snp;
using TestSupport;

namespace Sev.Tests.Attestation.Snp;

/// <summary>
/// The published Milan report and its AMD chain (tests/vectors/virtee-sev, provenance in
/// tests/vectors/README.md): a real report of policy 0x30000 signed by a real VCEK.
/// </summary>
internal static class MilanVectors
{
    /// <summary>A date inside every certificate's validity (the VCEK's runs 2023-04-03 to 2030-04-03).</summary>
    public static readonly DateTimeOffset During = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static string Dir => Path.Combine(RepoPaths.Vectors, "virtee-sev");

    public static byte[] ReportBytes() => Convert.FromHexString(File.ReadAllText(Path.Combine(Dir, "tests_certs_data_report_milan.hex")).Trim());

    public static AmdCertificate Ark() => AmdCertificate.Load(Path.Combine(Dir, "src_certs_snp_builtin_milan_ark.pem")).Single();

    public static AmdCertificate Ask() => AmdCertificate.Load(Path.Combine(Dir, "src_certs_snp_builtin_milan_ask.pem")).Single();

    public static AmdCertificate Vcek() => AmdCertificate.Load(Path.Combine(Dir, "tests_certs_data_vcek_milan.der")).Single();

    public static string ChainPem => Path.Combine(Dir, "tests_certs_data_cert_chain_milan");

    public static SnpCertificates Certificates() => new(Ark(), Ask(), Vcek());

    /// <summary>Expectations the vector meets: its own report data and measurement, policy 0x30000.</summary>
    public static SnpExpectations Expectations(SnpReport report) => new()
    {
        ReportData = report.ReportData,
        Policy = 0x30000,
        AcceptedMeasurements = [report.Measurement],
    };
}
