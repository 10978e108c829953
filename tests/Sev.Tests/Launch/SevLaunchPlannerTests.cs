using Qemu;
using Sev.Check;
using Sev.Launch;
using Sev.Tests.Check;

namespace Sev.Tests.Launch;

public sealed class SevLaunchPlannerTests
{
    private const string Fw = "/usr/share/sevshim/OVMF.amdsev.fd";

    private static async Task<HostReport> ReadyHost() =>
        await HostCheck.RunAsync(FakeHostProbe.SevReadyEpyc(), new SevCheckOptions(), CancellationToken.None);

    private static SevLaunchRequest Request(SevMode mode, int memMiB = 2048) =>
        new() { Mode = mode, FirmwarePath = Fw, GuestMemoryMiB = memMiB };

    [Fact]
    public async Task Sev_golden_arguments()
    {
        var plan = SevLaunchPlanner.Build(Request(SevMode.Sev), await ReadyHost());

        Assert.Equal(0x3UL, plan.Policy);
        Assert.Equal(["confidential-guest-support=sev0"], plan.MachineProperties);
        Assert.Equal(
            [
                "-drive", "if=pflash,format=raw,unit=0,file=/usr/share/sevshim/OVMF.amdsev.fd,readonly=on",
                "-object", "sev-guest,id=sev0,policy=0x3,cbitpos=51,reduced-phys-bits=1,kernel-hashes=on",
            ],
            plan.Arguments);
        Assert.Equal("iommu_platform=on", plan.VirtioDeviceProperties);
        Assert.Equal(["swiotlb=262144"], plan.KernelParameters);
    }

    [Fact]
    public async Task Sev_es_golden_arguments()
    {
        var plan = SevLaunchPlanner.Build(Request(SevMode.SevEs), await ReadyHost());

        Assert.Equal(0x7UL, plan.Policy);
        Assert.Equal(["confidential-guest-support=sev0", "smm=off", "kernel-irqchip=split"], plan.MachineProperties);
        Assert.Equal(
            [
                "-drive", "if=pflash,format=raw,unit=0,file=/usr/share/sevshim/OVMF.amdsev.fd,readonly=on",
                "-object", "sev-guest,id=sev0,policy=0x7,cbitpos=51,reduced-phys-bits=1,kernel-hashes=on",
            ],
            plan.Arguments);
        Assert.Equal("iommu_platform=on", plan.VirtioDeviceProperties);
    }

    [Fact]
    public async Task Pre_attestation_golden_arguments()
    {
        var request = Request(SevMode.Sev) with { DhCertFile = "/etc/sevshim/vm_godh.b64", SessionFile = "/etc/sevshim/a,b.b64", StartPaused = true };
        var plan = SevLaunchPlanner.Build(request, await ReadyHost());

        Assert.Equal(
            [
                "-drive", "if=pflash,format=raw,unit=0,file=/usr/share/sevshim/OVMF.amdsev.fd,readonly=on",
                "-object", "sev-guest,id=sev0,policy=0x3,cbitpos=51,reduced-phys-bits=1,kernel-hashes=on,dh-cert-file=/etc/sevshim/vm_godh.b64,session-file=/etc/sevshim/a,,b.b64",
                "-S",
            ],
            plan.Arguments);
    }

