using SevShim.Sandbox;

namespace SevShim.Tasks;

/// <summary>
/// CreateTaskRequest on domain types. <paramref name="Checkpoint"/> is empty unless containerd asks
/// for a restore (unsupported). <paramref name="RuntimeConfigPath"/> is runtimeoptions.v1.Options'
/// ConfigPath when the options Any carried one (SHIM-PROTOCOL.md 6), else null.
/// </summary>
internal sealed record CreateTaskCommand(
    string Id,
    string Bundle,
    IReadOnlyList<RootfsMount> Rootfs,
    StdioPaths Stdio,
    string Checkpoint,
    string? RuntimeConfigPath);
