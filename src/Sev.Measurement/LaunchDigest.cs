using System.Security.Cryptography;

namespace Sev.Measurement;

/// <summary>
/// Expected launch digests for QEMU guests (SEV.md 4.1, 4.2, 4.4, 4.5), the values
/// sev-snp-measure prints for <c>--mode sev|seves|snp</c>. SEV and SEV-ES give GCTX.LD
/// (SHA-256), the input of the LAUNCH_MEASURE HMAC (<see cref="LaunchMeasure"/>); SNP gives the
/// 48-byte MEASUREMENT of the attestation report.
/// </summary>
public static class LaunchDigest
{
    /// <summary>Most vCPUs accepted; QEMU's own limit for q35 is in this range.</summary>
    public const int MaxVcpus = 4096;

    /// <summary>
    /// SEV: SHA-256(firmware ‖ padded hashes table). The table is measured only with a kernel
    /// (QEMU -kernel with kernel-hashes=on).
    /// </summary>
    public static byte[] Sev(OvmfImage ovmf, KernelHashes? hashes)
    {
        ArgumentNullException.ThrowIfNull(ovmf);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendFirmwareAndTable(sha, ovmf, hashes);
        return sha.GetHashAndReset();
    }

    /// <summary>
    /// SEV-ES: SHA-256(firmware ‖ padded hashes table ‖ VMSA of vCPU 0 … N−1). SEV_FEATURES is 0;
    /// APs start at the firmware's SEV-ES reset block address.
    /// </summary>
    public static byte[] SevEs(OvmfImage ovmf, KernelHashes? hashes, int vcpus, uint vcpuSignature, VmsaStyle style)
    {
        ArgumentNullException.ThrowIfNull(ovmf);
        CheckVcpus(vcpus);
        var apEip = RequireResetAddress(ovmf, "SEV-ES");
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendFirmwareAndTable(sha, ovmf, hashes);
        foreach (var vmsa in VmsaBuilder.BuildAll(vcpus, apEip, vcpuSignature, 0, style))
        {
            sha.AppendData(vmsa);
        }

        return sha.GetHashAndReset();
    }

    /// <summary>The SNP "OVMF hash": the launch digest after the firmware pages alone.</summary>
    public static byte[] SnpOvmfHash(OvmfImage ovmf)
    {
        ArgumentNullException.ThrowIfNull(ovmf);
        var gctx = new SnpGuestContext();
        MeasureFirmware(gctx, ovmf);
        return gctx.Digest;
    }

    /// <summary>
    /// SNP: the PAGE_INFO chain over (1) every firmware page as NORMAL at 4 GiB − len + offset,
    /// (2) the SNP metadata sections in table order, (3) one VMSA per vCPU (KVM_SEV_INIT2 style,
    /// SEV_FEATURES = <paramref name="guestFeatures"/>).
    /// </summary>
    /// <param name="ovmf">The firmware given to QEMU with -bios.</param>
    /// <param name="hashes">Kernel hashes, or null without -kernel (the hashes page is then a ZERO page).</param>
    /// <param name="vcpus">Number of vCPUs.</param>
    /// <param name="vcpuSignature">CPUID signature of the -cpu model.</param>
    /// <param name="guestFeatures">VMSA SEV_FEATURES: 0x1 on host kernels 6.8+, 0x21 on 6.6–6.7.</param>
    /// <param name="ovmfHash">Optional precomputed <see cref="SnpOvmfHash"/>; the firmware pages are then not hashed.</param>
    public static byte[] Snp(OvmfImage ovmf, KernelHashes? hashes, int vcpus, uint vcpuSignature, ulong guestFeatures, ReadOnlySpan<byte> ovmfHash = default)
    {
        ArgumentNullException.ThrowIfNull(ovmf);
        CheckVcpus(vcpus);
        var apEip = RequireResetAddress(ovmf, "SEV-SNP");
        SnpGuestContext gctx;
        if (ovmfHash.IsEmpty)
        {
            gctx = new SnpGuestContext();
            MeasureFirmware(gctx, ovmf);
        }
        else
        {
            gctx = new SnpGuestContext(ovmfHash);
        }

        MeasureSnpSections(gctx, ovmf, hashes);
        foreach (var vmsa in VmsaBuilder.BuildAll(vcpus, apEip, vcpuSignature, guestFeatures, VmsaStyle.Init2))
        {
            gctx.UpdateVmsaPage(vmsa);
        }

        return gctx.Digest;
    }

    private static void MeasureFirmware(SnpGuestContext gctx, OvmfImage ovmf)
    {
        if (ovmf.Length % SnpGuestContext.PageSize != 0)
        {
            throw new MeasurementException(
                $"the firmware is {ovmf.Length} bytes, not a multiple of 4096, so QEMU cannot map it for SEV-SNP: pass the complete OVMF.fd");
        }

        gctx.UpdateNormalPages(ovmf.Gpa, ovmf.Data.Span);
    }

