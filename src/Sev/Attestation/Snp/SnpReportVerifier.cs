using System.Security.Cryptography;

namespace Sev.Attestation.Snp;

/// <summary>
/// Verifies an SNP attestation report (SEV.md 6): the AMD chain ARK → ASK → VCEK, the report's
/// ECDSA P-384 signature under the VCEK, that the VCEK belongs to the reporting chip (hwID =
/// CHIP_ID) at the reported TCB, and then the verifier's expectations: the nonce in REPORT_DATA,
/// the VMPL, the launch policy (debugging is refused whatever was asked), the measurement, and an
/// optional TCB floor. The first failure throws a <see cref="SnpVerificationException"/> naming
/// its <see cref="SnpCheck"/>, what was expected and what was seen.
/// </summary>
public static class SnpReportVerifier
{
    /// <summary>SNP policy bit 19: the hypervisor may debug the guest (read and write its memory).</summary>
    public const ulong DebugPolicyBit = 1UL << 19;

    /// <summary>Runs every check at time <paramref name="now"/> (certificate validity).</summary>
    public static SnpVerdict Verify(SnpReport report, SnpCertificates certificates, SnpExpectations expected, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(certificates);
        ArgumentNullException.ThrowIfNull(expected);
        var vcek = certificates.Verify(now);
        if (report.SigningKey != 0)
        {
            throw new SnpVerificationException(SnpCheck.Signature, $"the report is signed with key kind {report.SigningKey} (1 VLEK, 7 none); only VCEK-signed reports are verified");
        }

        VerifySignature(report, certificates.Vcek);

        if (report.ChipIdMasked || !report.ChipId.Span.SequenceEqual(vcek.HardwareId.Span))
        {
            throw new SnpVerificationException(SnpCheck.ChipId, report.ChipIdMasked
                ? "the report's chip id is masked (MASK_CHIP_ID): it cannot be bound to the VCEK; launch without masking"
                : $"the report's chip id {Hex(report.ChipId)} is not the VCEK's hwID {Hex(vcek.HardwareId)}: the VCEK is another chip's");
        }

        var reported = SnpTcb.Decode(report.ReportedTcb, vcek.Layout);
        if (reported != vcek.Tcb)
        {
            throw new SnpVerificationException(SnpCheck.Tcb, $"the reported TCB ({reported}) is not the VCEK's ({vcek.Tcb}): fetch the VCEK for this TCB");
        }

        if (expected.MinimumTcb is { } floor && !reported.AtLeast(floor))
        {
            throw new SnpVerificationException(SnpCheck.Tcb, $"the reported TCB ({reported}) is below the required minimum ({floor}): update the host's SEV firmware or microcode");
        }

        if (!CryptographicOperations.FixedTimeEquals(report.ReportData.Span, expected.ReportData.Span))
        {
            throw new SnpVerificationException(SnpCheck.ReportData, $"the report data {Hex(report.ReportData)} is not the nonce {Hex(expected.ReportData)}: a replayed or foreign report");
        }

        if (report.Vmpl != expected.Vmpl)
        {
            throw new SnpVerificationException(SnpCheck.Vmpl, $"the report was requested at VMPL {report.Vmpl}, expected {expected.Vmpl}");
        }

        if ((report.Policy & DebugPolicyBit) != 0)
        {
            throw new SnpVerificationException(SnpCheck.Policy, $"the guest policy {Launch.SevPolicy.Hex(report.Policy)} allows debugging (bit 19): the host could read the guest's memory");
        }

        if (report.Policy != expected.Policy)
        {
            throw new SnpVerificationException(SnpCheck.Policy, $"the guest policy {Launch.SevPolicy.Hex(report.Policy)} is not the launch policy {Launch.SevPolicy.Hex(expected.Policy)}");
        }

        for (var i = 0; i < expected.AcceptedMeasurements.Count; i++)
        {
            if (report.Measurement.Span.SequenceEqual(expected.AcceptedMeasurements[i].Span))
            {
                return new SnpVerdict(report, vcek, reported, i);
            }
        }

        throw new SnpVerificationException(SnpCheck.Measurement,
            $"the launch measurement {Hex(report.Measurement)} is none of the expected ({string.Join(", ", expected.AcceptedMeasurements.Select(Hex))}): the firmware, kernel, initrd or command line is not what was configured");
    }

    private static void VerifySignature(SnpReport report, AmdCertificate vcek)
    {
        bool valid;
        try
        {
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(vcek.SubjectPublicKeyInfo.Span, out _);
            if (key.KeySize != 384)
            {
                throw new SnpVerificationException(SnpCheck.Chain, $"the VCEK's key is {key.KeySize}-bit, not P-384");
            }

            valid = key.VerifyData(report.SignedBytes.Span, report.SignatureP1363.Span, HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException ex)
        {
            throw new SnpVerificationException(SnpCheck.Chain, $"the VCEK's key is not an EC P-384 key: {ex.Message}", ex);
        }

        if (!valid)
        {
            throw new SnpVerificationException(SnpCheck.Signature, "the report's signature does not verify under the VCEK: the report was altered or signed by another chip");
        }
    }

    private static string Hex(ReadOnlyMemory<byte> bytes) => Convert.ToHexStringLower(bytes.Span);
}
