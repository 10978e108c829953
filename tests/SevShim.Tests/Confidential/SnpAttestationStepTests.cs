using System.Buffers.Binary;
using System.Text.Json;
using Serilog.Core;
using Sev.Attestation.Snp;
using Sev.Tests.Attestation.Snp;
using SevShim.Agent;
using SevShim.Confidential;
using SevShim.Errors;
using TestSupport;

namespace SevShim.Tests.Confidential;

/// <summary>
/// The sandbox's SNP attestation step against a fake agent (<see cref="FakeGuestAgent"/>) whose
/// reports a fake AMD chain signs (<see cref="FakeAmdKeyChain"/>) for the nonce the step chose.
/// </summary>
public sealed class SnpAttestationStepTests : IDisposable
{
    private static readonly byte[] Measurement = Enumerable.Range(0, 48).Select(i => (byte)(0x10 + i)).ToArray();
    private readonly FakeAmdKeyChain _chain = FakeAmdKeyChain.Create();
    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("sevshim-snp-");

    [Fact]
    public async Task A_report_for_the_nonce_with_the_hosts_VCEK_verifies_and_is_recorded_0600()
    {
        byte[]? asked = null;
        using var agent = new FakeGuestAgent
        {
            AttestationAnswer = nonce => new GuestAttestationReport(
                _chain.SignedReport((asked = nonce.ToArray()), Measurement), Table(_chain.Certificates.Vcek.Der.ToArray()), "sev_guest"),
        };

        var verdict = await SnpAttestationStep.RunAsync(Request([]), agent, _state.FullName, TimeProvider.System, Logger.None, CancellationToken.None);

        Assert.NotNull(asked);
        Assert.Equal(64, asked.Length);
        Assert.Equal(asked, verdict.Report.ReportData.ToArray());
        var record = Path.Combine(_state.FullName, SnpAttestationStep.RecordFileName);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(record));
        using var json = JsonDocument.Parse(File.ReadAllText(record));
        Assert.Equal(Convert.ToHexStringLower(Measurement), json.RootElement.GetProperty("measurement").GetString());
        Assert.Equal("0x30000", json.RootElement.GetProperty("policy").GetString());
        Assert.Equal("host certificate table", json.RootElement.GetProperty("vcek_source").GetString());
        Assert.Equal(SnpReport.Size, Convert.FromBase64String(json.RootElement.GetProperty("report").GetString()!).Length);
    }

    [Fact]
    public async Task Without_a_host_table_the_VCEK_comes_from_the_folder_matching_chip_TCB_and_ASK()
    {
        using var other = FakeAmdKeyChain.Create();
        using var agent = new FakeGuestAgent { AttestationAnswer = nonce => new GuestAttestationReport(_chain.SignedReport(nonce.Span, Measurement), [], "sev_guest") };

        // The other chain's VCEK is for the same chip id and TCB, first in the folder, but not issued by our ASK.
        var verdict = await SnpAttestationStep.RunAsync(Request([other.Certificates.Vcek, _chain.Certificates.Vcek]), agent, _state.FullName, TimeProvider.System, Logger.None, CancellationToken.None);

        Assert.Equal(0, verdict.MeasurementIndex);
    }

    [Fact]
    public async Task No_VCEK_anywhere_is_refused_naming_both_sources()
    {
        using var agent = new FakeGuestAgent { AttestationAnswer = nonce => new GuestAttestationReport(_chain.SignedReport(nonce.Span, Measurement), [], "sev_guest") };

        var e = await Assert.ThrowsAsync<ShimException>(() => SnpAttestationStep.RunAsync(Request([]), agent, _state.FullName, TimeProvider.System, Logger.None, CancellationToken.None));

        Assert.Equal(ShimErrorKind.FailedPrecondition, e.Kind);
        Assert.Contains("snphost import", e.Message, StringComparison.Ordinal);
        Assert.Contains("confidential.vcek_dir", e.Message, StringComparison.Ordinal);
        Assert.Empty(_state.GetFiles());
    }

    [Fact]
    public async Task Another_measurement_is_refused_and_nothing_is_recorded()
    {
        var booted = Measurement.ToArray();
        booted[0] ^= 0xFF;
        using var agent = new FakeGuestAgent { AttestationAnswer = nonce => new GuestAttestationReport(_chain.SignedReport(nonce.Span, booted), [], "sev_guest") };

        var e = await Assert.ThrowsAsync<ShimException>(() =>
            SnpAttestationStep.RunAsync(Request([_chain.Certificates.Vcek]), agent, _state.FullName, TimeProvider.System, Logger.None, CancellationToken.None));

        Assert.Contains("(Measurement)", e.Message, StringComparison.Ordinal);
        Assert.Empty(_state.GetFiles());
    }

    [Fact]
    public async Task A_replayed_report_of_the_published_vector_fails_the_nonce()
    {
        var dir = Path.Combine(RepoPaths.Vectors, "virtee-sev");
        var report = Convert.FromHexString(File.ReadAllText(Path.Combine(dir, "tests_certs_data_report_milan.hex")).Trim());
        var parsed = SnpReport.Parse(report);
        var request = new SnpAttestationRequest(
            AmdCertificate.Load(Path.Combine(dir, "src_certs_snp_builtin_milan_ark.pem")).Single(),
            AmdCertificate.Load(Path.Combine(dir, "src_certs_snp_builtin_milan_ask.pem")).Single(),
            AmdCertificate.Load(Path.Combine(dir, "tests_certs_data_vcek_milan.der")),
            [parsed.Measurement],
            0x30000);
        using var agent = new FakeGuestAgent { AttestationAnswer = _ => new GuestAttestationReport(report, [], "sev_guest") };

        var e = await Assert.ThrowsAsync<ShimException>(() => SnpAttestationStep.RunAsync(
            request, agent, _state.FullName, new FixedTime(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero)), Logger.None, CancellationToken.None));

        Assert.Contains("(ReportData)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_table_entry_pointing_outside_the_table_is_refused()
    {
        var table = Table(new byte[8]);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(20), 4096);

        var e = Assert.Throws<SnpVerificationException>(() => SnpCertificateTable.Parse(table));

        Assert.Equal(SnpCheck.Chain, e.Check);
        Assert.Contains("outside the table", e.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _chain.Dispose();
        _state.Delete(recursive: true);
    }

    // One VCEK entry, the terminator, then the certificate (GHCB certificate table layout).
    private static byte[] Table(byte[] vcek)
    {
        var table = new byte[48 + vcek.Length];
        SnpCertificateTable.Vcek.TryWriteBytes(table);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(16), 48);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(20), (uint)vcek.Length);
        vcek.CopyTo(table, 48);
        return table;
    }

    private SnpAttestationRequest Request(IReadOnlyList<AmdCertificate> folder) =>
        new(_chain.Certificates.Ark, _chain.Certificates.Ask, folder, [Measurement], 0x30000);

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
