using Qemu;

namespace Sev.Check;

/// <summary>What running one QEMU binary showed.</summary>
/// <param name="Binary">The resolved QEMU path, or null when it was not found.</param>
/// <param name="Version">From <c>--version</c>, or null when it could not be read.</param>
/// <param name="VersionError">Why the version is unknown, or null.</param>
/// <param name="Accelerator">The accelerator the QMP probe ran with ("kvm" or "tcg"), or null when no probe ran.</param>
/// <param name="Capabilities">The <c>query-sev-capabilities</c> answer, or null.</param>
/// <param name="CapabilitiesError">QEMU's error ("Class: desc") or the start failure, or null.</param>
/// <param name="Objects">Its SEV objects and their properties (QMP qom-list-properties), or null when unknown.</param>
/// <param name="ObjectsError">Why the objects are unknown (the probe QEMU's start failure), or null.</param>
public sealed record QemuProbeResult(
    string? Binary,
    QemuVersionInfo? Version,
    string? VersionError,
    string? Accelerator,
    SevCapabilities? Capabilities,
    string? CapabilitiesError,
    QemuSevObjects? Objects = null,
    string? ObjectsError = null);
