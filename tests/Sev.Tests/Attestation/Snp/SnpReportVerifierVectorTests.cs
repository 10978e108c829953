using Sev.Attestation.Snp;

namespace Sev.Tests.Attestation.Snp;

/// <summary>The verifier on the published Milan report, whole and with each input altered.</summary>
public sealed class SnpReportVerifierVectorTests
{
    [Fact]
    public void The_published_Milan_report_verifies_under_its_AMD_chain()
    {
        var report = SnpReport.Parse(MilanVectors.ReportBytes());

        var verdict = SnpReportVerifier.Verify(report, MilanVectors.Certificates(), MilanVectors.Expectations(report), MilanVectors.During);

        Assert.Equal("Milan-B0", verdict.Vcek.ProductName);
        Assert.Equal(SnpTcbLayout.MilanGenoa, verdict.Vcek.Layout);
        Assert.Equal(verdict.Vcek.Tcb, verdict.ReportedTcb);
        Assert.StartsWith("7a1e5c26", Convert.ToHexStringLower(report.Measurement.Span), StringComparison.Ordinal);
        Assert.EndsWith("841f", Convert.ToHexStringLower(report.Measurement.Span), StringComparison.Ordinal);
        Assert.Equal(0x30000UL, report.Policy);
        Assert.Equal(0, verdict.MeasurementIndex);
    }

    [Fact]
    public void The_KDS_cert_chain_file_gives_the_ASK_then_the_ARK()
    {
        var chain = AmdCertificate.Load(MilanVectors.ChainPem);

        Assert.Equal(["SEV-Milan", "ARK-Milan"], chain.Select(c => c.SubjectCommonName));
        var report = SnpReport.Parse(MilanVectors.ReportBytes());
        _ = SnpReportVerifier.Verify(report, new SnpCertificates(chain[1], chain[0], MilanVectors.Vcek()), MilanVectors.Expectations(report), MilanVectors.During);
    }

    [Theory]
    [InlineData(0x2A0, "signature byte")]
    [InlineData(0x90, "measurement byte")]
    [InlineData(0x08, "policy byte")]
    [InlineData(0x1A0, "chip id byte")]
    [InlineData(0x50, "report data byte")]
    public void A_report_altered_anywhere_it_is_signed_fails_the_signature(int offset, string what)
    {
        var bytes = MilanVectors.ReportBytes();
        var original = SnpReport.Parse(bytes);
        bytes[offset] ^= 0x01;
        var altered = SnpReport.Parse(bytes);

        var e = Assert.Throws<SnpVerificationException>(() =>
            SnpReportVerifier.Verify(altered, MilanVectors.Certificates(), MilanVectors.Expectations(original), MilanVectors.During));

        Assert.True(e.Check == SnpCheck.Signature, $"{what}: {e.Check}: {e.Message}");
    }

    [Fact]
    public void Another_expected_measurement_is_refused_naming_both()
    {
        var report = SnpReport.Parse(MilanVectors.ReportBytes());
        var other = new byte[48];
        other[0] = 0xAB;

        var e = Assert.Throws<SnpVerificationException>(() => SnpReportVerifier.Verify(
            report, MilanVectors.Certificates(), MilanVectors.Expectations(report) with { AcceptedMeasurements = [other] }, MilanVectors.During));

        Assert.Equal(SnpCheck.Measurement, e.Check);
        Assert.Contains("7a1e5c26", e.Message, StringComparison.Ordinal);
        Assert.Contains("ab0000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_launch_policy_is_refused()
    {
        var report = SnpReport.Parse(MilanVectors.ReportBytes());

        var e = Assert.Throws<SnpVerificationException>(() => SnpReportVerifier.Verify(
            report, MilanVectors.Certificates(), MilanVectors.Expectations(report) with { Policy = 0x30001 }, MilanVectors.During));

        Assert.Equal(SnpCheck.Policy, e.Check);
        Assert.Contains("0x30000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_nonce_is_refused_as_a_replay()
    {
        var report = SnpReport.Parse(MilanVectors.ReportBytes());

        var e = Assert.Throws<SnpVerificationException>(() => SnpReportVerifier.Verify(
            report, MilanVectors.Certificates(), MilanVectors.Expectations(report) with { ReportData = new byte[64] }, MilanVectors.During));

        Assert.Equal(SnpCheck.ReportData, e.Check);
    }

    [Fact]
    public void The_ARK_in_place_of_the_ASK_breaks_the_chain_at_the_VCEK()
    {
        var report = SnpReport.Parse(MilanVectors.ReportBytes());
        var ark = MilanVectors.Ark();

        var e = Assert.Throws<SnpVerificationException>(() => SnpReportVerifier.Verify(
            report, new SnpCertificates(ark, ark, MilanVectors.Vcek()), MilanVectors.Expectations(report), MilanVectors.During));

        Assert.Equal(SnpCheck.Chain, e.Check);
        Assert.Contains("SEV-VCEK", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ASK_of_another_root_is_refused()
    {
        var report = SnpReport.Parse(MilanVectors.ReportBytes());
        var foreign = FakeAmdKeyChain.Create();

        var e = Assert.Throws<SnpVerificationException>(() => SnpReportVerifier.Verify(
            report, new SnpCertificates(MilanVectors.Ark(), foreign.Certificates.Ask, MilanVectors.Vcek()), MilanVectors.Expectations(report), MilanVectors.During));

        Assert.Equal(SnpCheck.Chain, e.Check);
    }

    [Fact]
    public void A_certificate_outside_its_validity_is_refused()
    {
        var report = SnpReport.Parse(MilanVectors.ReportBytes());

        var e = Assert.Throws<SnpVerificationException>(() => SnpReportVerifier.Verify(
            report, MilanVectors.Certificates(), MilanVectors.Expectations(report), new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero)));

        Assert.Equal(SnpCheck.Chain, e.Check);
        Assert.Contains("SEV-VCEK", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1183)]
    [InlineData(0)]
    [InlineData(1185)]
    public void A_report_of_the_wrong_size_is_a_format_error(int size)
    {
        var e = Assert.Throws<SnpVerificationException>(() => SnpReport.Parse(new byte[size]));

        Assert.Equal(SnpCheck.Format, e.Check);
        Assert.Contains("1184", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_report_with_another_signature_algorithm_is_a_format_error()
    {
        var bytes = MilanVectors.ReportBytes();
        bytes[0x34] = 2;

        var e = Assert.Throws<SnpVerificationException>(() => SnpReport.Parse(bytes));

        Assert.Equal(SnpCheck.Format, e.Check);
    }

    [Fact]
    public void Garbage_in_place_of_a_certificate_names_the_file()
    {
        var e = Assert.Throws<SnpVerificationException>(() => AmdCertificate.FromDer([0x30, 0x03, 0x02, 0x01], "vcek.der"));

        Assert.Equal(SnpCheck.Chain, e.Check);
        Assert.Contains("vcek.der", e.Message, StringComparison.Ordinal);
    }
}
