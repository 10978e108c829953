namespace Sev.Check;

/// <summary>What the host check looks at.</summary>
public sealed record SevCheckOptions
{
    /// <summary>QEMU binary (path or name on PATH); the shim's vm.qemu.</summary>
    public string QemuBinary { get; init; } = "qemu-system-x86_64";

    /// <summary>The configured OVMF (vm.firmware); null looks at <see cref="HostPaths.FirmwareCandidates"/>.</summary>
    public string? FirmwarePath { get; init; }

    /// <summary>Limit for the probe QEMU (start, QMP, query). Generous: hosts may be loaded.</summary>
    public TimeSpan QemuTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
