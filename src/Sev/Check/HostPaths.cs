namespace Sev.Check;

/// <summary>The host files the check reads.</summary>
public static class HostPaths
{
    public const string ProcCmdline = "/proc/cmdline";
    public const string ProcCpuinfo = "/proc/cpuinfo";
    public const string KernelRelease = "/proc/sys/kernel/osrelease";
    public const string OsRelease = "/etc/os-release";
    public const string DevSev = "/dev/sev";
    public const string DevKvm = "/dev/kvm";

    /// <summary>The distribution's QEMU (Debian 12: 7.2, no sev-snp-guest).</summary>
    public const string SystemQemu = "/usr/bin/qemu-system-x86_64";

    /// <summary>
    /// QEMU 10 from Debian's bookworm-backports as `SEVSHIM_QEMU=backports scripts/install.sh`
    /// installs it: scripts/qemu-backports.sh unpacks it into its cache, install.sh copies that
    /// tree here (never run from /var/cache, which may be emptied) and sets vm.qemu to this path.
    /// </summary>
    public const string BackportsQemu = "/usr/local/lib/sevshim/qemu/usr/bin/qemu-system-x86_64";

    /// <summary>/sys/module/NAME: present when the module is loaded or built in.</summary>
    public static string Module(string name) => "/sys/module/" + name;

    /// <summary>/sys/module/kvm_amd/parameters/NAME.</summary>
    public static string KvmAmdParameter(string name) => "/sys/module/kvm_amd/parameters/" + name;

    /// <summary>
    /// Where OVMF is looked for when no firmware is configured, AmdSev builds first: sevshim's own
    /// default, then the names distributions use for edk2's AmdSev build, then plain unified builds
    /// (so the check can say that the installed one lacks the hashes table).
    /// </summary>
    public static IReadOnlyList<string> FirmwareCandidates { get; } =
    [
        "/usr/local/share/sevshim/OVMF.amdsev.fd",
        "/usr/share/sevshim/OVMF.amdsev.fd",
        "/usr/share/OVMF/OVMF.amdsev.fd",
        "/usr/share/ovmf/OVMF.amdsev.fd",
        "/usr/share/edk2/ovmf/OVMF.amdsev.fd",
        "/usr/share/ovmf/OVMF.fd",
        "/usr/share/OVMF/OVMF.fd",
        "/usr/share/edk2/ovmf/OVMF.fd",
    ];
}
