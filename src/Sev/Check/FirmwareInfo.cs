namespace Sev.Check;

/// <summary>What the OVMF parser (Sev.Measurement.OvmfImage) found in a firmware file.</summary>
/// <param name="Path">The file inspected.</param>
/// <param name="Length">Its size in bytes.</param>
/// <param name="HasFooterTable">The image has OVMF's GUIDed footer table.</param>
/// <param name="SupportsKernelHashes">It declares a usable SEV hashes table (measured direct boot, kernel-hashes=on).</param>
/// <param name="HasSnpMetadata">It carries SNP metadata (needed to launch SNP guests).</param>
/// <param name="SupportsSnpKernelHashes">Its SNP metadata has the SNP_KERNEL_HASHES section (type 0x10), where QEMU puts the hashes of -kernel/-initrd/-append in an SNP launch.</param>
/// <param name="Error">Why it could not be parsed, or null.</param>
public sealed record FirmwareInfo(string Path, long Length, bool HasFooterTable, bool SupportsKernelHashes, bool HasSnpMetadata, bool SupportsSnpKernelHashes, string? Error);
