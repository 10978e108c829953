namespace Sev.Check;

/// <summary>Whether one QEMU binary can launch guests of one mode, from its own objects.</summary>
/// <param name="Mode">sev, sev-es or sev-snp.</param>
/// <param name="CanLaunch">True when the binary has the object and every property the launch plan sets.</param>
/// <param name="Reason">Why not (names the binary, its version and what is missing); null when it can.</param>
public sealed record QemuModeSupport(SevMode Mode, bool CanLaunch, string? Reason);
