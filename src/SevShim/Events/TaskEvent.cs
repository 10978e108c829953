using SevShim.Sandbox;

namespace SevShim.Events;

/// <summary>
/// A task event on domain types; <see cref="TaskEventEncoder"/> turns it into containerd's
/// topic and message. Build it with the factory methods, which set exactly the fields
/// containerd's message for that kind carries.
/// </summary>
internal sealed record TaskEvent(TaskEventKind Kind, string ContainerId)
{
    /// <summary>Exec id for exec events; empty for the init process.</summary>
    public string ExecId { get; init; } = string.Empty;

    /// <summary>Process id (create, start, exit, delete, exec-started).</summary>
    public uint Pid { get; init; }

    /// <summary>Exit status (exit, delete).</summary>
    public uint ExitStatus { get; init; }

    /// <summary>Exit time (exit, delete); null when the process never ran.</summary>
    public DateTimeOffset? ExitedAt { get; init; }

    /// <summary>Bundle path (create).</summary>
    public string Bundle { get; init; } = string.Empty;

    /// <summary>Rootfs mounts (create).</summary>
    public IReadOnlyList<RootfsMount> Rootfs { get; init; } = [];

    /// <summary>Stdio of the init process (create).</summary>
    public StdioPaths Stdio { get; init; } = StdioPaths.None;

    /// <summary>TaskCreate for a created container.</summary>
    public static TaskEvent Created(string containerId, string bundle, IReadOnlyList<RootfsMount> rootfs, StdioPaths stdio, uint pid) =>
        new(TaskEventKind.Create, containerId) { Bundle = bundle, Rootfs = rootfs, Stdio = stdio, Pid = pid };

    /// <summary>TaskStart for a started init process.</summary>
    public static TaskEvent Started(string containerId, uint pid) =>
        new(TaskEventKind.Start, containerId) { Pid = pid };

    /// <summary>TaskExit; <paramref name="execId"/> empty for the init process (the event's id is then the container id).</summary>
    public static TaskEvent Exited(string containerId, string execId, uint pid, uint exitStatus, DateTimeOffset exitedAt) =>
        new(TaskEventKind.Exit, containerId) { ExecId = execId, Pid = pid, ExitStatus = exitStatus, ExitedAt = exitedAt };

    /// <summary>TaskDelete for the deleted init process.</summary>
    public static TaskEvent Deleted(string containerId, uint pid, uint exitStatus, DateTimeOffset? exitedAt) =>
        new(TaskEventKind.Delete, containerId) { Pid = pid, ExitStatus = exitStatus, ExitedAt = exitedAt };

    /// <summary>TaskExecAdded.</summary>
    public static TaskEvent ExecAdded(string containerId, string execId) =>
        new(TaskEventKind.ExecAdded, containerId) { ExecId = execId };

    /// <summary>TaskExecStarted.</summary>
    public static TaskEvent ExecStarted(string containerId, string execId, uint pid) =>
        new(TaskEventKind.ExecStarted, containerId) { ExecId = execId, Pid = pid };

    /// <summary>TaskOOM.</summary>
    public static TaskEvent Oom(string containerId) => new(TaskEventKind.Oom, containerId);

    /// <summary>TaskPaused.</summary>
    public static TaskEvent Paused(string containerId) => new(TaskEventKind.Paused, containerId);

    /// <summary>TaskResumed.</summary>
    public static TaskEvent Resumed(string containerId) => new(TaskEventKind.Resumed, containerId);
}
