namespace SevShim.Confidential;

/// <summary>
/// Reads the guest kernel's memory-encryption boot line (arch/x86/mm/mem_encrypt.c
/// print_mem_encrypt_feature_info; SEV.md 6), which the kernel prints from the SEV_STATUS value
/// it read itself at early boot. Forms: "Memory Encryption Features active: AMD SEV SEV-ES
/// SEV-SNP" (5.19 and later), "AMD Memory Encryption Features active: SEV SEV-ES" (about 5.10),
/// "AMD Secure Encrypted Virtualization (SEV) active" (older).
/// </summary>
internal static class KernelEncryptionLine
{
    private const string FeaturesMarker = "Memory Encryption Features active:";
    private const string LegacySevMarker = "Secure Encrypted Virtualization (SEV) active";

    /// <summary>The features the line names, or null when <paramref name="line"/> is not such a line (or empty).</summary>
    public static GuestSevFeatures? Parse(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return null;
        }

        if (line.Contains(LegacySevMarker, StringComparison.Ordinal))
        {
            return GuestSevFeatures.Sev;
        }

        var at = line.IndexOf(FeaturesMarker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var features = GuestSevFeatures.None;
        foreach (var word in line[(at + FeaturesMarker.Length)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            features |= word switch
            {
                "SEV" => GuestSevFeatures.Sev,
                "SEV-ES" => GuestSevFeatures.SevEs,
                "SEV-SNP" => GuestSevFeatures.Snp,
                _ => GuestSevFeatures.None,
            };
        }

        return features;
    }
}
