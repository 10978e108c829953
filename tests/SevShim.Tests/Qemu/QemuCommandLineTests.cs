using Sev.Launch;
using SevShim.Qemu;

namespace SevShim.Tests.Qemu;

public sealed class QemuCommandLineTests
{
    private static readonly PodStateLayout State = new("/run/sevshim/pod1");

    // A pod without encryption in rootfs mode "shared" (the 9p share), a confidential one in "block".
    private static QemuVmSpec Spec(QemuAccelerator accel = QemuAccelerator.Tcg, SevLaunchPlan? confidential = null) =>
        new("pod1", accel, 2, 1024, "/img/vmlinux", "/img/initrd.img", "console=ttyS0 quiet panic=-1", State, confidential, ShareFolder: confidential is null);

    [Theory]
    [InlineData(false, 1, "tcg")]
    [InlineData(false, 2, "tcg,thread=single")]
    [InlineData(true, 4, "kvm")]
    public void TcgRunsSeveralVcpusOnOneThread(bool kvm, int vcpus, string expected)
    {
        var spec = Spec(kvm ? QemuAccelerator.Kvm : QemuAccelerator.Tcg) with { Vcpus = vcpus };
        var args = QemuCommandLine.Build(spec);
        var at = args.ToList().IndexOf("-accel");
        Assert.Equal(expected, args[at + 1]);
    }

    [Fact]
    public void TcgPodHasExactlyThePodDevices()
    {
        string[] expected =
        [
            "-name", "sevshim-pod1",
            "-machine", "q35",
            "-accel", "tcg,thread=single",
            "-cpu", "EPYC",
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
            "-device", "virtio-serial-pci,id=vserial0,disable-legacy=on",
            "-device", "virtserialport,bus=vserial0.0,chardev=agent0,name=sevagent.0",
            "-chardev", "socket,id=stdio0,path=/run/sevshim/pod1/stdio.sock,server=on,wait=off",
            "-device", "virtserialport,bus=vserial0.0,chardev=stdio0,name=sevio.0",
            "-device", "virtio-scsi-pci,id=scsi0,disable-legacy=on",
            "-fsdev", "local,id=share0,path=/run/sevshim/pod1/share,security_model=passthrough,multidevs=remap",
            "-device", "virtio-9p-pci,fsdev=share0,mount_tag=sevshare,disable-legacy=on",
            "-kernel", "/img/vmlinux",
            "-initrd", "/img/initrd.img",
            "-append", "console=ttyS0 quiet panic=-1",
        ];
        Assert.Equal(expected, QemuCommandLine.Build(Spec()));
    }

    [Fact]
    public void A_qemu_with_its_own_data_folder_gets_it_with_minus_L_and_a_system_qemu_none()
    {
        var args = QemuCommandLine.Build(Spec() with { DataDirectory = "/usr/local/lib/sevshim/qemu/usr/share/qemu" }).ToList();
        Assert.Equal("/usr/local/lib/sevshim/qemu/usr/share/qemu", args[args.IndexOf("-L") + 1]);
        Assert.DoesNotContain("-L", QemuCommandLine.Build(Spec()));
    }

    [Fact]
    public void BlockRootfsPodHasNo9pDevice()
    {
        var args = QemuCommandLine.Build(Spec() with { ShareFolder = false });
        Assert.DoesNotContain("-fsdev", args);
        Assert.DoesNotContain(args, a => a.Contains("9p", StringComparison.Ordinal) || a.Contains("/share", StringComparison.Ordinal));

        // Only the share's four arguments are missing: every other device stays, in order.
        var expected = QemuCommandLine.Build(Spec()).ToList();
        expected.RemoveRange(expected.IndexOf("-fsdev"), 4);
        Assert.Equal(expected, args);
    }

    [Fact]
    public void AConfidentialPodIsNeverGivenAShare()
    {
        var sev = ConfidentialCommandLineTests.Plan(Sev.SevMode.Sev);
        var ex = Assert.Throws<ArgumentException>(() => QemuCommandLine.Build(Spec(QemuAccelerator.Kvm, sev) with { ShareFolder = true }));
        Assert.Contains("rootfs mode \"block\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KvmUsesTheHostCpu()
    {
        var args = QemuCommandLine.Build(Spec(QemuAccelerator.Kvm));
        Assert.Equal("kvm", args[args.ToList().IndexOf("-accel") + 1]);
        Assert.Equal("host", args[args.ToList().IndexOf("-cpu") + 1]);
    }

    [Fact]
    public void NeverAddsVirtioBlkOrDefaultDevices()
    {
        var joined = string.Join(' ', QemuCommandLine.Build(Spec()));
        Assert.DoesNotContain("virtio-blk", joined, StringComparison.Ordinal);
        Assert.DoesNotContain("-netdev", joined, StringComparison.Ordinal);
        Assert.DoesNotContain("-vga", joined, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, "disable-legacy=on")]
    [InlineData(true, "disable-legacy=on,iommu_platform=on")]
    public void EachNicIsAVirtioNetOnItsInheritedTapFdWithCnisMac(bool confidential, string virtioTail)
    {
        var sev = confidential ? ConfidentialCommandLineTests.Plan(Sev.SevMode.Sev) : null;
        var spec = Spec(QemuAccelerator.Kvm, sev) with { Nics = [new QemuNic("net0", 17, "0a:58:0a:fa:00:02"), new QemuNic("net1", 18, "0a:58:0a:fb:00:02")] };
        var args = QemuCommandLine.Build(spec).ToList();
        var netdevs = args.Select((a, i) => (a, i)).Where(x => x.a == "-netdev").Select(x => args[x.i + 1]).ToList();
        Assert.Equal(["tap,id=net0,fd=17", "tap,id=net1,fd=18"], netdevs);
        var nics = args.Where(a => a.StartsWith("virtio-net-pci,", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            [$"virtio-net-pci,netdev=net0,mac=0a:58:0a:fa:00:02,romfile=,{virtioTail}", $"virtio-net-pci,netdev=net1,mac=0a:58:0a:fb:00:02,romfile=,{virtioTail}"],
            nics);

        // The NICs come before the kernel, with the pod's other devices.
        Assert.True(args.IndexOf("-netdev") < args.IndexOf("-kernel"));
    }

    [Fact]
    public void CommasInPathsAreDoubled()
    {
        var spec = Spec() with { State = new PodStateLayout("/tmp/a,b/pod1") };
        var args = QemuCommandLine.Build(spec);
        Assert.Contains("unix:/tmp/a,,b/pod1/qmp.sock,server=on,wait=off", args);
    }

    [Fact]
    public void RefusesAnEmptyVm()
    {
        Assert.Throws<ArgumentException>(() => QemuCommandLine.Build(Spec() with { Vcpus = 0 }));
    }

    [Fact]
    public void WrapperSetsUmaskAndParentDeathSignalWithoutShellParsing()
    {
        var argv = QemuProcess.WrapperArguments("/usr/bin/qemu-system-x86_64", ["-name", "a b;c"], "/usr/bin/setpriv");
        Assert.Equal(
            ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--", "/bin/sh", "-c", "umask 0177 && exec \"$0\" \"$@\"", "/usr/bin/qemu-system-x86_64", "-name", "a b;c"],
            argv);
        Assert.Equal("/bin/sh", QemuProcess.WrapperArguments("/q", [], null)[0]);
    }
}
