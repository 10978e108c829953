namespace SevShim.Qemu;

/// <summary>
/// The parts a confidential (SEV, SEV-ES, SEV-SNP) pod adds to the QEMU command line, produced
/// from src/Sev's launch plan (ARCHITECTURE decision 8). The builder only places them: the
/// <c>-machine</c> properties (e.g. <c>confidential-guest-support=sev0</c>), whole extra
/// arguments (the <c>sev-guest</c>/<c>sev-snp-guest</c> object, firmware as pflash or -bios),
/// words appended to the kernel command line (<c>swiotlb=</c>), and whether every virtio device
/// must use the platform IOMMU (<c>iommu_platform=on</c>, so DMA goes through the guest's
/// shared bounce buffers).
/// </summary>
internal sealed record ConfidentialLaunch(
    IReadOnlyList<string> MachineProperties,
    IReadOnlyList<string> Arguments,
    IReadOnlyList<string> KernelParameters,
    bool VirtioIommuPlatform);
