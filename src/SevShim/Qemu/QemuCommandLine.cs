using System.Globalization;
using Qemu;
using SevAgentProto;

namespace SevShim.Qemu;

/// <summary>
/// Builds the QEMU argument list of a pod VM (ARCHITECTURE decisions 3, 4, 7, 8): q35 with
/// <c>-nodefaults -no-user-config</c> and only the pod's devices, in a fixed order so golden
/// tests can pin it:
/// <list type="bullet">
/// <item>the agent channel: virtio-serial-pci with one virtserialport named
/// <see cref="AgentConstants.VirtioSerialPortName"/>, backed by a chardev unix socket in the
/// pod's state folder (QEMU listens, <c>wait=off</c> so the guest boots without the shim);</item>
/// <item>a virtio-scsi controller, always present so block rootfs and volumes can be hot-added
/// later, and never virtio-blk (its multiqueue exhausts the SEV bounce buffer, decision 7);</item>
/// <item>in rootfs mode "shared" only (<see cref="QemuVmSpec.ShareFolder"/>), the pod's virtio-9p
/// share (tag <see cref="AgentConstants.ShareMountTag"/>) with
/// <c>multidevs=remap</c>: the share holds bind mounts of several host file systems, whose inode
/// numbers would otherwise collide in the guest. <c>security_model=passthrough</c>: QEMU runs as
/// root, so the guest sees and sets the real owners and modes a container image needs (as runc
/// would on the host), and unlike <c>none</c> a failed chown is reported to the guest instead of
/// silently ignored. What a guest could plant in the share (setuid files, device nodes) stays
/// inert on the host: the share's mounts are nosuid,nodev and the state folder is 0700;</item>
/// <item>one virtio-net-pci per pod network interface (issue 12), its tap backend on an
/// inherited fd (the tap lives in the pod's network namespace, QEMU in the host's), the MAC of
/// CNI's interface, and no option ROM (<c>romfile=</c>: the kernel is booted directly, so the
/// NIC's iPXE ROM would only cost memory and boot time);</item>
/// <item>the guest console (ttyS0) to a per-pod file, so a failed boot can be quoted.</item>
/// </list>
/// Under TCG the CPU model is EPYC (measured 1.3x faster than <c>max</c> for the agent's start,
/// ARCHITECTURE "Facts measured"); under KVM it is <c>host</c>.
/// Every virtio device is modern-only (<c>disable-legacy=on</c>). A confidential pod's SEV
/// fragments (machine properties, firmware and SEV object, the virtio devices' platform IOMMU)
/// come whole from src/Sev's <c>SevLaunchPlan</c>, the one place they are rendered (decision 8).
/// </summary>
internal static class QemuCommandLine
{
    /// <summary>The chardev id of the stdio link's port.</summary>
    public const string StdioChardevId = "stdio0";

    /// <summary>The chardev id of the agent channel.</summary>
    public const string AgentChardevId = "agent0";

    /// <summary>The id of the always-present virtio-scsi controller (block devices attach to its bus "scsi0.0").</summary>
    public const string ScsiControllerId = "scsi0";

    /// <summary>The machine type: q35, the only one that boots OVMF for SEV (decision 4).</summary>
    public const string MachineType = "q35";

    /// <summary>
    /// The accelerator option. Under TCG a guest with more than one vCPU runs with a single TCG
    /// thread: QEMU 7.2's multi-threaded TCG races with the guest kernel's int3-based live text
    /// patching (static keys, alternatives), and 2-vCPU pods panicked in 2 of 2 full test runs
    /// ("Oops: int3" in kmem_cache_free, RIP in the middle of an instruction). One thread
    /// serialises the vCPUs, which costs parallelism only on hosts that emulate anyway.
    /// </summary>
    private static string Accelerator(QemuVmSpec spec) => spec.Accelerator switch
    {
        QemuAccelerator.Kvm => "kvm",
        _ when spec.Vcpus > 1 => "tcg,thread=single",
        _ => "tcg",
    };

