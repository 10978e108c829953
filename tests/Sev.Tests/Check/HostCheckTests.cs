using Qemu;
using Sev.Check;

namespace Sev.Tests.Check;

public sealed class HostCheckTests
{
    private static readonly SevCheckOptions Options = new();

    private static Task<HostReport> Run(FakeHostProbe probe, SevCheckOptions? options = null) =>
        HostCheck.RunAsync(probe, options ?? Options, CancellationToken.None);

    private static CheckItem Item(HostReport report, string name) => Assert.Single(report.Items, i => i.Name == name);

    [Fact]
    public async Task Sev_ready_epyc_passes_every_item_and_all_modes()
    {
        var probe = FakeHostProbe.SevReadyEpyc();

        var report = await Run(probe);

        Assert.All(report.Items, i => Assert.Equal(CheckStatus.Ok, i.Status));
        Assert.True(report.CanRun(SevMode.Sev));
        Assert.True(report.CanRun(SevMode.SevEs));
        Assert.True(report.CanRun(SevMode.SevSnp));
        Assert.Equal(51, report.Facts.CBitPosition);
        Assert.Equal(1, report.Facts.ReducedPhysBits);
        Assert.Equal(509u, report.Facts.MaxEncryptedGuests);
        Assert.True(report.Facts.KvmUsable);
        Assert.True(probe.QemuAskedWithKvm);
        Assert.Contains("99 ASIDs for SEV-ES/SNP", Item(report, "cpu.sev-es").Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_item_the_brief_lists_is_reported_in_order()
    {
        var report = await Run(FakeHostProbe.SevReadyEpyc());

        Assert.Equal(
            [
                "cpu.vendor", "cpu.sev", "cpu.sev-es", "cpu.sev-snp", "kernel.mem_encrypt", "kernel.version",
                "kvm.module", "kvm_amd.sev", "kvm_amd.sev_es", "kvm_amd.sev_snp", "dev.sev", "dev.kvm", "kvm.sev",
                "qemu.version", "qemu.sev-guest", "qemu.sev-snp-guest", "qemu.sev-capabilities", "firmware.hashes-table", "firmware.snp-metadata",
            ],
            report.Items.Select(i => i.Name));
    }

    [Theory]
    [InlineData("ID=debian\n", "update-grub")]
    [InlineData("ID=ubuntu\nID_LIKE=debian\n", "update-grub")]
    [InlineData("ID=fedora\n", "grub2-mkconfig -o /boot/grub2/grub.cfg")]
    [InlineData("ID=\"rhel\"\nID_LIKE=\"fedora\"\n", "grub2-mkconfig -o /boot/grub2/grub.cfg")]
    [InlineData("ID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\n", "grub2-mkconfig -o /boot/grub2/grub.cfg")]
    [InlineData("ID=sles\n", "grub2-mkconfig -o /boot/grub2/grub.cfg")]
    [InlineData("ID=arch\n", "boot loader")]
    public async Task Sev_disabled_in_kvm_amd_blocks_all_modes_with_the_distribution_fix(string osRelease, string command)
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Files[HostPaths.OsRelease] = osRelease;
        probe.Files[HostPaths.KvmAmdParameter("sev")] = "N\n";

        var report = await Run(probe);

        var item = Item(report, "kvm_amd.sev");
        Assert.Equal(CheckStatus.Missing, item.Status);
        Assert.Contains("= N", item.Evidence, StringComparison.Ordinal);
        Assert.Contains("kvm_amd.sev=1", item.Fix, StringComparison.Ordinal);
        Assert.Contains(command, item.Fix, StringComparison.Ordinal);
        Assert.Contains("options kvm_amd sev=1", item.Fix, StringComparison.Ordinal);
        Assert.False(report.CanRun(SevMode.Sev));
        Assert.False(report.CanRun(SevMode.SevEs));
        Assert.False(report.CanRun(SevMode.SevSnp));
        Assert.Contains(item, report.Readiness(SevMode.Sev).Blockers);
    }

    [Fact]
    public async Task Numeric_one_counts_as_enabled_like_sevctl()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Files[HostPaths.KvmAmdParameter("sev")] = "1\n";

        var report = await Run(probe);

        Assert.Equal(CheckStatus.Ok, Item(report, "kvm_amd.sev").Status);
    }

    [Fact]
    public async Task Sev_es_disabled_leaves_sev_ready()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Files[HostPaths.KvmAmdParameter("sev_es")] = "N\n";

        var report = await Run(probe);

