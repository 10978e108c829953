using Qemu;

namespace Sev.Check;

/// <summary>Items about QEMU (version, SEV objects, query-sev-capabilities) and the OVMF firmware.</summary>
internal static class QemuChecks
{
    /// <summary>kernel-hashes (measured direct boot, which every sevshim SEV launch uses) arrived in QEMU 6.2 (SEV.md 2.1).
    /// Only the launch planner's fallback when no object list is known; the check asks the binary.</summary>
    public static readonly QemuVersion KernelHashesSince = new(6, 2, 0);

    /// <summary>The sev-snp-guest object arrived in QEMU 9.1 (SEV.md 2.2); the planner's fallback as above.</summary>
    public static readonly QemuVersion SnpSince = new(9, 1, 0);

    private static readonly SevMode[] All = [SevMode.Sev, SevMode.SevEs, SevMode.SevSnp];

    /// <summary>The configured binary runs and says which QEMU it is; the version is evidence, not the decision.</summary>
    public static CheckItem Version(QemuProbeResult qemu, string configured, FixAdvice fix)
    {
        if (qemu.Binary is null)
        {
            return new CheckItem("qemu.version", CheckStatus.Missing, $"{configured} not found (vm.qemu)", fix.InstallQemu(), All);
        }

        // Advisory: qemu.sev-guest and qemu.sev-snp-guest decide from what the binary itself reports.
        return qemu.Version is { } v
            ? new CheckItem("qemu.version", CheckStatus.Ok, $"{qemu.Binary}: QEMU {v}", null, All)
            : new CheckItem("qemu.version", CheckStatus.Unknown, $"{qemu.Binary}: {qemu.VersionError}", fix.InstallQemu(), []);
    }

    /// <summary>sev-guest with every property the launch plan sets (SEV and SEV-ES pods).</summary>
    public static CheckItem SevObject(QemuProbeResult qemu, FixAdvice fix) =>
        ObjectItem("qemu.sev-guest", SevMode.Sev, [SevMode.Sev, SevMode.SevEs], qemu,
            "install a QEMU built with SEV support (upstream 6.2 or later for kernel-hashes) and set vm.qemu to it; " + fix.InstallQemu());

    /// <summary>
    /// sev-snp-guest with every property the launch plan sets. When the configured binary lacks
    /// it, the fix names one of <paramref name="binaries"/> that has it (vm.qemu = "PATH"), else
    /// how to get one (<see cref="FixAdvice.SnpQemu"/>).
    /// </summary>
    public static CheckItem SnpObject(QemuProbeResult qemu, IReadOnlyList<QemuBinaryReport> binaries, FixAdvice fix)
    {
        ArgumentNullException.ThrowIfNull(binaries);
        var other = binaries.Skip(1).FirstOrDefault(b => b.CanLaunch(SevMode.SevSnp));
        return ObjectItem("qemu.sev-snp-guest", SevMode.SevSnp, [SevMode.SevSnp], qemu, fix.SnpQemu(other));
    }

    private static CheckItem ObjectItem(string name, SevMode mode, SevMode[] gates, QemuProbeResult qemu, string fix)
    {
        var type = mode == SevMode.SevSnp ? QemuSevObjects.SnpGuestType : QemuSevObjects.SevGuestType;
        if (qemu.Binary is null)
        {
            return new CheckItem(name, CheckStatus.Unknown, "QEMU not found (see qemu.version)", null, gates);
        }

        var who = QemuLaunchModes.Describe(qemu);
        if (qemu.Objects is not { } objects)
        {
            return new CheckItem(name, CheckStatus.Unknown, $"{who}: qom-list-properties {type} not answered: {qemu.ObjectsError}",
                "run the binary by hand (`" + qemu.Binary + " -object help`) to see why it does not start", gates);
        }

        var reason = QemuLaunchModes.Reason(mode, objects, who);
        return reason is null
            ? new CheckItem(name, CheckStatus.Ok, $"{who} has {type} with {string.Join(", ", QemuSevObjects.LaunchProperties)}", null, gates)
            : new CheckItem(name, CheckStatus.Missing, reason, fix, gates);
    }

