using Sev.Attestation.Snp;

namespace SevShim.Confidential;

/// <summary>
/// What an SNP pod's report is checked against, read before the VM starts: the operator's ARK
/// (the trust anchor) and ASK, the VCEKs of confidential.vcek_dir, the accepted measurements and
/// the launch policy. Public material only: nothing here needs wiping.
/// </summary>
internal sealed record SnpAttestationRequest(
    AmdCertificate Ark, AmdCertificate Ask, IReadOnlyList<AmdCertificate> VcekFolder, IReadOnlyList<ReadOnlyMemory<byte>> AcceptedMeasurements, ulong Policy)
{
    /// <summary>
    /// The chain for <paramref name="report"/>: the VCEK whose hwID and TCB are the report's and
    /// that the ASK signed, looked for in the host's certificate table first and then in the folder. When none matches,
    /// the first one found, so verification names the mismatch; when there is none, a refusal.
    /// </summary>
    public SnpCertificates ChooseCertificates(SnpReport report, IReadOnlyDictionary<Guid, byte[]> hostTable)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(hostTable);
        var candidates = new List<AmdCertificate>();
        if (hostTable.TryGetValue(SnpCertificateTable.Vcek, out var der))
        {
            candidates.Add(AmdCertificate.FromDer(der, "the host's VCEK (certificate table)"));
        }

        candidates.AddRange(VcekFolder);
        if (candidates.Count == 0)
        {
            throw new SnpVerificationException(SnpCheck.Chain,
                $"no VCEK for chip {Convert.ToHexStringLower(report.ChipId.Span)}: the host supplied none with the report (load it with `snphost import`) and confidential.vcek_dir is unset");
        }

        var match = candidates.FirstOrDefault(c => Matches(c, report));
        return new SnpCertificates(Ark, Ask, match ?? candidates[0]);
    }

    // For this chip at this TCB, and issued by our ASK (a folder may hold another chain's VCEK).
    private bool Matches(AmdCertificate candidate, SnpReport report)
    {
        try
        {
            var facts = VcekFacts.From(candidate);
            if (!facts.HardwareId.Span.SequenceEqual(report.ChipId.Span) || SnpTcb.Decode(report.ReportedTcb, facts.Layout) != facts.Tcb)
            {
                return false;
            }

            candidate.VerifySignedBy(Ask);
            return true;
        }
        catch (SnpVerificationException)
        {
            return false;
        }
    }
}
