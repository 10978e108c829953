namespace Sev.Check;

/// <summary>
/// Every read the host check makes goes through this interface, so the decision logic
/// (<see cref="HostCheck"/>) is tested against fake hosts (an SEV-ready EPYC, an Intel host,
/// a PVM /dev/kvm, ...). <see cref="LinuxHostProbe"/> is the real implementation.
/// </summary>
public interface IHostProbe
{
    /// <summary>CPUID of <paramref name="leaf"/>/<paramref name="subleaf"/>, or null when this is not an x86 CPU.</summary>
    CpuIdResult? CpuId(uint leaf, uint subleaf);

    /// <summary>The text of a file (e.g. /proc/cmdline, a sysfs parameter), or null when absent or unreadable.</summary>
    string? ReadText(string path);

    /// <summary>True when the directory exists (e.g. /sys/module/kvm_amd).</summary>
    bool DirectoryExists(string path);

    /// <summary>Ownership, permissions and accessibility of a device node, or null when it does not exist.</summary>
    DeviceNodeInfo? StatDevice(string path);

    /// <summary>Opens <paramref name="path"/> (/dev/kvm) and tries to create a VM.</summary>
    KvmProbeResult ProbeKvm(string path);

    /// <summary>Finds the QEMU version and asks a probe QEMU for <c>query-sev-capabilities</c>.</summary>
    Task<QemuProbeResult> ProbeQemuAsync(string binary, bool useKvm, CancellationToken cancellationToken);

    /// <summary>Parses the firmware at <paramref name="path"/>, or null when the file does not exist.</summary>
    FirmwareInfo? InspectFirmware(string path);
}
