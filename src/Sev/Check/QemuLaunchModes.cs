namespace Sev.Check;

/// <summary>
/// Which modes a QEMU binary can launch, decided from the objects and properties it reports
/// (<see cref="QemuSevObjects"/>), never from its version number: distributions backport
/// sev-snp-guest into older series, and a build may leave SEV out. The version only names the
/// binary in the reasons.
/// </summary>
internal static class QemuLaunchModes
{
    private static readonly SevMode[] Modes = [SevMode.Sev, SevMode.SevEs, SevMode.SevSnp];

    /// <summary>sev, sev-es and sev-snp for one probed binary, with the reason for each it cannot launch.</summary>
    public static IReadOnlyList<QemuModeSupport> Decide(QemuProbeResult qemu, string requested)
    {
        ArgumentNullException.ThrowIfNull(qemu);
        return Modes.Select(m =>
        {
            var reason = qemu.Binary is null
                ? $"{requested} not found"
                : qemu.Objects is not { } objects
                    ? $"{Describe(qemu)}: its SEV objects are unknown ({qemu.ObjectsError ?? "not asked"})"
                    : Reason(m, objects, Describe(qemu));
            return new QemuModeSupport(m, reason is null, reason);
        }).ToArray();
    }

    /// <summary>Why a QEMU with <paramref name="objects"/> cannot launch <paramref name="mode"/>, or null when it can.</summary>
    /// <param name="mode">sev, sev-es or sev-snp.</param>
    /// <param name="objects">What the binary reported.</param>
    /// <param name="who">How to name the binary, e.g. "QEMU 7.2.22 (/usr/bin/qemu-system-x86_64)".</param>
    public static string? Reason(SevMode mode, QemuSevObjects objects, string who)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var type = mode == SevMode.SevSnp ? QemuSevObjects.SnpGuestType : QemuSevObjects.SevGuestType;
        if (objects.Properties(type) is null)
        {
            return mode == SevMode.SevSnp
                ? $"{who} has no {type} object (upstream QEMU added it in 9.1)"
                : $"{who} has no {type} object (built without SEV support)";
        }

        var missing = QemuSevObjects.LaunchProperties.Where(p => !objects.Has(type, p)).ToArray();
        if (missing.Length == 0)
        {
            return null;
        }

        // kernel-hashes is measured direct boot, which every sevshim launch uses (upstream 6.2).
        var note = missing.Contains("kernel-hashes", StringComparer.Ordinal) ? " (kernel-hashes: measured direct boot, upstream QEMU 6.2)" : string.Empty;
        return $"{who}'s {type} has no {string.Join(", ", missing)} propert{(missing.Length == 1 ? "y" : "ies")}{note}";
    }

    /// <summary>"QEMU 7.2.22 (/usr/bin/qemu-system-x86_64)", or the path alone when the version is unknown.</summary>
    public static string Describe(QemuProbeResult qemu) =>
        qemu.Version is { } v ? $"QEMU {v.Version} ({qemu.Binary})" : $"{qemu.Binary} (version unknown)";
}
