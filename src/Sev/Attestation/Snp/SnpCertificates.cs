namespace Sev.Attestation.Snp;

/// <summary>
/// The AMD key chain for one report: the ARK (AMD Root Key, the operator's trust anchor), the ASK
/// (AMD SEV Key, signed by the ARK) and the VCEK (the chip's key at one TCB, signed by the ASK).
/// </summary>
public sealed record SnpCertificates(AmdCertificate Ark, AmdCertificate Ask, AmdCertificate Vcek)
{
    /// <summary>
    /// ARK self-signed, ASK under ARK, VCEK under ASK, each valid at <paramref name="now"/>, and
    /// the VCEK's facts. Throws a <see cref="SnpCheck.Chain"/> refusal naming the link that failed.
    /// </summary>
    public VcekFacts Verify(DateTimeOffset now)
    {
        Ark.VerifySignedBy(Ark);
        Ask.VerifySignedBy(Ark);
        Vcek.VerifySignedBy(Ask);
        foreach (var certificate in new[] { Ark, Ask, Vcek })
        {
            certificate.CheckValidAt(now);
        }

        return VcekFacts.From(Vcek);
    }
}
