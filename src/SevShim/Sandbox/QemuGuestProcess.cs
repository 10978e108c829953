using SevShim.Io;

namespace SevShim.Sandbox;

/// <summary>
/// One process the sandbox started in the guest (a container's init, or an exec): its pid, its
/// stdio pumps and whether its exit was published. Exactly one <see cref="ProcessExited"/> is
/// published per process (<see cref="TryMarkExited"/> decides who publishes: the waiter, or the
/// VM-death and shutdown paths).
/// </summary>
internal sealed class QemuGuestProcess(string containerId, string execId, ProcessIo io)
{
    private int _exited;

    /// <summary>The container.</summary>
    public string ContainerId { get; } = containerId;

    /// <summary>Empty for the init process.</summary>
    public string ExecId { get; } = execId;

    /// <summary>The stdio pumps (owned).</summary>
    public ProcessIo Io { get; } = io;

    /// <summary>The guest pid (0 until known).</summary>
    public uint Pid { get; set; }

    /// <summary>True for the one caller that gets to publish the exit.</summary>
    public bool TryMarkExited() => Interlocked.Exchange(ref _exited, 1) == 0;
}
