namespace Sev.Measurement;

/// <summary>
/// Section types of the OVMF SNP metadata ("ASEV"), as edk2 OvmfPkg/ResetVector OvmfSevMetadata.asm
/// declares them (SEV.md 4.3). Values outside this list can appear in a parsed image and are
/// rejected only when an SNP digest is computed.
/// </summary>
public enum SnpSectionType : uint
{
    /// <summary>Pre-validated memory, measured as ZERO pages.</summary>
    SnpSecMem = 1,

    /// <summary>The SNP secrets page, measured as one SECRETS page.</summary>
    SnpSecrets = 2,

    /// <summary>The CPUID page, measured as one CPUID page.</summary>
    Cpuid = 3,

    /// <summary>The SVSM calling area, measured as ZERO pages.</summary>
    SvsmCaa = 4,

    /// <summary>The page holding the SEV hashes table: a NORMAL page with the table, or ZERO without a kernel.</summary>
    SnpKernelHashes = 0x10,
}
