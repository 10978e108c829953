using Qemu;
using Sev.Check;

namespace Sev.Tests.Check;

/// <summary>Per-binary decisions from the recorded objects; the version is evidence only.</summary>
public sealed class QemuLaunchModesTests
{
    private const string Path72 = "/usr/bin/qemu-system-x86_64";
    private const string Path10 = "/var/cache/sevshim/qemu/10/usr/bin/qemu-system-x86_64";

    private static QemuModeSupport Mode(IReadOnlyList<QemuModeSupport> modes, SevMode mode) => Assert.Single(modes, m => m.Mode == mode);

    [Fact]
    public void Qemu_7_2_launches_sev_and_sev_es_but_not_snp()
    {
        var modes = QemuLaunchModes.Decide(RecordedQemu.Qemu72.Probe(Path72), Path72);

        Assert.Equal([SevMode.Sev, SevMode.SevEs, SevMode.SevSnp], modes.Select(m => m.Mode));
        Assert.True(Mode(modes, SevMode.Sev).CanLaunch);
        Assert.True(Mode(modes, SevMode.SevEs).CanLaunch);
        var snp = Mode(modes, SevMode.SevSnp);
        Assert.False(snp.CanLaunch);
        Assert.Equal($"QEMU 7.2.22 ({Path72}) has no sev-snp-guest object (upstream QEMU added it in 9.1)", snp.Reason);
    }

    [Fact]
    public void Qemu_10_launches_every_mode()
    {
        var modes = QemuLaunchModes.Decide(RecordedQemu.Qemu10.Probe(Path10), Path10);

        Assert.All(modes, m => Assert.True(m.CanLaunch, m.Reason));
        Assert.All(modes, m => Assert.Null(m.Reason));
    }

    [Fact]
    public void A_backported_sev_snp_guest_counts_whatever_the_version_says()
    {
        // An 8.2 with the 10.0 objects (a distribution backport): the objects decide.
        var probe = RecordedQemu.Qemu10.Probe(Path10) with { Version = QemuVersion.Parse("QEMU emulator version 8.2.0") };

        Assert.True(Mode(QemuLaunchModes.Decide(probe, Path10), SevMode.SevSnp).CanLaunch);
    }

    [Fact]
    public void A_recent_version_without_the_object_cannot_launch_snp()
    {
        // A 10.0 built without SEV (--disable-... or another target's build): no objects at all.
        var probe = RecordedQemu.Qemu10.Probe(Path10) with { Objects = new QemuSevObjects(null, null) };

        var modes = QemuLaunchModes.Decide(probe, Path10);

        Assert.All(modes, m => Assert.False(m.CanLaunch));
        Assert.Contains("has no sev-guest object (built without SEV support)", Mode(modes, SevMode.Sev).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sev_guest_without_kernel_hashes_cannot_launch_and_the_reason_says_why()
    {
        // QEMU 6.1's sev-guest: the 7.2 list less kernel-hashes.
        var sev = RecordedQemu.Qemu72.Objects.SevGuest!.Where(p => p != "kernel-hashes").ToArray();
        var probe = RecordedQemu.Qemu72.Probe(Path72) with
        {
            Version = QemuVersion.Parse("QEMU emulator version 6.1.0"),
            Objects = new QemuSevObjects(sev, null),
        };

        var reason = Mode(QemuLaunchModes.Decide(probe, Path72), SevMode.Sev).Reason;

        Assert.Equal($"QEMU 6.1.0 ({Path72})'s sev-guest has no kernel-hashes property (kernel-hashes: measured direct boot, upstream QEMU 6.2)", reason);
    }

    [Fact]
    public void Unknown_objects_and_a_missing_binary_are_reasons_too()
    {
        var failed = RecordedQemu.Qemu72.Probe(Path72) with { Objects = null, ObjectsError = "QEMU exited with code 1" };
        var missing = new QemuProbeResult(null, null, "x not found", null, null, null);

        Assert.Contains("SEV objects are unknown (QEMU exited with code 1)", Mode(QemuLaunchModes.Decide(failed, Path72), SevMode.Sev).Reason, StringComparison.Ordinal);
        Assert.Equal("/opt/qemu not found", Mode(QemuLaunchModes.Decide(missing, "/opt/qemu"), SevMode.SevSnp).Reason);
    }
}
