namespace SevShim.Tasks;

/// <summary>
/// Lifecycle state of a container's init process or of an exec. Mirrors containerd's
/// containerd.v1.types.Status (the adapter maps it) plus the shim-internal Deleted.
/// Execs never pause on their own: Pausing/Paused are init-only.
/// </summary>
internal enum ProcessState
{
    /// <summary>Created, not started (init: exists in the VM; exec: only recorded).</summary>
    Created,

    /// <summary>Started and not exited.</summary>
    Running,

    /// <summary>A Pause is in progress (init only).</summary>
    Pausing,

    /// <summary>Frozen (init only).</summary>
    Paused,

    /// <summary>Exited (or never ran and can only be deleted); exit status known.</summary>
    Stopped,

    /// <summary>Deleted; the process is gone from the shim's tables.</summary>
    Deleted,
}
