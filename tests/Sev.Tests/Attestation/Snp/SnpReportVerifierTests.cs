using System.Buffers.Binary;
using Sev.Attestation.Snp;

namespace Sev.Tests.Attestation.Snp;

/// <summary>The verifier's checks behind the signature, on validly signed reports of a fake AMD chain.</summary>
public sealed class SnpReportVerifierTests : IDisposable
{
    private static readonly byte[] Nonce = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
    private static readonly byte[] Measurement = Enumerable.Range(0, 48).Select(i => (byte)(0xA0 + i)).ToArray();
    private readonly FakeAmdKeyChain _chain = FakeAmdKeyChain.Create();

    private static SnpExpectations Expected => new() { ReportData = Nonce, Policy = 0x30000, AcceptedMeasurements = [Measurement] };

    [Fact]
    public void A_report_as_expected_verifies_and_names_the_accepted_measurement()
    {
        var other = new byte[48];

        var verdict = Verify(_chain.SignedReport(Nonce, Measurement), Expected with { AcceptedMeasurements = [other, Measurement] });

        Assert.Equal(1, verdict.MeasurementIndex);
        Assert.Equal(FakeAmdKeyChain.Tcb, verdict.ReportedTcb);
    }

    [Fact]
    public void A_signed_report_of_another_chip_is_refused()
    {
        var e = Refused(_chain.SignedReport(Nonce, Measurement, r => r[0x1A0] ^= 0xFF));

        Assert.Equal(SnpCheck.ChipId, e.Check);
        Assert.Contains("hwID", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_masked_chip_id_is_refused()
    {
        var e = Refused(_chain.SignedReport(Nonce, Measurement, r => r[0x48] |= 0x2));

        Assert.Equal(SnpCheck.ChipId, e.Check);
        Assert.Contains("MASK_CHIP_ID", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reported_TCB_that_is_not_the_VCEKs_is_refused()
    {
        var newer = FakeAmdKeyChain.Tcb with { Snp = 9 };

        var e = Refused(_chain.SignedReport(Nonce, Measurement, r => BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(0x180), FakeAmdKeyChain.MilanTcb(newer))));

        Assert.Equal(SnpCheck.Tcb, e.Check);
        Assert.Contains("snp 9", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_TCB_below_the_configured_floor_is_refused()
    {
        var e = Refused(_chain.SignedReport(Nonce, Measurement), Expected with { MinimumTcb = FakeAmdKeyChain.Tcb with { Microcode = 200 } });

        Assert.Equal(SnpCheck.Tcb, e.Check);
        Assert.Contains("minimum", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_debuggable_guest_is_refused_even_when_that_policy_was_expected()
    {
        const ulong debug = 0x30000 | SnpReportVerifier.DebugPolicyBit;

        var e = Refused(_chain.SignedReport(Nonce, Measurement, r => BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(0x08), debug)), Expected with { Policy = debug });

        Assert.Equal(SnpCheck.Policy, e.Check);
        Assert.Contains("debugging", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_report_of_another_VMPL_is_refused()
    {
        var e = Refused(_chain.SignedReport(Nonce, Measurement, r => r[0x30] = 2));

        Assert.Equal(SnpCheck.Vmpl, e.Check);
    }

    [Fact]
    public void A_VLEK_signed_report_is_refused_naming_the_key_kind()
    {
        var e = Refused(_chain.SignedReport(Nonce, Measurement, r => r[0x48] |= 1 << 2));

        Assert.Equal(SnpCheck.Signature, e.Check);
        Assert.Contains("VLEK", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_report_signed_by_another_chains_VCEK_fails_the_signature()
    {
        using var other = FakeAmdKeyChain.Create();

        var e = Refused(other.SignedReport(Nonce, Measurement));

        Assert.Equal(SnpCheck.Signature, e.Check);
    }

    [Fact]
    public void Turin_TCBs_are_read_in_Turins_layout()
    {
        // fmc 1, bootloader 2, tee 3, snp 4 in bytes 0..3, microcode 5 in byte 7.
        var tcb = SnpTcb.Decode(0x0500000004030201, SnpTcbLayout.Turin);

        Assert.Equal(new SnpTcb(BootLoader: 2, Tee: 3, Snp: 4, Microcode: 5, Fmc: 1), tcb);
        Assert.Equal(new SnpTcb(BootLoader: 1, Tee: 2, Snp: 0, Microcode: 5, Fmc: null), SnpTcb.Decode(0x0500000004030201, SnpTcbLayout.MilanGenoa));
    }

    public void Dispose() => _chain.Dispose();

    private SnpVerdict Verify(byte[] report, SnpExpectations? expected = null) =>
        SnpReportVerifier.Verify(SnpReport.Parse(report), _chain.Certificates, expected ?? Expected, DateTimeOffset.UtcNow);

    private SnpVerificationException Refused(byte[] report, SnpExpectations? expected = null) =>
        Assert.Throws<SnpVerificationException>(() => Verify(report, expected));
}