    /// <summary>Builds the argument list (without the binary itself).</summary>
    public static IReadOnlyList<string> Build(QemuVmSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Vcpus < 1 || spec.MemoryMib < 1)
        {
            throw new ArgumentException($"a pod VM needs at least one vCPU and 1 MiB (got {spec.Vcpus} vCPUs, {spec.MemoryMib} MiB)", nameof(spec));
        }

        if (spec.ShareFolder && spec.Confidential is not null)
        {
            // The configuration refuses this pair (ConfigParser); this is the last line: a 9p
            // share lets the host read and change the guest's files under it (decision 7).
            throw new ArgumentException("a confidential pod VM gets no 9p share of a host folder: use rootfs mode \"block\"", nameof(spec));
        }

        // The SEV fragments are src/Sev's (SevLaunchPlanner renders them); this only places them.
        var confidential = spec.Confidential;
        var virtio = confidential is { VirtioDeviceProperties.Length: > 0 } sev ? "disable-legacy=on," + sev.VirtioDeviceProperties : "disable-legacy=on";
        var machine = string.Join(',', (confidential?.MachineProperties ?? []).Prepend(MachineType));
        var state = spec.State;
        var args = new List<string>
        {
            "-name", "sevshim-" + spec.SandboxId,
            "-machine", machine,
            "-accel", Accelerator(spec),
            "-cpu", spec.Accelerator == QemuAccelerator.Kvm ? "host" : "EPYC",
            "-smp", spec.Vcpus.ToString(CultureInfo.InvariantCulture),
            "-m", spec.MemoryMib.ToString(CultureInfo.InvariantCulture),
            "-nodefaults",
            "-no-user-config",
            "-display", "none",
            "-no-reboot",
            "-qmp", $"unix:{QemuOptionValue.Escape(state.QmpSocket)},server=on,wait=off",
            "-chardev", $"file,id=console0,path={QemuOptionValue.Escape(state.ConsoleLog)}",
            "-serial", "chardev:console0",
            "-chardev", $"socket,id={AgentChardevId},path={QemuOptionValue.Escape(state.AgentSocket)},server=on,wait=off",
            "-device", $"virtio-serial-pci,id=vserial0,{virtio}",
            "-device", $"virtserialport,bus=vserial0.0,chardev={AgentChardevId},name={AgentConstants.VirtioSerialPortName}",
            // The stdio link (ARCHITECTURE.md decision 3): process stdio off gRPC, on a port of its own.
            "-chardev", $"socket,id={StdioChardevId},path={QemuOptionValue.Escape(state.StdioSocket)},server=on,wait=off",
            "-device", $"virtserialport,bus=vserial0.0,chardev={StdioChardevId},name={AgentConstants.StdioPortName}",
            "-device", $"virtio-scsi-pci,id={ScsiControllerId},{virtio}",
        };
        if (spec.DataDirectory is { } data)
        {
            args.AddRange(["-L", data]);
        }

        if (spec.ShareFolder)
        {
            args.AddRange([
                "-fsdev", $"local,id=share0,path={QemuOptionValue.Escape(state.ShareDirectory)},security_model=passthrough,multidevs=remap",
                "-device", $"virtio-9p-pci,fsdev=share0,mount_tag={AgentConstants.ShareMountTag},{virtio}",
            ]);
        }

        foreach (var nic in spec.Nics ?? [])
        {
            args.AddRange([
                "-netdev", $"tap,id={nic.Id},fd={nic.Fd.ToString(CultureInfo.InvariantCulture)}",
                "-device", $"virtio-net-pci,netdev={nic.Id},mac={nic.Mac},romfile=,{virtio}",
            ]);
        }

        if (confidential is not null)
        {
            args.AddRange(confidential.Arguments);
        }

        args.AddRange(["-kernel", spec.KernelPath, "-initrd", spec.InitrdPath, "-append", spec.KernelCommandLine]);
        return args;
    }
}