    public static CheckItem Capabilities(QemuProbeResult qemu, int? cpuidCBit)
    {
        const string name = "qemu.sev-capabilities";
        if (qemu.Binary is null || qemu.Accelerator is null)
        {
            return new CheckItem(name, CheckStatus.Unknown, "QEMU not found (see qemu.version)", "install QEMU first", All);
        }

        var prefix = $"QEMU {qemu.Version?.Version.ToString() ?? "?"} -machine none -accel {qemu.Accelerator}: query-sev-capabilities";
        if (qemu.Capabilities is { } caps)
        {
            var evidence = $"{prefix} -> cbitpos {caps.CBitPosition}, reduced-phys-bits {caps.ReducedPhysBits}, pdh {(caps.HasPdh ? "present" : "absent")}, cpu0-id {(caps.HasCpu0Id ? "present" : "absent")}";
            if (cpuidCBit is { } cbit && cbit != caps.CBitPosition)
            {
                return new CheckItem(name, CheckStatus.Missing, evidence + $"; CPUID says C-bit {cbit}",
                    "QEMU and CPUID disagree on the C-bit position: QEMU rejects a cbitpos other than the host's; report this host", All);
            }

            return new CheckItem(name, CheckStatus.Ok, evidence, null, All);
        }

        var error = $"{prefix} -> {qemu.CapabilitiesError}";
        var fix = qemu.Accelerator != "kvm"
            ? "QEMU reports SEV only with KVM: fix dev.kvm and kvm.sev first"
            : qemu.CapabilitiesError?.Contains("/dev/sev", StringComparison.Ordinal) == true
                ? FixAdvice.SevDeviceRule
                : "enable SEV in KVM (see kvm_amd.sev, dev.sev, kvm.sev) and check `dmesg | grep -i sev`";
        return new CheckItem(name, CheckStatus.Missing, error, fix, All);
    }

    public static (CheckItem HashesTable, CheckItem SnpMetadata) Firmware(
        IHostProbe probe, string? configured, FixAdvice fix)
    {
        var candidates = configured is not null ? [configured] : HostPaths.FirmwareCandidates;
        var target = configured ?? HostPaths.FirmwareCandidates[0];
        FirmwareInfo? info = null;
        foreach (var path in candidates)
        {
            info = probe.InspectFirmware(path);
            if (info is not null)
            {
                break;
            }
        }

        SevMode[] snp = [SevMode.SevSnp];
        if (info is null)
        {
            var evidence = configured is not null
                ? $"firmware {configured} does not exist"
                : "no OVMF found (looked at " + string.Join(", ", candidates) + ")";
            return (new CheckItem("firmware.hashes-table", CheckStatus.Missing, evidence, fix.AmdSevFirmware(target), All),
                new CheckItem("firmware.snp-metadata", CheckStatus.Missing, evidence, fix.AmdSevFirmware(target), snp));
        }

        var what = $"{info.Path} ({info.Length} bytes)";
        if (info.Error is not null)
        {
            var bad = $"{what} is not a usable OVMF image: {info.Error}";
            return (new CheckItem("firmware.hashes-table", CheckStatus.Missing, bad, fix.AmdSevFirmware(target), All),
                new CheckItem("firmware.snp-metadata", CheckStatus.Missing, bad, fix.AmdSevFirmware(target), snp));
        }

        var hashes = info.SupportsKernelHashes
            ? new CheckItem("firmware.hashes-table", CheckStatus.Ok, $"{what} carries the SEV hashes table (measured direct boot)", null, All)
            : new CheckItem("firmware.hashes-table", CheckStatus.Missing,
                $"{what} has no usable SEV hashes table (OVMF footer table {(info.HasFooterTable ? "present" : "absent")}): it cannot verify -kernel/-initrd/-append (kernel-hashes=on)",
                fix.AmdSevFirmware(target), All);
        // Every sevshim launch boots -kernel with kernel-hashes=on, SNP included; under SNP QEMU
        // puts the hashes into the metadata's SNP_KERNEL_HASHES page, which edk2 2022.11 and
        // older (Debian 12's) do not declare: such a build launches SEV and SEV-ES pods only.
        var snpItem = !info.HasSnpMetadata
            ? new CheckItem("firmware.snp-metadata", CheckStatus.Missing, $"{what} has no SNP metadata: QEMU cannot launch it as an SEV-SNP guest",
                fix.AmdSevFirmware(target), snp)
            : !info.SupportsSnpKernelHashes
                ? new CheckItem("firmware.snp-metadata", CheckStatus.Missing,
                    $"{what} carries SNP metadata without the SNP_KERNEL_HASHES section (type 0x10; edk2 2022.11 and older): an SEV-SNP pod's -kernel/-initrd/-append cannot be measured with it",
                    fix.AmdSevFirmware(target), snp)
                : new CheckItem("firmware.snp-metadata", CheckStatus.Ok, $"{what} carries SNP metadata with the SNP_KERNEL_HASHES section", null, snp);
        return (hashes, snpItem);
    }
}
