using Qemu;
using Sev;
using Sev.Check;
using Sev.Launch;
using SevShim.Qemu;

namespace SevShim.Tests.Qemu;

/// <summary>
/// The whole QEMU line of a confidential pod as the shim renders it: src/Sev's launch plan for
/// the mode, placed by <see cref="QemuCommandLine"/> (ARCHITECTURE decision 8).
/// </summary>
public sealed class ConfidentialCommandLineTests
{
    private static readonly SevHostFacts Facts = new(51, 1, 1, 509, 100, new QemuVersionInfo(new QemuVersion(9, 1, 0), "9.1.0"), true);

    /// <summary>src/Sev's plan for a 1 GiB pod on an EPYC host (C-bit 51) with QEMU 9.1.</summary>
    internal static SevLaunchPlan Plan(SevMode mode, bool preAttestation = false) => SevLaunchPlanner.Compose(
        new SevLaunchRequest
        {
            Mode = mode, FirmwarePath = "/fw/OVMF.amdsev.fd", GuestMemoryMiB = 1024,
            DhCertFile = preAttestation ? "/etc/sevshim/vm_godh.b64" : null,
            SessionFile = preAttestation ? "/etc/sevshim/vm_session.b64" : null,
            StartPaused = preAttestation,
        },
        Facts);

    private static List<string> Build(SevLaunchPlan plan) => QemuCommandLine.Build(new QemuVmSpec(
        "pod1", QemuAccelerator.Kvm, 2, 1024, "/img/vmlinux", "/img/initrd.img", "console=ttyS0 swiotlb=131072", new PodStateLayout("/run/sevshim/pod1"),
        plan, [new QemuNic("net0", 17, "0a:58:0a:fa:00:02")])).ToList();

    [Fact]
    public void SevPodLineIsPinned()
    {
        string[] expected =
        [
            "-name", "sevshim-pod1",
            "-machine", "q35,confidential-guest-support=sev0",
            "-accel", "kvm",
            "-cpu", "host",
            "-smp", "2",
            "-m", "1024",
            "-nodefaults",
            "-no-user-config",
            "-display", "none",
            "-no-reboot",
            "-qmp", "unix:/run/sevshim/pod1/qmp.sock,server=on,wait=off",
            "-chardev", "file,id=console0,path=/run/sevshim/pod1/console.log",
            "-serial", "chardev:console0",
            "-chardev", "socket,id=agent0,path=/run/sevshim/pod1/agent.sock,server=on,wait=off",
            "-device", "virtio-serial-pci,id=vserial0,disable-legacy=on,iommu_platform=on",
            "-device", "virtserialport,bus=vserial0.0,chardev=agent0,name=sevagent.0",
            "-chardev", "socket,id=stdio0,path=/run/sevshim/pod1/stdio.sock,server=on,wait=off",
            "-device", "virtserialport,bus=vserial0.0,chardev=stdio0,name=sevio.0",
            "-device", "virtio-scsi-pci,id=scsi0,disable-legacy=on,iommu_platform=on",
            "-netdev", "tap,id=net0,fd=17",
            "-device", "virtio-net-pci,netdev=net0,mac=0a:58:0a:fa:00:02,romfile=,disable-legacy=on,iommu_platform=on",
            "-drive", "if=pflash,format=raw,unit=0,file=/fw/OVMF.amdsev.fd,readonly=on",
            "-object", "sev-guest,id=sev0,policy=0x3,cbitpos=51,reduced-phys-bits=1,kernel-hashes=on",
            "-kernel", "/img/vmlinux",
            "-initrd", "/img/initrd.img",
            "-append", "console=ttyS0 swiotlb=131072",
        ];
        var plan = Plan(SevMode.Sev);
        Assert.Equal(expected, Build(plan));
        Assert.Equal(["swiotlb=131072"], plan.KernelParameters);
    }

    [Theory]
    [InlineData(SevMode.SevEs, false, "q35,confidential-guest-support=sev0,smm=off,kernel-irqchip=split",
        "-drive|if=pflash,format=raw,unit=0,file=/fw/OVMF.amdsev.fd,readonly=on|-object|sev-guest,id=sev0,policy=0x7,cbitpos=51,reduced-phys-bits=1,kernel-hashes=on")]
    [InlineData(SevMode.SevSnp, false, "q35,confidential-guest-support=sev0,smm=off,kernel-irqchip=split",
        "-bios|/fw/OVMF.amdsev.fd|-object|sev-snp-guest,id=sev0,policy=0x30000,cbitpos=51,reduced-phys-bits=1,kernel-hashes=on")]
    [InlineData(SevMode.Sev, true, "q35,confidential-guest-support=sev0",
        "-drive|if=pflash,format=raw,unit=0,file=/fw/OVMF.amdsev.fd,readonly=on|-object|sev-guest,id=sev0,policy=0x3,cbitpos=51,reduced-phys-bits=1,kernel-hashes=on," +
        "dh-cert-file=/etc/sevshim/vm_godh.b64,session-file=/etc/sevshim/vm_session.b64|-S")]
    public void EachModePlacesItsFragments(SevMode mode, bool preAttestation, string machine, string sevArguments)
    {
        var args = Build(Plan(mode, preAttestation));
        Assert.Equal(machine, args[args.IndexOf("-machine") + 1]);
        var afterNic = args.FindIndex(a => a.StartsWith("virtio-net-pci,", StringComparison.Ordinal)) + 1;
        Assert.Equal(sevArguments.Split('|'), args[afterNic..args.IndexOf("-kernel")]);
        var virtio = args.Where(a => a.StartsWith("virtio-", StringComparison.Ordinal)).ToList();
        // virtio-serial, virtio-scsi and virtio-net: a confidential pod has no 9p share (decision 7).
        Assert.Equal(3, virtio.Count);
        Assert.All(virtio, d => Assert.EndsWith(",disable-legacy=on,iommu_platform=on", d, StringComparison.Ordinal));
        // SEV-ES and SNP cannot reset their encrypted register state: the line says so once.
        Assert.Single(args, a => a == "-no-reboot");
    }
}
