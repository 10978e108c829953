using Qemu;

namespace Sev.Check;

/// <summary>One QEMU binary the check knows of and the modes it can launch.</summary>
/// <param name="Path">The binary as probed (resolved for vm.qemu).</param>
/// <param name="Roles">Why it is listed: "vm.qemu" (the configured one), "system" (<see cref="HostPaths.SystemQemu"/>),
/// "backports" (scripts/qemu-backports.sh's, <see cref="HostPaths.BackportsQemu"/>).</param>
/// <param name="Version">Its --version, or null when unknown (evidence only).</param>
/// <param name="Modes">sev, sev-es and sev-snp, in that order.</param>
public sealed record QemuBinaryReport(string Path, IReadOnlyList<string> Roles, QemuVersionInfo? Version, IReadOnlyList<QemuModeSupport> Modes)
{
    /// <summary>The role of the configured binary.</summary>
    public const string Configured = "vm.qemu";

    /// <summary>The role of the distribution's binary.</summary>
    public const string System = "system";

    /// <summary>The role of the private bookworm-backports binary.</summary>
    public const string Backports = "backports";

    /// <summary>True when the binary has what <paramref name="mode"/>'s launch needs.</summary>
    public bool CanLaunch(SevMode mode) => Modes.Any(m => m.Mode == mode && m.CanLaunch);
}