        Assert.True(report.CanRun(SevMode.Sev));
        Assert.False(report.CanRun(SevMode.SevEs));
        Assert.False(report.CanRun(SevMode.SevSnp));
        Assert.Equal(["kvm_amd.sev_es"], report.Readiness(SevMode.SevEs).Blockers.Select(b => b.Name));
    }

    [Fact]
    public async Task Intel_host_is_refused_on_vendor_cpu_and_module()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.SetVendor("GenuineIntel");
        probe.SetBrand("Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz");
        probe.CpuIds.Remove((0x8000001F, 0));
        probe.CpuIds[(0x80000000, 0)] = new CpuIdResult(0x80000008, 0, 0, 0);
        probe.Files[HostPaths.ProcCpuinfo] = "flags\t\t: fpu vme vmx\n";
        probe.Directories.Remove("/sys/module/kvm_amd");
        probe.Directories.Add("/sys/module/kvm_intel");
        probe.Devices.Remove(HostPaths.DevSev);
        probe.Qemu = probe.Qemu with { Capabilities = null, CapabilitiesError = "GenericError: SEV is not enabled in KVM" };

        var report = await Run(probe);

        var vendor = Item(report, "cpu.vendor");
        Assert.Equal(CheckStatus.Missing, vendor.Status);
        Assert.Contains("GenuineIntel", vendor.Evidence, StringComparison.Ordinal);
        Assert.Contains("AMD EPYC", vendor.Fix, StringComparison.Ordinal);
        Assert.Contains("not available", Item(report, "cpu.sev").Evidence, StringComparison.Ordinal);
        Assert.Contains("kvm_intel", Item(report, "kvm.module").Evidence, StringComparison.Ordinal);
        Assert.Equal(CheckStatus.Unknown, Item(report, "kvm_amd.sev").Status);
        Assert.Equal(CheckStatus.Ok, Item(report, "dev.kvm").Status);
        Assert.False(report.CanRun(SevMode.Sev));
        Assert.Null(report.Facts.CBitPosition);
    }

    [Fact]
    public async Task Pvm_dev_kvm_is_not_usable_and_qemu_is_probed_without_kvm()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.CpuIds[(1, 0)] = new CpuIdResult(0x00A00F11, 0, 0x80000000, 0); // hypervisor bit
        probe.Files[HostPaths.ProcCpuinfo] = "flags\t\t: fpu hypervisor\n"; // a VM's kernel hides SEV
        probe.Directories.Remove("/sys/module/kvm_amd");
        probe.Directories.Add("/sys/module/kvm_pvm");
        probe.Devices.Remove(HostPaths.DevSev);
        probe.Kvm = new KvmProbeResult(true, 12, true, 25, null);
        probe.Qemu = probe.Qemu with { Version = QemuVersion.Parse("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"), Capabilities = null, CapabilitiesError = "GenericError: KVM not enabled" };

        var report = await Run(probe);

        Assert.False(probe.QemuAskedWithKvm);
        var kvm = Item(report, "dev.kvm");
        Assert.Equal(CheckStatus.Missing, kvm.Status);
        Assert.Contains("kvm_pvm", kvm.Evidence, StringComparison.Ordinal);
        Assert.Contains("PVM", kvm.Evidence, StringComparison.Ordinal);
        Assert.Equal(CheckStatus.Unknown, Item(report, "kvm.sev").Status);
        var caps = Item(report, "qemu.sev-capabilities");
        Assert.Contains("-accel tcg", caps.Evidence, StringComparison.Ordinal);
        Assert.Contains("KVM not enabled", caps.Evidence, StringComparison.Ordinal);
        var cpu = Item(report, "cpu.sev");
        Assert.Equal(CheckStatus.Missing, cpu.Status);
        Assert.Contains("hypervisor", cpu.Evidence, StringComparison.Ordinal);
        Assert.Contains("virtual machine", cpu.Fix, StringComparison.Ordinal);
        Assert.False(report.Facts.KvmUsable);
        Assert.False(report.CanRun(SevMode.Sev));
    }

    [Fact]
    public async Task Sev_off_in_firmware_shows_as_cpuid_bit_without_kernel_flag()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Files[HostPaths.ProcCpuinfo] = "flags\t\t: fpu svm\n";

        var report = await Run(probe);

        var cpu = Item(report, "cpu.sev");
        Assert.Equal(CheckStatus.Missing, cpu.Status);
        Assert.Contains("SEV=1", cpu.Evidence, StringComparison.Ordinal);
        Assert.Contains("SMEE", cpu.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_asids_for_sev_es_blocks_sev_es_only()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.CpuIds[(0x8000001F, 0)] = new CpuIdResult(0x3F, 51 | (1 << 6), 509, 1);

        var report = await Run(probe);

        Assert.Equal(CheckStatus.Missing, Item(report, "cpu.sev-es").Status);
        Assert.True(report.CanRun(SevMode.Sev));
        Assert.False(report.CanRun(SevMode.SevEs));
    }

    [Fact]
    public async Task Dev_sev_without_access_gets_the_udev_rule()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Devices[HostPaths.DevSev] = new DeviceNodeInfo(true, "root", "root", UnixFileMode.UserRead | UnixFileMode.UserWrite, false);

        var report = await Run(probe);

        var item = Item(report, "dev.sev");
        Assert.Equal(CheckStatus.Missing, item.Status);
        Assert.Contains("root:root, mode 0600", item.Evidence, StringComparison.Ordinal);
        Assert.Contains("KERNEL==\"sev\", MODE=\"0660\", GROUP=\"kvm\"", item.Fix, StringComparison.Ordinal);
        Assert.Contains("/etc/udev/rules.d/71-sev.rules", item.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_dev_sev_points_at_the_ccp_driver()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Devices.Remove(HostPaths.DevSev);

        var report = await Run(probe);

        Assert.Contains("ccp", Item(report, "dev.sev").Fix, StringComparison.Ordinal);
        Assert.False(report.CanRun(SevMode.Sev));
    }

    [Fact]
    public async Task Kvm_without_sev_reports_enotty()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Kvm = new KvmProbeResult(true, 12, true, 25, null);

        var report = await Run(probe);

        var item = Item(report, "kvm.sev");
        Assert.Equal(CheckStatus.Missing, item.Status);
        Assert.Contains("errno 25", item.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Qemu_7_2_refuses_snp_but_not_sev()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Qemu = RecordedQemu.Qemu72.Probe(HostPaths.SystemQemu) with { Capabilities = probe.Qemu.Capabilities, CapabilitiesError = null };

        var report = await Run(probe);

        Assert.True(report.CanRun(SevMode.Sev));
        Assert.True(report.CanRun(SevMode.SevEs));
        Assert.False(report.CanRun(SevMode.SevSnp));
        var snp = Item(report, "qemu.sev-snp-guest");
        Assert.Equal(CheckStatus.Missing, snp.Status);
        Assert.Contains("has no sev-snp-guest object", snp.Evidence, StringComparison.Ordinal);
        Assert.Equal([snp], report.Readiness(SevMode.SevSnp).Blockers);
        Assert.Equal(new QemuVersion(7, 2, 22), report.Facts.Qemu!.Version);
        Assert.Same(probe.Qemu.Objects, report.Facts.QemuObjects);
    }

    [Fact]
    public async Task The_version_alone_decides_nothing()
    {
        // A "9.1" whose binary reports no sev-snp-guest (built without it) cannot launch SNP.
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Qemu = probe.Qemu with { Objects = RecordedQemu.Qemu72.Objects };

        var report = await Run(probe);

        Assert.False(report.CanRun(SevMode.SevSnp));
        Assert.Contains("QEMU 9.1.0", Item(report, "qemu.sev-snp-guest").Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Qemu_without_kernel_hashes_cannot_run_sev_pods()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        var sev = RecordedQemu.Qemu72.Objects.SevGuest!.Where(p => p != "kernel-hashes").ToArray();
        probe.Qemu = probe.Qemu with { Version = QemuVersion.Parse("QEMU emulator version 6.1.0"), Objects = new QemuSevObjects(sev, null) };

        var report = await Run(probe);

        Assert.Equal(CheckStatus.Ok, Item(report, "qemu.version").Status);
        var item = Item(report, "qemu.sev-guest");
        Assert.Equal(CheckStatus.Missing, item.Status);
        Assert.Contains("no kernel-hashes property", item.Evidence, StringComparison.Ordinal);
        Assert.False(report.CanRun(SevMode.Sev));
        Assert.False(report.CanRun(SevMode.SevEs));
    }

    [Fact]
    public async Task Unreadable_version_is_advisory_when_the_objects_answered()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Qemu = probe.Qemu with { Version = null, VersionError = "--version printed nothing" };

        var report = await Run(probe);

        var item = Item(report, "qemu.version");
        Assert.Equal(CheckStatus.Unknown, item.Status);
        Assert.Empty(item.Gates);
        Assert.True(report.CanRun(SevMode.SevSnp));
    }

    [Fact]
    public async Task Missing_qemu_gets_the_install_command()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Qemu = new QemuProbeResult(null, null, "qemu-system-x86_64 not found", null, null, null);

        var report = await Run(probe);

        Assert.Contains("apt-get install qemu-system-x86", Item(report, "qemu.version").Fix, StringComparison.Ordinal);
        Assert.Equal(CheckStatus.Unknown, Item(report, "qemu.sev-capabilities").Status);
    }

    [Fact]
    public async Task Qemu_error_with_kvm_is_missing_and_quotes_qemu()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Qemu = probe.Qemu with { Capabilities = null, CapabilitiesError = "GenericError: Failed to open /dev/sev 'Permission denied'" };

        var report = await Run(probe);

        var item = Item(report, "qemu.sev-capabilities");
        Assert.Equal(CheckStatus.Missing, item.Status);
        Assert.Contains("Permission denied", item.Evidence, StringComparison.Ordinal);
        Assert.Contains("71-sev.rules", item.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_ovmf_without_hashes_table_blocks_measured_boot()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Firmware.Clear();
        probe.Firmware["/usr/share/ovmf/OVMF.fd"] = new FirmwareInfo("/usr/share/ovmf/OVMF.fd", 2097152, true, false, true, false, null);

        var report = await Run(probe);

        var item = Item(report, "firmware.hashes-table");
        Assert.Equal(CheckStatus.Missing, item.Status);
        Assert.Contains("/usr/share/ovmf/OVMF.fd", item.Evidence, StringComparison.Ordinal);
        Assert.Contains("AmdSevX64.dsc", item.Fix, StringComparison.Ordinal);
        Assert.False(report.CanRun(SevMode.Sev));
    }

    [Fact]
    public async Task AmdSev_firmware_without_snp_kernel_hashes_runs_sev_but_not_snp()
    {
        // Debian 12's edk2 (2022.11) built as AmdSev: the SEV hashes table, SNP metadata from
        // before the SNP_KERNEL_HASHES section.
        var probe = FakeHostProbe.SevReadyEpyc();
        var path = HostPaths.FirmwareCandidates[0];
        probe.Firmware[path] = new FirmwareInfo(path, 4194304, true, true, true, false, null);

        var report = await Run(probe);

        Assert.Equal(CheckStatus.Ok, Item(report, "firmware.hashes-table").Status);
        var snp = Item(report, "firmware.snp-metadata");
        Assert.Equal(CheckStatus.Missing, snp.Status);
        Assert.Contains("SNP_KERNEL_HASHES", snp.Evidence, StringComparison.Ordinal);
        Assert.Contains(path, snp.Evidence, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(snp.Fix));
        Assert.True(report.CanRun(SevMode.Sev));
        Assert.False(report.CanRun(SevMode.SevSnp));
    }

    [Fact]
    public async Task Configured_firmware_is_the_only_one_looked_at()
    {
        var probe = FakeHostProbe.SevReadyEpyc();

        var report = await Run(probe, new SevCheckOptions { FirmwarePath = "/opt/fw/OVMF.fd" });

        var item = Item(report, "firmware.hashes-table");
        Assert.Equal(CheckStatus.Missing, item.Status);
        Assert.Contains("/opt/fw/OVMF.fd does not exist", item.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Old_kernel_blocks_snp_only()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Files[HostPaths.KernelRelease] = "6.1.0-18-amd64\n";
        probe.Files.Remove(HostPaths.KvmAmdParameter("sev_snp"));

        var report = await Run(probe);

        Assert.True(report.CanRun(SevMode.SevEs));
        Assert.False(report.CanRun(SevMode.SevSnp));
        Assert.Contains("6.11", Item(report, "kvm_amd.sev_snp").Fix, StringComparison.Ordinal);
        Assert.Equal(CheckStatus.Missing, Item(report, "kernel.version").Status);
    }

    [Fact]
    public async Task Mem_encrypt_is_advisory()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Files[HostPaths.ProcCmdline] = "root=/dev/sda1 mem_encrypt=off\n";

        var report = await Run(probe);

        var item = Item(report, "kernel.mem_encrypt");
        Assert.Equal(CheckStatus.Missing, item.Status);
        Assert.Empty(item.Gates);
        Assert.True(report.CanRun(SevMode.Sev));
    }

    [Fact]
    public async Task Non_x86_host_is_refused()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.IsX86 = false;

        var report = await Run(probe);

        Assert.Contains("not an x86-64 CPU", Item(report, "cpu.vendor").Evidence, StringComparison.Ordinal);
        Assert.False(report.CanRun(SevMode.Sev));
    }
}
