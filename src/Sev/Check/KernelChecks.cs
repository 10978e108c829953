using System.Globalization;
using Sev.Interop;
using SevRuntime.Posix;

namespace Sev.Check;

/// <summary>Items about the host kernel: command line, version, KVM modules and their SEV parameters.</summary>
internal static class KernelChecks
{
    private static readonly SevMode[] All = [SevMode.Sev, SevMode.SevEs, SevMode.SevSnp];

    public static KvmModule DetectModule(IHostProbe probe) =>
        probe.DirectoryExists(HostPaths.Module("kvm_amd")) ? KvmModule.Amd
        : probe.DirectoryExists(HostPaths.Module("kvm_intel")) ? KvmModule.Intel
        : probe.DirectoryExists(HostPaths.Module("kvm_pvm")) ? KvmModule.Pvm
        : KvmModule.None;

    /// <summary>mem_encrypt= on the kernel command line: advisory (SEV.md 1.2: SME for the host itself;
    /// current kernels do not need it for SEV guests), so it gates no mode.</summary>
    public static CheckItem MemEncrypt(IHostProbe probe, FixAdvice fix)
    {
        var cmdline = probe.ReadText(HostPaths.ProcCmdline);
        if (cmdline is null)
        {
            return new CheckItem("kernel.mem_encrypt", CheckStatus.Unknown, "/proc/cmdline unreadable", null, []);
        }

        var value = cmdline.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(a => a.StartsWith("mem_encrypt=", StringComparison.Ordinal));
        return value switch
        {
            "mem_encrypt=on" => new CheckItem("kernel.mem_encrypt", CheckStatus.Ok, "/proc/cmdline has mem_encrypt=on (host SME on)", null, []),
            null => new CheckItem("kernel.mem_encrypt", CheckStatus.Unknown,
                "/proc/cmdline has no mem_encrypt= (the kernel's build default applies); advisory, SEV guests do not need host SME on current kernels",
                fix.KernelCommandLine("mem_encrypt=on"), []),
            _ => new CheckItem("kernel.mem_encrypt", CheckStatus.Missing,
                $"/proc/cmdline has {value}; advisory, SEV guests do not need host SME on current kernels",
                fix.KernelCommandLine("mem_encrypt=on"), []),
        };
    }