    [Fact]
    public async Task Snp_refuses_pre_attestation_with_the_reason()
    {
        var request = Request(SevMode.SevSnp, 4096) with { Policy = 0x30000, StartPaused = true };
        var facts = (await ReadyHost()).Facts;
        var ex = Assert.Throws<SevUnavailableException>(() => SevLaunchPlanner.Compose(request, facts));
        Assert.Contains("pre-attestation is for SEV and SEV-ES", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Snp_golden_arguments()
    {
        var plan = SevLaunchPlanner.Build(Request(SevMode.SevSnp, 4096) with { Policy = 0x30000 }, await ReadyHost());

        Assert.Equal(["confidential-guest-support=sev0", "smm=off", "kernel-irqchip=split"], plan.MachineProperties);
        Assert.Equal(
            [
                "-bios", "/usr/share/sevshim/OVMF.amdsev.fd",
                "-object", "sev-snp-guest,id=sev0,policy=0x30000,cbitpos=51,reduced-phys-bits=1,kernel-hashes=on",
            ],
            plan.Arguments);
        Assert.Equal(["swiotlb=262144"], plan.KernelParameters);
    }

    [Fact]
    public async Task None_has_no_fragments()
    {
        var plan = SevLaunchPlanner.Build(Request(SevMode.None), await ReadyHost());

        Assert.Empty(plan.Arguments);
        Assert.Empty(plan.MachineProperties);
        Assert.Empty(plan.KernelParameters);
        Assert.Empty(plan.VirtioDeviceProperties);
    }

    [Fact]
    public async Task Firmware_path_commas_are_doubled_for_pflash()
    {
        var plan = SevLaunchPlanner.Build(Request(SevMode.Sev) with { FirmwarePath = "/fw/a,b.fd" }, await ReadyHost());

        Assert.Equal("if=pflash,format=raw,unit=0,file=/fw/a,,b.fd,readonly=on", plan.Arguments[1]);
    }

    [Fact]
    public async Task Host_that_cannot_refuses_with_the_failing_items()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Files[HostPaths.KvmAmdParameter("sev_es")] = "N\n";
        var report = await HostCheck.RunAsync(probe, new SevCheckOptions(), CancellationToken.None);

        var ex = Assert.Throws<SevUnavailableException>(() => SevLaunchPlanner.Build(Request(SevMode.SevEs), report));

        Assert.Equal(SevMode.SevEs, ex.Mode);
        var reason = Assert.Single(ex.Reasons);
        Assert.StartsWith("kvm_amd.sev_es: /sys/module/kvm_amd/parameters/sev_es = N", reason, StringComparison.Ordinal);
        Assert.Contains("fix:", reason, StringComparison.Ordinal);
        Assert.Contains("SEV-ES was requested", ex.Message, StringComparison.Ordinal);
        // The weaker mode is still available, but only when asked for explicitly.
        Assert.Equal(SevMode.Sev, SevLaunchPlanner.Build(Request(SevMode.Sev), report).Mode);
    }

    [Fact]
    public void Snp_is_refused_on_qemu_older_than_9_1()
    {
        var facts = new SevHostFacts(51, 1, 1, 509, 100, QemuVersion.Parse("QEMU emulator version 7.2.22"), true);

        var ex = Assert.Throws<SevUnavailableException>(() => SevLaunchPlanner.Compose(Request(SevMode.SevSnp), facts));

        Assert.Contains("QEMU 7.2.22 has no sev-snp-guest object", Assert.Single(ex.Reasons), StringComparison.Ordinal);
    }

    [Fact]
    public void Snp_follows_the_objects_qemu_reported_not_its_version()
    {
        // QEMU 7.2's recorded objects refuse SNP with the object's reason; an "8.2" reporting
        // QEMU 10's objects (a backport) gets the SNP plan.
        var old = new SevHostFacts(51, 1, 1, 509, 100, RecordedQemu.Qemu72.Version, true, RecordedQemu.Qemu72.Objects);
        var backport = old with { Qemu = QemuVersion.Parse("QEMU emulator version 8.2.0"), QemuObjects = RecordedQemu.Qemu10.Objects };

        var ex = Assert.Throws<SevUnavailableException>(() => SevLaunchPlanner.Compose(Request(SevMode.SevSnp), old));

        Assert.Equal("QEMU 7.2.22 has no sev-snp-guest object (upstream QEMU added it in 9.1)", Assert.Single(ex.Reasons));
        Assert.StartsWith("sev-snp-guest,", SevLaunchPlanner.Compose(Request(SevMode.SevSnp), backport).Arguments[3], StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_cbit_is_refused()
    {
        var facts = new SevHostFacts(null, null, 1, null, null, null, false);

        var ex = Assert.Throws<SevUnavailableException>(() => SevLaunchPlanner.Compose(Request(SevMode.Sev), facts));

        Assert.Contains("C-bit", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2048, null, 262144)]
    [InlineData(8192, null, 262144)]
    [InlineData(1024, null, 131072)] // 256 MiB
    [InlineData(512, null, 65536)] // 128 MiB
    [InlineData(2048, 32768, 32768)]
    public void Swiotlb_sizes(int memMiB, int? overrideSlabs, int expected)
    {
        Assert.Equal(expected, SwiotlbSize.Slabs(memMiB, overrideSlabs));
        Assert.Equal(0, expected % SwiotlbSize.SegmentSlabs);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(262144)] // 512 MiB does not fit in a 512 MiB guest
    public void Swiotlb_override_must_fit(int slabs)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => SwiotlbSize.Slabs(512, slabs));
        Assert.Contains("confidential.swiotlb_slabs", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SevMode.Sev, 0x1UL)]
    [InlineData(SevMode.Sev, 0x3UL)]
    [InlineData(SevMode.Sev, 0x3FUL & ~0x4UL)]
    [InlineData(SevMode.Sev, 0x01020003UL)] // minimum firmware API 2.1 in bits 16-31
    [InlineData(SevMode.SevEs, 0x5UL)]
    [InlineData(SevMode.SevEs, 0x7UL)]
    [InlineData(SevMode.SevSnp, 0x30000UL)]
    [InlineData(SevMode.SevSnp, 0x20000UL)]
    [InlineData(SevMode.SevSnp, 0x3FF0000UL | 0x0301UL)]
    public void Valid_policies_pass(SevMode mode, ulong policy) => SevPolicy.Validate(mode, policy);

    [Theory]
    [InlineData(SevMode.Sev, 0x7UL, "bit 2 (ES)")]
    [InlineData(SevMode.Sev, 0x43UL, "reserved bits 6-15")]
    [InlineData(SevMode.Sev, 0x1_0000_0003UL, "32 bits")]
    [InlineData(SevMode.SevEs, 0x3UL, "lacks bit 2")]
    [InlineData(SevMode.SevSnp, 0x10000UL, "bit 17")]
    [InlineData(SevMode.SevSnp, 0x4030000UL, "reserved bits 26-63")]
    [InlineData(SevMode.None, 0x3UL, "confidential.mode is \"none\"")]
    public void Invalid_policies_name_the_bits(SevMode mode, ulong policy, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => SevPolicy.Validate(mode, policy));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("confidential.policy", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_policy_override_is_refused_before_any_argument_is_built()
    {
        var report = await ReadyHost();

        Assert.Throws<ArgumentException>(() => SevLaunchPlanner.Build(Request(SevMode.Sev) with { Policy = 0x7 }, report));
    }

    [Theory]
    [InlineData("none", SevMode.None)]
    [InlineData("sev", SevMode.Sev)]
    [InlineData("sev-es", SevMode.SevEs)]
    [InlineData("sev-snp", SevMode.SevSnp)]
    public void Mode_names_round_trip(string name, SevMode mode)
    {
        Assert.Equal(mode, SevModeNames.Parse(name));
        Assert.Equal(name, mode.Name());
    }
}
