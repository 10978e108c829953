using SevShim.Sandbox;

namespace SevShim.Tasks;

/// <summary>
/// One task (container) the shim serves: its init process, its execs and the pod sandbox it runs
/// in. Mutable members are guarded by the task service's state lock (TaskService._sync), except
/// <see cref="Lifecycle"/>, which serializes the slow lifecycle calls of this container (start,
/// exec, pause, resume, delete) and is taken before that lock, never while holding it.
/// </summary>
internal sealed class Container
{
    /// <summary>Creates the record of a created container.</summary>
    public Container(string id, string bundle, IReadOnlyList<RootfsMount> rootfs, StdioPaths stdio, ISandbox sandbox)
    {
        Id = id;
        Bundle = bundle;
        Rootfs = rootfs;
        Sandbox = sandbox;
        Init = new ShimProcess(ProcessKind.Init, id, string.Empty, stdio, string.Empty);
    }

    /// <summary>The task id.</summary>
    public string Id { get; }

    /// <summary>Its bundle directory.</summary>
    public string Bundle { get; }

    /// <summary>Its rootfs mounts.</summary>
    public IReadOnlyList<RootfsMount> Rootfs { get; }

    /// <summary>The pod sandbox (not owned: the task service owns it).</summary>
    public ISandbox Sandbox { get; }

    /// <summary>The init process.</summary>
    public ShimProcess Init { get; }

    /// <summary>Execs by exec id.</summary>
    public Dictionary<string, ShimProcess> Execs { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The init exit while it waits for the container's live execs to end, so that it is the
    /// container's last published exit.
    /// </summary>
    public ProcessExited? PendingInitExit { get; set; }

    /// <summary>Serializes this container's lifecycle calls to the sandbox.</summary>
    public SemaphoreSlim Lifecycle { get; } = new(1, 1);
}
