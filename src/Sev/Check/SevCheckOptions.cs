namespace Sev.Check;

/// <summary>What the host check looks at.</summary>
public sealed record SevCheckOptions
{
    /// <summary>QEMU binary (path or name on PATH); the shim's vm.qemu.</summary>
    public string QemuBinary { get; init; } = "qemu-system-x86_64";

    /// <summary>The distribution's QEMU, also reported per binary.</summary>
    public string SystemQemu { get; init; } = HostPaths.SystemQemu;

    /// <summary>The private bookworm-backports QEMU, reported per binary when present.</summary>
    public string BackportsQemu { get; init; } = HostPaths.BackportsQemu;

    /// <summary>
    /// Probe the system and backports QEMUs too (the `check` verb). A pod's Create sets false: it
    /// launches vm.qemu only, and each further probe is a QEMU start on the pod's critical path.
    /// </summary>
    public bool ProbeOtherQemus { get; init; } = true;

    /// <summary>The configured OVMF (vm.firmware); null looks at <see cref="HostPaths.FirmwareCandidates"/>.</summary>
    public string? FirmwarePath { get; init; }

    /// <summary>Limit for the probe QEMU (start, QMP, query). Generous: hosts may be loaded.</summary>
    public TimeSpan QemuTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
