namespace Qemu;

/// <summary>
/// The server greeting QEMU sends on connect:
/// <c>{"QMP": {"version": {"qemu": {"major", "minor", "micro"}, "package"}, "capabilities": [...]}}</c>.
/// </summary>
/// <param name="Version">QEMU's version from the greeting.</param>
/// <param name="Capabilities">Capabilities QEMU offers (e.g. "oob"); none are enabled by this client.</param>
public sealed record QmpGreeting(QemuVersionInfo Version, IReadOnlyList<string> Capabilities);
