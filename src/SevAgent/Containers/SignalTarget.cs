namespace SevAgent.Containers;

/// <summary>
/// Who gets <see cref="Signal"/>: one process (an empty <see cref="ExecId"/> is the init
/// process), or with <see cref="All"/> every process of the container.
/// </summary>
internal sealed record SignalTarget(string ContainerId, string ExecId, uint Signal, bool All);
