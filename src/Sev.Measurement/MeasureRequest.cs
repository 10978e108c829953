namespace Sev.Measurement;

/// <summary>
/// Everything that determines a QEMU guest's expected launch digest, as files on disk. The shim
/// builds one from the VM it is about to launch; the <c>measure</c> CLI builds one from its
/// arguments. Defaults follow sev-snp-measure: 1 vCPU, EPYC-v4, INIT2 VMSAs, guest features 0x1.
/// </summary>
/// <param name="Mode">SEV, SEV-ES or SNP.</param>
/// <param name="FirmwarePath">The OVMF image QEMU boots (the whole file is measured).</param>
public sealed record MeasureRequest(MeasurementMode Mode, string FirmwarePath)
{
    /// <summary>CPUID signature of QEMU's EPYC / EPYC-v4 model (family 23, model 1, stepping 2).</summary>
    public const uint DefaultVcpuSignature = 0x800F12;

    /// <summary>The -kernel file, or null for no measured direct boot.</summary>
    public string? KernelPath { get; init; }

    /// <summary>The -initrd file, or null (then SHA-256 of the empty input is measured).</summary>
    public string? InitrdPath { get; init; }

    /// <summary>The exact -append string, or null (then "\0" is measured).</summary>
    public string? Append { get; init; }

    /// <summary>Number of vCPUs (SEV-ES and SNP).</summary>
    public int Vcpus { get; init; } = 1;

    /// <summary>CPUID signature of the -cpu model (SEV-ES and SNP).</summary>
    public uint VcpuSignature { get; init; } = DefaultVcpuSignature;

    /// <summary>VMSA FPU state style for SEV-ES; SNP is always <see cref="VmsaStyle.Init2"/>.</summary>
    public VmsaStyle VmsaStyle { get; init; } = VmsaStyle.Init2;

    /// <summary>SNP VMSA SEV_FEATURES (0x1 on host kernels 6.8+).</summary>
    public ulong GuestFeatures { get; init; } = 0x1;

    /// <summary>Optional precomputed SNP OVMF hash (48 bytes) that replaces hashing the firmware pages.</summary>
    public ReadOnlyMemory<byte> SnpOvmfHash { get; init; }

    /// <summary>Reads the files and computes the digest: 32 bytes for SEV/SEV-ES, 48 for SNP.</summary>
    /// <exception cref="OvmfFormatException">The firmware is not a well-formed OVMF image.</exception>
    /// <exception cref="MeasurementException">The inputs cannot be measured together.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public byte[] Compute()
    {
        if (Mode == MeasurementMode.Snp && VmsaStyle != VmsaStyle.Init2)
        {
            throw new MeasurementException("SEV-SNP guests always use KVM_SEV_INIT2 VMSAs: drop the legacy VMSA style");
        }

        if (KernelPath is null && (InitrdPath is not null || Append is not null))
        {
            throw new MeasurementException("an initrd or command line is measured only with a kernel: give the kernel too");
        }

        var ovmf = OvmfImage.Load(FirmwarePath);
        var hashes = KernelPath is null ? null : KernelHashes.FromFiles(KernelPath, InitrdPath, Append);
        return Mode switch
        {
            MeasurementMode.Sev => LaunchDigest.Sev(ovmf, hashes),
            MeasurementMode.SevEs => LaunchDigest.SevEs(ovmf, hashes, Vcpus, VcpuSignature, VmsaStyle),
            MeasurementMode.Snp => LaunchDigest.Snp(ovmf, hashes, Vcpus, VcpuSignature, GuestFeatures, SnpOvmfHash.Span),
            _ => throw new MeasurementException($"unknown measurement mode {Mode}"),
        };
    }
}
