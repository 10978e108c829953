namespace SevShim.Tasks;

/// <summary>
/// What can happen to a process: the task API's operations plus the events the VM reports
/// (Exit) and the outcome of a Pause. <see cref="ProcessTransitions"/> says which are allowed in
/// which <see cref="ProcessState"/>.
/// </summary>
internal enum ProcessOperation
{
    /// <summary>Start RPC.</summary>
    Start,

    /// <summary>The process exited (reported by the VM, or synthesised when it cannot report).</summary>
    Exit,

    /// <summary>Pause RPC begins (init only).</summary>
    Pause,

    /// <summary>The VM froze the container.</summary>
    PauseDone,

    /// <summary>The VM failed to freeze the container.</summary>
    PauseFailed,

    /// <summary>Resume RPC (init only).</summary>
    Resume,

    /// <summary>Kill RPC (sends a signal; no state change by itself).</summary>
    Kill,

    /// <summary>Exec RPC: adding an exec to the container (checked on the init process).</summary>
    Exec,

    /// <summary>ResizePty RPC.</summary>
    ResizePty,

    /// <summary>CloseIO RPC.</summary>
    CloseIO,

    /// <summary>Update RPC (init only).</summary>
    Update,

    /// <summary>Delete RPC.</summary>
    Delete,
}
