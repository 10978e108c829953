namespace Sev.Launch;

/// <summary>
/// The QEMU command-line fragments for one pod VM's memory encryption (SEV.md 2). The sandbox
/// puts <see cref="MachineProperties"/> on its <c>-machine</c>, appends <see cref="Arguments"/>,
/// adds <see cref="VirtioDeviceProperties"/> to every virtio <c>-device</c> (and
/// <see cref="VirtioNetProperties"/> to virtio-net), and <see cref="KernelParameters"/> to <c>-append</c>.
/// For <see cref="SevMode.None"/> every fragment is empty.
/// </summary>
public sealed record SevLaunchPlan
{
    /// <summary>The mode these fragments launch.</summary>
    public required SevMode Mode { get; init; }

    /// <summary>The guest policy given to QEMU (0 for none).</summary>
    public required ulong Policy { get; init; }

    /// <summary>Properties for <c>-machine</c>, e.g. confidential-guest-support=sev0.</summary>
    public required IReadOnlyList<string> MachineProperties { get; init; }

    /// <summary>Whole arguments: firmware (-drive pflash or -bios), -object, and -no-reboot where needed.</summary>
    public required IReadOnlyList<string> Arguments { get; init; }

    /// <summary>Suffix for every virtio device: "iommu_platform=on,disable-legacy=on" (empty for none).</summary>
    public required string VirtioDeviceProperties { get; init; }

    /// <summary>Extra suffix for virtio-net: "romfile=" (iPXE is not SEV-aware; empty for none).</summary>
    public required string VirtioNetProperties { get; init; }

    /// <summary>Guest kernel parameters, e.g. "swiotlb=262144".</summary>
    public required IReadOnlyList<string> KernelParameters { get; init; }

    /// <summary>The swiotlb slabs chosen (0 for none).</summary>
    public required int SwiotlbSlabs { get; init; }

    /// <summary>The -machine value: <paramref name="machineType"/>, accel, then <see cref="MachineProperties"/>.</summary>
    public string MachineOption(string machineType, string accelerator) =>
        string.Join(',', new[] { machineType, "accel=" + accelerator }.Concat(MachineProperties));

    /// <summary>A -device value with the virtio suffix(es) this plan needs appended.</summary>
    public string DeviceOption(string device, bool isVirtioNet = false)
    {
        var parts = new List<string> { device };
        if (VirtioDeviceProperties.Length > 0)
        {
            parts.Add(VirtioDeviceProperties);
        }

        if (isVirtioNet && VirtioNetProperties.Length > 0)
        {
            parts.Add(VirtioNetProperties);
        }

        return string.Join(',', parts);
    }
}
