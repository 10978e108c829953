namespace Sev.Launch;

/// <summary>
/// The QEMU command-line fragments for one pod VM's memory encryption (SEV.md 2), rendered only
/// by <see cref="SevLaunchPlanner"/>. The shim's QemuCommandLine places them and renders nothing
/// of SEV itself: <see cref="MachineProperties"/> on its <c>-machine</c>, <see cref="Arguments"/>
/// after the devices, <see cref="VirtioDeviceProperties"/> on every virtio <c>-device</c>;
/// <see cref="KernelParameters"/> go on <c>-append</c>, and <see cref="Policy"/> is what
/// pre-attestation expects query-sev to report. For <see cref="SevMode.None"/> every fragment is empty.
/// </summary>
public sealed record SevLaunchPlan
{
    /// <summary>The mode these fragments launch.</summary>
    public required SevMode Mode { get; init; }

    /// <summary>The guest policy given to QEMU (<see cref="SevPolicy.Effective"/>; 0 for none).</summary>
    public required ulong Policy { get; init; }

    /// <summary>Properties for <c>-machine</c>, e.g. confidential-guest-support=sev0.</summary>
    public required IReadOnlyList<string> MachineProperties { get; init; }

    /// <summary>Whole arguments: firmware (-drive pflash or -bios), -object, and -S for pre-attestation (the pod line has -no-reboot, which SEV-ES and SNP need).</summary>
    public required IReadOnlyList<string> Arguments { get; init; }

    /// <summary>Properties for every virtio device: "iommu_platform=on" (empty for none).</summary>
    public required string VirtioDeviceProperties { get; init; }

    /// <summary>Guest kernel parameters, e.g. "swiotlb=262144".</summary>
    public required IReadOnlyList<string> KernelParameters { get; init; }

    /// <summary>The swiotlb slabs chosen (0 for none).</summary>
    public required int SwiotlbSlabs { get; init; }
}