    /// <summary>SEV-SNP in upstream KVM needs host kernel 6.11 or later (SEV.md 1.2, from Kata's SNP guide).</summary>
    public static CheckItem KernelVersion(IHostProbe probe)
    {
        var release = probe.ReadText(HostPaths.KernelRelease)?.Trim();
        var parts = release?.Split('.', '-');
        if (parts is null || parts.Length < 2
            || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var major)
            || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var minor))
        {
            return new CheckItem("kernel.version", CheckStatus.Unknown, $"kernel release '{release}' unreadable", null, [SevMode.SevSnp]);
        }

        var ok = major > 6 || (major == 6 && minor >= 11);
        return new CheckItem("kernel.version", ok ? CheckStatus.Ok : CheckStatus.Missing,
            $"host kernel {release}" + (ok ? string.Empty : " (SEV-SNP needs 6.11 or later)"),
            ok ? null : "install a host kernel 6.11 or later for SEV-SNP (SEV and SEV-ES do not need it)",
            [SevMode.SevSnp]);
    }

    public static CheckItem Module(KvmModule module) => module switch
    {
        KvmModule.Amd => new CheckItem("kvm.module", CheckStatus.Ok, "kvm_amd is loaded", null, All),
        KvmModule.Intel => new CheckItem("kvm.module", CheckStatus.Missing,
            "kvm_intel is loaded: an Intel host", "SEV needs kvm_amd on an AMD EPYC host", All),
        KvmModule.Pvm => new CheckItem("kvm.module", CheckStatus.Missing,
            "kvm_pvm is loaded, not kvm_amd: /dev/kvm belongs to PVM, a hypervisor for VMs inside a VM that runs only PVM-enabled guest kernels and has no SEV",
            "run SEV pods on a bare-metal AMD EPYC host with kvm_amd", All),
        _ => new CheckItem("kvm.module", CheckStatus.Missing,
            "no KVM vendor module (kvm_amd, kvm_intel) is loaded",
            "load it with `modprobe kvm_amd` (if that fails, enable SVM/AMD-V in the firmware setup)", All),
    };

    /// <summary>/sys/module/kvm_amd/parameters/NAME must read Y or 1 (sevctl accepts both; SEV.md 1.2).</summary>
    public static CheckItem KvmAmdParameter(IHostProbe probe, KvmModule module, string parameter, SevMode[] gates, FixAdvice fix)
    {
        var name = "kvm_amd." + parameter;
        if (module != KvmModule.Amd)
        {
            return new CheckItem(name, CheckStatus.Unknown, "kvm_amd is not loaded", "load kvm_amd first (see kvm.module)", gates);
        }

        var path = HostPaths.KvmAmdParameter(parameter);
        var value = probe.ReadText(path)?.Trim();
        if (value is null)
        {
            return new CheckItem(name, CheckStatus.Missing, $"{path} does not exist: this kernel's kvm_amd has no '{parameter}' parameter",
                parameter == "sev_snp"
                    ? "install a host kernel 6.11 or later (SEV-SNP support in KVM)"
                    : "install a newer host kernel with SEV support in kvm_amd",
                gates);
        }

        if (value is "Y" or "1")
        {
            return new CheckItem(name, CheckStatus.Ok, $"{path} = {value}", null, gates);
        }

        // Current kernels also write N back when the platform could not enable the feature
        // (CPU, firmware or ccp), so the fix names both causes.
        return new CheckItem(name, CheckStatus.Missing, $"{path} = {value}",
            fix.KvmAmdParameters(parameter) + "; if it still reads N, the platform refused it: check `dmesg | grep -i sev`",
            gates);
    }

    /// <summary>/dev/sev: QEMU opens it O_RDWR (sev-device default); AMD's udev rule makes it root:kvm 0660.</summary>
    public static CheckItem SevDevice(IHostProbe probe)
    {
        var node = probe.StatDevice(HostPaths.DevSev);
        if (node is null)
        {
            return new CheckItem("dev.sev", CheckStatus.Missing, "/dev/sev does not exist",
                "the AMD Secure Processor driver (ccp) creates /dev/sev: load it (`modprobe ccp`), enable SEV in the firmware setup, and check `dmesg | grep -i sev` for 'ccp ...: sev enabled' or SEV firmware errors",
                All);
        }

        var evidence = $"/dev/sev {(node.IsCharacterDevice ? "character device" : "not a character device")}, owner {node.Owner}:{node.Group}, mode {node.OctalMode}";
        if (!node.IsCharacterDevice)
        {
            return new CheckItem("dev.sev", CheckStatus.Missing, evidence,
                "/dev/sev is not the ccp driver's device: remove it and reload ccp (`modprobe -r ccp && modprobe ccp`)", All);
        }

        if (!node.ReadWriteAccess)
        {
            return new CheckItem("dev.sev", CheckStatus.Missing, evidence + ", not readable and writable by this process", FixAdvice.SevDeviceRule, All);
        }

        var udevShape = node.Group == "kvm" && ((int)node.Mode & 0x30) == 0x30;
        return new CheckItem("dev.sev", CheckStatus.Ok,
            evidence + ", read-write for this process" + (udevShape ? string.Empty : " (AMD's udev rule would make it root:kvm 0660 for non-root users)"),
            null, All);
    }

    /// <summary>/dev/kvm must run ordinary guests: open, KVM_GET_API_VERSION == 12, KVM_CREATE_VM, and a kvm_amd/kvm_intel module.</summary>
    public static CheckItem KvmDevice(KvmProbeResult kvm, KvmModule module)
    {
        if (!kvm.Exists)
        {
            return new CheckItem("dev.kvm", CheckStatus.Missing, "/dev/kvm does not exist",
                "load kvm_amd (`modprobe kvm_amd`) and enable SVM/AMD-V in the firmware setup", All);
        }

        if (kvm.Error is not null)
        {
            return new CheckItem("dev.kvm", CheckStatus.Missing, "/dev/kvm: " + kvm.Error,
                kvm.Error.Contains("open", StringComparison.Ordinal)
                    ? "run the shim as root or as a member of group kvm"
                    : "KVM cannot create VMs here: check `dmesg | grep -i kvm`", All);
        }

        var evidence = $"/dev/kvm: KVM API {kvm.ApiVersion}, KVM_CREATE_VM {(kvm.VmCreated ? "ok" : "failed")}, vendor module {ModuleName(module)}";
        if (kvm.ApiVersion != Kvm.ApiVersion)
        {
            return new CheckItem("dev.kvm", CheckStatus.Missing, evidence + $" (expected API {Kvm.ApiVersion})", "this is not a standard KVM device", All);
        }

        return module switch
        {
            KvmModule.Amd or KvmModule.Intel => new CheckItem("dev.kvm", CheckStatus.Ok, evidence, null, All),
            KvmModule.Pvm => new CheckItem("dev.kvm", CheckStatus.Missing,
                evidence + ": PVM's /dev/kvm runs only PVM-enabled guest kernels; QEMU -accel kvm fails ('failed to set MSR') or hangs with ordinary guests",
                "run SEV pods on a bare-metal AMD EPYC host with kvm_amd", All),
            _ => new CheckItem("dev.kvm", CheckStatus.Missing, evidence + ": no known KVM vendor module provides it",
                "load kvm_amd (`modprobe kvm_amd`)", All),
        };
    }

    /// <summary>KVM_MEMORY_ENCRYPT_OP with NULL, QEMU's own probe: 0 = SEV enabled, ENOTTY = not (older kernels: EFAULT = enabled).</summary>
    public static CheckItem KvmSev(KvmProbeResult kvm, bool kvmUsable, FixAdvice fix)
    {
        if (!kvmUsable || kvm.MemoryEncryptOpErrno is not { } errno)
        {
            return new CheckItem("kvm.sev", CheckStatus.Unknown, "needs a /dev/kvm that runs guests (see dev.kvm)", "fix dev.kvm first", All);
        }

        return errno switch
        {
            0 => new CheckItem("kvm.sev", CheckStatus.Ok, "KVM_MEMORY_ENCRYPT_OP(NULL) succeeded: SEV is enabled in KVM", null, All),
            Posix.EFAULT => new CheckItem("kvm.sev", CheckStatus.Ok, "KVM_MEMORY_ENCRYPT_OP(NULL) gave EFAULT: SEV is enabled in KVM (older kernels answer so)", null, All),
            _ => new CheckItem("kvm.sev", CheckStatus.Missing,
                $"KVM_MEMORY_ENCRYPT_OP(NULL) failed with {LibC.Describe(errno)}: SEV is not enabled in KVM",
                fix.KvmAmdParameters("sev") + "; also see cpu.sev and dev.sev", All),
        };
    }

    private static string ModuleName(KvmModule module) => module switch
    {
        KvmModule.Amd => "kvm_amd",
        KvmModule.Intel => "kvm_intel",
        KvmModule.Pvm => "kvm_pvm",
        _ => "none",
    };
}
