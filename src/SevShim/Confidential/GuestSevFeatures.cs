namespace SevShim.Confidential;

/// <summary>
/// The memory-encryption features a guest reports as active, with the bits of the SEV_STATUS
/// MSR 0xc0010131 (bit 0 SEV, bit 1 SEV-ES, bit 2 SNP; SEV.md 6).
/// </summary>
[Flags]
internal enum GuestSevFeatures
{
    /// <summary>No encryption.</summary>
    None = 0,

    /// <summary>SEV: memory encrypted.</summary>
    Sev = 1,

    /// <summary>SEV-ES: register state encrypted too.</summary>
    SevEs = 2,

    /// <summary>SEV-SNP: with integrity protection.</summary>
    Snp = 4,
}