    private static void MeasureSnpSections(SnpGuestContext gctx, OvmfImage ovmf, KernelHashes? hashes)
    {
        var hasHashesSection = false;
        foreach (var section in ovmf.SnpSections)
        {
            switch (section.Type)
            {
                case SnpSectionType.SnpSecMem:
                case SnpSectionType.SvsmCaa:
                    gctx.UpdateEmptyPages(SnpPageType.Zero, section.Gpa, SectionSize(section));
                    break;
                case SnpSectionType.SnpSecrets:
                    gctx.UpdateEmptyPage(SnpPageType.Secrets, section.Gpa);
                    break;
                case SnpSectionType.Cpuid:
                    gctx.UpdateEmptyPage(SnpPageType.Cpuid, section.Gpa);
                    break;
                case SnpSectionType.SnpKernelHashes:
                    hasHashesSection = true;
                    MeasureHashesSection(gctx, ovmf, hashes, section);
                    break;
                default:
                    throw new MeasurementException(
                        $"the firmware's SNP metadata has a section of unknown type 0x{(uint)section.Type:x} at 0x{section.Gpa:x}: this OVMF build is newer than this tool knows");
            }
        }

        if (hashes is not null && !hasHashesSection)
        {
            // An AmdSev build of edk2 2022.11 or older (Debian 12's, for one) has the SEV hashes
            // table in its footer but SNP metadata from before the SNP_KERNEL_HASHES section
            // (type 0x10): QEMU has nowhere to put the hashes in an SNP launch. Pointing such a
            // user at "the AmdSev build" would send them back to the firmware they have.
            throw new MeasurementException(ovmf.SupportsKernelHashes
                ? "Kernel specified but OVMF metadata doesn't include SNP_KERNEL_HASHES section: this AmdSev build has the SEV hashes table (sev and sev-es can measure -kernel) but SNP metadata from before that section (type 0x10, edk2 2022.11 and older, e.g. Debian 12's edk2): use an AmdSev build of a newer edk2 (2025.02 has it; sevshim's scripts/build-firmware.sh builds Debian 13's) for SEV-SNP measured direct boot, or measure without --kernel"
                : "Kernel specified but OVMF metadata doesn't include SNP_KERNEL_HASHES section: use the OvmfPkg/AmdSev build for measured direct boot, or measure without --kernel");
        }
    }

    private static void MeasureHashesSection(SnpGuestContext gctx, OvmfImage ovmf, KernelHashes? hashes, SnpMetadataSection section)
    {
        if (hashes is null)
        {
            gctx.UpdateEmptyPages(SnpPageType.Zero, section.Gpa, SectionSize(section));
            return;
        }

        if (ovmf.HashesTableArea is not { } area)
        {
            throw new MeasurementException(
                "the firmware has an SNP_KERNEL_HASHES section but no SEV hashes table entry (7255371f-…) in its footer table: the OVMF image is inconsistent");
        }

        if (section.Size != SnpGuestContext.PageSize)
        {
            throw new MeasurementException(
                $"the firmware's SNP_KERNEL_HASHES section is 0x{section.Size:x} bytes; QEMU places the hashes table in exactly one 4 KiB page");
        }

        var page = SevHashTable.BuildPage(hashes.ToTable(), (int)(area.Base & 0xFFF));
        gctx.UpdateNormalPages(section.Gpa, page);
    }

    private static long SectionSize(SnpMetadataSection section)
    {
        if (section.Size % SnpGuestContext.PageSize != 0)
        {
            throw new MeasurementException(
                $"the firmware's SNP metadata section at 0x{section.Gpa:x} is 0x{section.Size:x} bytes, not whole 4 KiB pages: the OVMF image is corrupt");
        }

        return section.Size;
    }

    private static void AppendFirmwareAndTable(IncrementalHash sha, OvmfImage ovmf, KernelHashes? hashes)
    {
        sha.AppendData(ovmf.Data.Span);
        if (hashes is not null)
        {
            if (!ovmf.SupportsKernelHashes)
            {
                throw new MeasurementException(
                    "Kernel specified but OVMF doesn't support kernel/initrd/cmdline measurement: use the OvmfPkg/AmdSev build (its footer table declares a hashes table area), or measure without --kernel");
            }

            sha.AppendData(hashes.ToTable());
        }
    }

    private static uint RequireResetAddress(OvmfImage ovmf, string mode) =>
        ovmf.SevEsResetAddress ?? throw new MeasurementException(
            $"the firmware has no SEV-ES reset block (footer entry 00f771de-…), which {mode} needs for the AP start address: use an OVMF build with SEV-ES support");

    private static void CheckVcpus(int vcpus)
    {
        if (vcpus < 1 || vcpus > MaxVcpus)
        {
            throw new MeasurementException($"vCPU count {vcpus} is outside 1..{MaxVcpus}");
        }
    }
}
