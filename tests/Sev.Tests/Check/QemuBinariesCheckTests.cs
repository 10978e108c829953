using System.Text.Json;
using Sev.Check;

namespace Sev.Tests.Check;

/// <summary>
/// `check` per QEMU binary (vm.qemu, the system's, the private backports one) on a fake host
/// whose binaries answer with the recorded QEMU 7.2 and 10.0 replies.
/// </summary>
public sealed class QemuBinariesCheckTests
{
    private const string Bookworm = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_CODENAME=bookworm\n";

    private static FakeHostProbe DebianTwelveWithSystemQemu()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Files[HostPaths.OsRelease] = Bookworm;
        probe.Qemu = RecordedQemu.Qemu72.Probe(HostPaths.SystemQemu) with { Capabilities = probe.Qemu.Capabilities, CapabilitiesError = null };
        return probe;
    }

    private static Task<HostReport> Run(FakeHostProbe probe, SevCheckOptions? options = null) =>
        HostCheck.RunAsync(probe, options ?? new SevCheckOptions { QemuBinary = HostPaths.SystemQemu }, CancellationToken.None);

    private static CheckItem Item(HostReport report, string name) => Assert.Single(report.Items, i => i.Name == name);

    [Fact]
    public async Task System_qemu_7_2_and_the_backports_10_are_both_reported_and_the_fix_names_the_key()
    {
        var probe = DebianTwelveWithSystemQemu();
        probe.OtherQemus[HostPaths.BackportsQemu] = RecordedQemu.Qemu10.Probe(HostPaths.BackportsQemu);

        var report = await Run(probe);

        // vm.qemu is the system's binary: one row with both roles, then the backports one.
        Assert.Equal([HostPaths.SystemQemu, HostPaths.BackportsQemu], report.QemuBinaries.Select(b => b.Path));
        Assert.Equal([QemuBinaryReport.Configured, QemuBinaryReport.System], report.QemuBinaries[0].Roles);
        Assert.Equal([HostPaths.SystemQemu, HostPaths.BackportsQemu], probe.QemusAsked);
        Assert.True(report.QemuBinaries[0].CanLaunch(SevMode.Sev));
        Assert.False(report.QemuBinaries[0].CanLaunch(SevMode.SevSnp));
        Assert.All(report.QemuBinaries[1].Modes, m => Assert.True(m.CanLaunch));
        var fix = Item(report, "qemu.sev-snp-guest").Fix;
        Assert.Contains($"vm.qemu = \"{HostPaths.BackportsQemu}\"", fix, StringComparison.Ordinal);
        Assert.Contains("QEMU 10.0.2", fix, StringComparison.Ordinal);
        Assert.Contains("SEVSHIM_QEMU=backports ./scripts/install.sh", fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_backports_qemu_on_bookworm_the_fix_is_the_install_option()
    {
        var probe = DebianTwelveWithSystemQemu();

        var report = await Run(probe);

        Assert.Single(report.QemuBinaries);
        var fix = Item(report, "qemu.sev-snp-guest").Fix;
        Assert.StartsWith("Debian 12's QEMU 7.2 predates sev-snp-guest: run `SEVSHIM_QEMU=backports ./scripts/install.sh`", fix, StringComparison.Ordinal);
        Assert.Contains("scripts/qemu-backports.sh", fix, StringComparison.Ordinal);
        Assert.Contains("`apt-get install -t bookworm-backports qemu-system-x86`", fix, StringComparison.Ordinal);
        Assert.Contains($"vm.qemu = \"{HostPaths.BackportsQemu}\"", fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Elsewhere_the_fix_asks_for_a_qemu_with_the_object()
    {
        var probe = DebianTwelveWithSystemQemu();
        probe.Files[HostPaths.OsRelease] = "ID=fedora\n";

        var fix = Item(await Run(probe), "qemu.sev-snp-guest").Fix;

        Assert.Contains("sev-snp-guest object (upstream 9.1 or later)", fix, StringComparison.Ordinal);
        Assert.Contains("dnf install qemu-kvm", fix, StringComparison.Ordinal);
        Assert.DoesNotContain("backports", fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Configured_backports_qemu_lists_the_system_one_second()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Qemu = RecordedQemu.Qemu10.Probe(HostPaths.BackportsQemu);
        probe.OtherQemus[HostPaths.SystemQemu] = RecordedQemu.Qemu72.Probe(HostPaths.SystemQemu);

        var report = await Run(probe, new SevCheckOptions { QemuBinary = HostPaths.BackportsQemu });

        Assert.Equal([[QemuBinaryReport.Configured, QemuBinaryReport.Backports], [QemuBinaryReport.System]], report.QemuBinaries.Select(b => b.Roles));
        Assert.Equal(CheckStatus.Ok, Item(report, "qemu.sev-snp-guest").Status);
        Assert.Contains("upstream QEMU added it in 9.1", report.QemuBinaries[1].Modes[2].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pod_create_probes_only_vm_qemu()
    {
        var probe = DebianTwelveWithSystemQemu();
        probe.OtherQemus[HostPaths.BackportsQemu] = RecordedQemu.Qemu10.Probe(HostPaths.BackportsQemu);

        var report = await Run(probe, new SevCheckOptions { QemuBinary = "/opt/qemu/bin/qemu-system-x86_64", ProbeOtherQemus = false });

        Assert.Equal(["/opt/qemu/bin/qemu-system-x86_64"], probe.QemusAsked);
        Assert.Single(report.QemuBinaries);
    }

    [Fact]
    public async Task Text_and_json_report_each_binary_with_its_reasons()
    {
        var probe = DebianTwelveWithSystemQemu();
        probe.OtherQemus[HostPaths.BackportsQemu] = RecordedQemu.Qemu10.Probe(HostPaths.BackportsQemu);
        var report = await Run(probe);
        using var text = new StringWriter();
        using var json = new StringWriter();

        HostReportWriter.WriteHuman(report, text);
        HostReportWriter.WriteJson(report, json);

        Assert.Contains($"  {HostPaths.SystemQemu} [vm.qemu, system]: QEMU 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n", text.ToString(), StringComparison.Ordinal);
        Assert.Contains("    sev-snp  cannot: QEMU 7.2.22 (/usr/bin/qemu-system-x86_64) has no sev-snp-guest object", text.ToString(), StringComparison.Ordinal);
        Assert.Contains("    sev-snp  can launch\n", text.ToString(), StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(json.ToString());
        var root = doc.RootElement;
        // The earlier fields stay as they were; qemus is new.
        Assert.Equal(["distribution", "items", "modes", "facts", "sevReady", "qemus"], root.EnumerateObject().Select(p => p.Name));
        var qemus = root.GetProperty("qemus").EnumerateArray().ToArray();
        Assert.Equal(HostPaths.BackportsQemu, qemus[1].GetProperty("path").GetString());
        Assert.Equal("10.0.2", qemus[1].GetProperty("version").GetString());
        var snp = qemus[0].GetProperty("modes").EnumerateArray().Single(m => m.GetProperty("mode").GetString() == "sev-snp");
        Assert.False(snp.GetProperty("canLaunch").GetBoolean());
        Assert.Contains("no sev-snp-guest object", snp.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }
}
