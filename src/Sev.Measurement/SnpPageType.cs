namespace Sev.Measurement;

/// <summary>SNP_LAUNCH_UPDATE page types as they appear in PAGE_INFO (SEV.md 4.5; SNP ABI spec, PAGE_INFO).</summary>
public enum SnpPageType : byte
{
    /// <summary>A measured page: contents = SHA-384 of the 4 KiB page.</summary>
    Normal = 1,

    /// <summary>A VMSA page: contents = SHA-384 of the VMSA, GPA = 0xFFFFFFFFF000.</summary>
    Vmsa = 2,

    /// <summary>A zeroed page: contents = 48 zero bytes.</summary>
    Zero = 3,

    /// <summary>An unmeasured page: contents = 48 zero bytes.</summary>
    Unmeasured = 4,

    /// <summary>The secrets page: contents = 48 zero bytes.</summary>
    Secrets = 5,

    /// <summary>The CPUID page: contents = 48 zero bytes.</summary>
    Cpuid = 6,
}
