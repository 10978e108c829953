namespace SevShim.Events;

/// <summary>The task events a shim publishes (SHIM-PROTOCOL.md 3.1), one per containerd topic.</summary>
internal enum TaskEventKind
{
    /// <summary>/tasks/create (TaskCreate).</summary>
    Create,

    /// <summary>/tasks/start (TaskStart).</summary>
    Start,

    /// <summary>/tasks/exit (TaskExit), for the init process and for execs.</summary>
    Exit,

    /// <summary>/tasks/delete (TaskDelete), only when the init process is deleted (as the runc shim does).</summary>
    Delete,

    /// <summary>/tasks/exec-added (TaskExecAdded).</summary>
    ExecAdded,

    /// <summary>/tasks/exec-started (TaskExecStarted).</summary>
    ExecStarted,

    /// <summary>/tasks/oom (TaskOOM).</summary>
    Oom,

    /// <summary>/tasks/paused (TaskPaused).</summary>
    Paused,

    /// <summary>/tasks/resumed (TaskResumed).</summary>
    Resumed,
}
