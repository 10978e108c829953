using Qemu;
using Sev.Check;
using TestSupport;

namespace Sev.ComponentTests;

/// <summary>
/// The real probe (<see cref="LinuxHostProbe"/>: --version, a `-machine none -accel tcg` QEMU,
/// qom-list-properties) against Debian 12's QEMU 7.2 and bookworm-backports' QEMU 10 as
/// scripts/qemu-backports.sh unpacks it; the recorded replies in TestData/qemu came from the same
/// two binaries.
/// </summary>
public sealed class QemuObjectsProbeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static async Task<QemuProbeResult> Probe(string binary)
    {
        using var cts = new CancellationTokenSource(Timeout);
        return await new LinuxHostProbe(Timeout).ProbeQemuAsync(binary, useKvm: false, cts.Token);
    }

    [E2EFact(Requirement.Qemu)]
    public async Task Qemu_7_2_has_sev_guest_and_no_sev_snp_guest()
    {
        Prerequisites.Ensure(Requirement.Qemu);

        var qemu = await Probe(QemuBinary.DefaultName);

        Assert.NotNull(qemu.Binary);
        Assert.Equal((7, 2), (qemu.Version!.Version.Major, qemu.Version.Version.Minor));
        Assert.True(qemu.Objects is not null, qemu.ObjectsError);
        Assert.All(QemuSevObjects.LaunchProperties, p => Assert.True(qemu.Objects.Has(QemuSevObjects.SevGuestType, p), p));
        Assert.Null(qemu.Objects.SnpGuest);
        var modes = QemuLaunchModes.Decide(qemu, QemuBinary.DefaultName);
        Assert.Equal([true, true, false], modes.Select(m => m.CanLaunch));
        // Under TCG QEMU still answers query-sev-capabilities, with its refusal.
        Assert.Equal("GenericError: KVM not enabled", qemu.CapabilitiesError);
    }

    [E2EFact(Requirement.Qemu10)]
    public async Task Qemu_10_from_backports_has_both_objects()
    {
        Prerequisites.Ensure(Requirement.Qemu10);

        var qemu = await Probe(QemuBackports.Binary);

        Assert.Equal(10, qemu.Version!.Version.Major);
        Assert.True(qemu.Objects is not null, qemu.ObjectsError);
        Assert.All(QemuSevObjects.LaunchProperties, p => Assert.True(qemu.Objects.Has(QemuSevObjects.SevGuestType, p), p));
        Assert.All(QemuSevObjects.LaunchProperties, p => Assert.True(qemu.Objects.Has(QemuSevObjects.SnpGuestType, p), p));
        Assert.All(QemuLaunchModes.Decide(qemu, QemuBackports.Binary), m => Assert.True(m.CanLaunch, m.Reason));
    }

    [E2EFact(Requirement.Qemu, Requirement.Qemu10)]
    public async Task Check_on_this_host_lists_both_and_names_the_backports_binary_for_snp()
    {
        Prerequisites.Ensure(Requirement.Qemu, Requirement.Qemu10);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var options = new SevCheckOptions { QemuBinary = HostPaths.SystemQemu, BackportsQemu = QemuBackports.Binary };

        var report = await HostCheck.RunAsync(new LinuxHostProbe(Timeout), options, cts.Token);

        Assert.Equal([HostPaths.SystemQemu, QemuBackports.Binary], report.QemuBinaries.Select(b => b.Path));
        Assert.False(report.QemuBinaries[0].CanLaunch(SevMode.SevSnp));
        Assert.True(report.QemuBinaries[1].CanLaunch(SevMode.SevSnp));
        var snp = Assert.Single(report.Items, i => i.Name == "qemu.sev-snp-guest");
        Assert.Equal(CheckStatus.Missing, snp.Status);
        Assert.Contains($"vm.qemu = \"{QemuBackports.Binary}\"", snp.Fix, StringComparison.Ordinal);
    }
}
