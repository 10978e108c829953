using Sev;

namespace SevShim.Config;

/// <summary>
/// The cross-key rules of [confidential] attestation. "report" is SNP's (SEV.md 6): it needs
/// mode sev-snp and AMD's chain file, and 96-digit launch digests if any. Pre-attestation (SEV.md 2.5, 5.3, 5.5): "pre" is for
/// SEV and SEV-ES (SNP has no QMP launch measurement), needs the guest owner's launch session
/// (session, DH certificate, TIK), and a secret needs the TEK and the GUID the guest reads it
/// under. A key that has no effect is an error too, so a half-done setup never passes silently.
/// </summary>
internal static class AttestationConfigCheck
{
    private static readonly string[] SecretKeys = ["tek_file", "secret_guid"];

    // Attestation "report" (SNP): the mode, the trust anchor, and nothing of pre-attestation's.
    private static IEnumerable<string> CheckReport(ShimConfig c, string source, (string Key, bool IsSet)[] set)
    {
        if (c.Confidential != SevMode.SevSnp)
        {
            yield return $"{source}: key 'confidential.attestation' = \"report\" needs confidential.mode = \"sev-snp\" (SEV and SEV-ES guests have no attestation report: use \"pre\")";
        }

        if (c.AmdChainFile is null)
        {
            yield return $"{source}: key 'confidential.amd_chain_file' is missing: confidential.attestation = \"report\" needs AMD's ASK and ARK for this processor (PEM, AMD KDS's cert_chain, e.g. `snphost fetch ca`)";
        }

        foreach (var (key, _) in set.Where(s => s.IsSet && s.Key != "launch_digests"))
        {
            yield return $"{source}: key 'confidential.{key}' belongs to pre-attestation (\"pre\", SEV and SEV-ES) and has no effect with \"report\"; remove it";
        }

        foreach (var digest in c.LaunchDigests.Where(d => d.Length != 96))
        {
            yield return $"{source}: key 'confidential.launch_digests' holds {digest[..8]}… of {digest.Length} hex digits: SNP measurements are 96 (SHA-384, as `measure --mode snp` prints them)";
        }
    }

    /// <summary>One message per problem, each naming the key and the fix.</summary>
    public static IEnumerable<string> Check(ShimConfig c, string source)
    {
        ArgumentNullException.ThrowIfNull(c);
        var set = new (string Key, bool IsSet)[]
        {
            ("session_file", c.SessionFile is not null),
            ("dh_cert_file", c.DhCertFile is not null),
            ("tik_file", c.TikFile is not null),
            ("tek_file", c.TekFile is not null),
            ("secret_file", c.SecretFile is not null),
            ("secret_guid", c.SecretGuid is not null),
            ("launch_digests", c.LaunchDigests.Count > 0),
        };
        var reportKeys = new (string Key, bool IsSet)[] { ("amd_chain_file", c.AmdChainFile is not null), ("vcek_dir", c.VcekDir is not null) };
        if (c.Attestation != AttestationMode.Report)
        {
            foreach (var (key, _) in reportKeys.Where(s => s.IsSet))
            {
                yield return $"{source}: key 'confidential.{key}' is set but confidential.attestation is \"{ConfigSchema.Format(c.Attestation)}\"; set confidential.attestation = \"report\" (sev-snp) or remove the key";
            }
        }

        if (c.Attestation == AttestationMode.Report)
        {
            foreach (var message in CheckReport(c, source, set))
            {
                yield return message;
            }

            yield break;
        }

        if (c.Attestation == AttestationMode.None)
        {
            foreach (var (key, _) in set.Where(s => s.IsSet))
            {
                yield return $"{source}: key 'confidential.{key}' is set but confidential.attestation is \"none\"; set confidential.attestation = \"pre\" or remove the key";
            }

            yield break;
        }

        foreach (var digest in c.LaunchDigests.Where(d => d.Length != 64))
        {
            yield return $"{source}: key 'confidential.launch_digests' holds {digest[..8]}… of {digest.Length} hex digits: SEV and SEV-ES launch digests are 64 (SHA-256)";
        }

        if (c.Confidential is not (SevMode.Sev or SevMode.SevEs))
        {
            yield return $"{source}: key 'confidential.attestation' = \"pre\" needs confidential.mode = \"sev\" or \"sev-es\" " +
                (c.Confidential == SevMode.None
                    ? "(a pod without encryption has no launch measurement)"
                    : "(SEV-SNP has no QMP launch measurement: verify SNP guests from their attestation report)");
        }

        foreach (var (key, what) in new[]
        {
            ("session_file", "the launch session blob (sevctl session writes NAME_session.b64)"),
            ("dh_cert_file", "the guest owner's DH certificate (NAME_godh.b64)"),
            ("tik_file", "the launch session's TIK, which checks the measurement (NAME_tik.bin)"),
        })
        {
            if (!set.Single(s => s.Key == key).IsSet)
            {
                yield return $"{source}: key 'confidential.{key}' is missing: confidential.attestation = \"pre\" needs {what}";
            }
        }

        if (c.SecretFile is not null)
        {
            if (c.TekFile is null)
            {
                yield return $"{source}: key 'confidential.tek_file' is missing: confidential.secret_file is injected encrypted with the launch session's TEK (NAME_tek.bin)";
            }

            if (c.SecretGuid is null)
            {
                yield return $"{source}: key 'confidential.secret_guid' is missing: name the GUID the guest reads confidential.secret_file under (/sys/kernel/security/secrets/coco/<GUID>)";
            }
        }
        else
        {
            foreach (var key in SecretKeys.Where(k => set.Single(s => s.Key == k).IsSet))
            {
                yield return $"{source}: key 'confidential.{key}' is set but confidential.secret_file is not; add the secret file or remove the key";
            }
        }
    }
}
