using TestSupport;

namespace Sev.Measurement.Tests;

/// <summary>Paths of the shared, read-only vector files (provenance in vectors/README.md).</summary>
internal static class VectorFiles
{
    public static string Root => RepoPaths.Vectors;

    /// <summary>Last 4 KiB of an edk2-stable202405 AmdSevX64 OVMF.fd (sev-snp-measure tests/fixtures).</summary>
    public static string OvmfAmdSev => Path.Combine(Root, "sev-snp-measure", "ovmf_AmdSev_suffix.bin");

    /// <summary>Last 4 KiB of an edk2-stable202405 OvmfPkgX64 build (hashes table 0/0).</summary>
    public static string OvmfX64 => Path.Combine(Root, "sev-snp-measure", "ovmf_OvmfX64_suffix.bin");

    /// <summary>Last 4 KiB of a RHEL9 AmdSev build (sevctl tests/data), no SNP metadata.</summary>
    public static string SevctlOvmf => Path.Combine(Root, "sevctl", "OVMF.amdsev.fd_trimmed_edk2-ovmf-20220126gitbb1bba3d77-4.el9");

    public static string Sevctl(params string[] parts) => Path.Combine([Root, "sevctl", .. parts]);

    public static string Resolve(string relative) => Path.Combine(Root, relative);
}
