namespace Sev.Check;

/// <summary>
/// Probes every QEMU binary the check knows of: the configured vm.qemu (already probed, with KVM
/// when /dev/kvm runs guests), the distribution's, and the private bookworm-backports one when it
/// is there. The others are asked under TCG: the objects they report do not depend on the
/// accelerator, and the host's SEV state is the configured binary's items' business.
/// </summary>
internal static class QemuBinaries
{
    public static async Task<IReadOnlyList<QemuBinaryReport>> ProbeAsync(
        IHostProbe probe, SevCheckOptions options, QemuProbeResult configured, CancellationToken cancellationToken)
    {
        var first = new QemuBinaryReport(
            configured.Binary ?? options.QemuBinary,
            [QemuBinaryReport.Configured],
            configured.Version,
            QemuLaunchModes.Decide(configured, options.QemuBinary));
        var reports = new List<QemuBinaryReport> { first };
        if (!options.ProbeOtherQemus)
        {
            return reports;
        }

        foreach (var (path, role) in new[] { (options.SystemQemu, QemuBinaryReport.System), (options.BackportsQemu, QemuBinaryReport.Backports) })
        {
            // The same binary under another name (the shipped vm.qemu is the system's) gets a role, not a second probe.
            var same = reports.FindIndex(r => r.Path == path || (r == first && options.QemuBinary == path));
            if (same >= 0)
            {
                reports[same] = reports[same] with { Roles = [.. reports[same].Roles, role] };
                continue;
            }

            var result = await probe.ProbeQemuAsync(path, useKvm: false, cancellationToken);
            if (result.Binary is not null)
            {
                reports.Add(new QemuBinaryReport(result.Binary, [role], result.Version, QemuLaunchModes.Decide(result, path)));
            }
        }

        return reports;
    }
}
