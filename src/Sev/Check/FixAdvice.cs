namespace Sev.Check;

/// <summary>
/// The fix texts, per distribution family. Kernel parameters go on GRUB_CMDLINE_LINUX in
/// /etc/default/grub, then the grub configuration is regenerated: `update-grub` on Debian/Ubuntu,
/// `grub2-mkconfig -o /boot/grub2/grub.cfg` on RHEL/Fedora/SLES/openSUSE. The kvm_amd parameters
/// may instead go in /etc/modprobe.d (SEV.md 1.2), and the /dev/sev udev rule is AMD's (SEV.md 1.2).
/// </summary>
public sealed class FixAdvice(Distribution distribution)
{
    /// <summary>The distribution the texts are for.</summary>
    public Distribution Distribution { get; } = distribution;

    /// <summary>How to add <paramref name="parameters"/> to the host kernel command line.</summary>
    public string KernelCommandLine(string parameters) => Distribution.Family switch
    {
        DistroFamily.Debian =>
            $"add '{parameters}' to GRUB_CMDLINE_LINUX in /etc/default/grub, run `update-grub`, then reboot",
        DistroFamily.RedHat or DistroFamily.Suse =>
            $"add '{parameters}' to GRUB_CMDLINE_LINUX in /etc/default/grub, run `grub2-mkconfig -o /boot/grub2/grub.cfg`, then reboot",
        _ => $"add '{parameters}' to the host kernel command line in your boot loader's configuration, then reboot",
    };

    /// <summary>How to turn kvm_amd module parameters on (kernel command line or modprobe.d).</summary>
    public string KvmAmdParameters(params string[] names)
    {
        var cmdline = string.Join(' ', names.Select(n => $"kvm_amd.{n}=1"));
        var options = string.Join(' ', names.Select(n => $"{n}=1"));
        return KernelCommandLine(cmdline)
            + $"; or write 'options kvm_amd {options}' to /etc/modprobe.d/sev.conf and reload the module (`modprobe -r kvm_amd && modprobe kvm_amd`, with no VMs running)";
    }

    /// <summary>How to install a package providing <paramref name="what"/>.</summary>
    public string InstallQemu() => Distribution.Family switch
    {
        DistroFamily.Debian => "install QEMU: `apt-get install qemu-system-x86`",
        DistroFamily.RedHat => "install QEMU: `dnf install qemu-kvm`",
        DistroFamily.Suse => "install QEMU: `zypper install qemu-x86`",
        _ => "install QEMU's x86_64 system emulator (qemu-system-x86_64) from your distribution",
    };

    /// <summary>
    /// How to get a QEMU that launches SEV-SNP pods: <paramref name="capable"/>, another binary the
    /// check found with sev-snp-guest, named with the config key; else on Debian 12 (bookworm,
    /// QEMU 7.2) the private bookworm-backports QEMU 10 that `SEVSHIM_QEMU=backports
    /// scripts/install.sh` unpacks with scripts/qemu-backports.sh and configures; else any QEMU
    /// with sev-snp-guest (upstream 9.1 or later).
    /// </summary>
    public string SnpQemu(QemuBinaryReport? capable)
    {
        const string where = "in the shim's configuration (/etc/sevshim/config.toml, [vm])";
        if (capable is not null)
        {
            var version = capable.Version is { } v ? $"QEMU {v.Version} " : string.Empty;
            var origin = capable.Roles.Contains(QemuBinaryReport.Backports)
                ? " (bookworm-backports, unpacked by scripts/qemu-backports.sh; `SEVSHIM_QEMU=backports ./scripts/install.sh` sets the key for you)"
                : string.Empty;
            return $"{version}at {capable.Path} can: set vm.qemu = \"{capable.Path}\" {where}{origin}";
        }

        return Distribution.Family == DistroFamily.Debian && Distribution.Codename == "bookworm"
            ? $"Debian 12's QEMU 7.2 predates sev-snp-guest: run `SEVSHIM_QEMU=backports ./scripts/install.sh` from the sevshim source tree, as root (it unpacks QEMU 10 from bookworm-backports with scripts/qemu-backports.sh, installs it under /usr/local/lib/sevshim/qemu, the system's QEMU untouched, and sets vm.qemu = \"{HostPaths.BackportsQemu}\" {where}); or, with bookworm-backports among your apt sources, `apt-get install -t bookworm-backports qemu-system-x86`, which replaces /usr/bin's QEMU"
            : $"install a QEMU with the sev-snp-guest object (upstream 9.1 or later) and set vm.qemu = \"PATH\" {where}; {InstallQemu()}";
    }

    /// <summary>The udev rule that lets the kvm group open /dev/sev (AMDSEV README).</summary>
    public static string SevDeviceRule =>
        "create /etc/udev/rules.d/71-sev.rules with the line KERNEL==\"sev\", MODE=\"0660\", GROUP=\"kvm\", then `udevadm control --reload-rules && udevadm trigger` (or reboot), and run the shim as root or in group kvm";

    /// <summary>
    /// How to get an OVMF that QEMU can put kernel hashes into. On Debian and Ubuntu, whose ovmf
    /// packages have no AmdSev build, the fix is sevshim's scripts/build-firmware.sh (which
    /// scripts/install.sh runs when the firmware is missing): it builds OvmfPkg/AmdSev/AmdSevX64.dsc
    /// from Debian 13's edk2 source package (with Debian 12's toolchain) and installs it at its --out path, by default
    /// <see cref="HostPaths.FirmwareCandidates"/>[0], sevshim's default vm.firmware.
    /// </summary>
    public string AmdSevFirmware(string configuredPath) => Distribution.Family switch
    {
        DistroFamily.Debian =>
            $"Debian's ovmf package has no AmdSev build: run `{BuildFirmwareCommand(configuredPath)}` from the sevshim source tree, as root (about 7 minutes; it builds edk2's OvmfPkg/AmdSev/AmdSevX64.dsc from Debian 13's edk2 source package and installs it as {configuredPath}), or point vm.firmware at an AmdSev build you have",
        _ =>
            $"use edk2's AmdSev build (OvmfPkg/AmdSev/AmdSevX64.dsc, a single stateless OVMF.fd; RHEL 9's edk2-ovmf ships one named OVMF.amdsev.fd) and install it as {configuredPath} (or set vm.firmware)",
    };

    /// <summary>scripts/build-firmware.sh, with --out when the firmware is not at the default path.</summary>
    private static string BuildFirmwareCommand(string configuredPath) =>
        configuredPath == HostPaths.FirmwareCandidates[0]
            ? "scripts/build-firmware.sh"
            : $"scripts/build-firmware.sh --out {configuredPath}";
}
