using System.Threading.Channels;

namespace SevShim.Sandbox;

/// <summary>
/// The pod's VM as the task service sees it: container and process operations on domain types.
/// One instance per pod; the task service owns it from the factory's CreateAsync until it has
/// called <see cref="ShutdownAsync"/> and <see cref="IAsyncDisposable.DisposeAsync"/> (after the
/// pod's last container is deleted, or when the shim stops).
/// Failures are reported as <see cref="Errors.ShimException"/> with a fitting kind (NotFound for
/// a process the guest no longer knows, Unavailable when the VM is gone).
/// Implementations must accept concurrent calls for different containers; the task service
/// serializes the lifecycle calls (create/start/delete/pause/resume) of one container.
/// </summary>
internal interface ISandbox : IAsyncDisposable
{
    /// <summary>
    /// Exit and OOM notifications, in the order the guest observed them. Every process the
    /// sandbox started (init or exec) produces exactly one <see cref="ProcessExited"/>, also when
    /// it was killed by the VM going away. The reader is the task service's single exit loop;
    /// the channel completes after <see cref="ShutdownAsync"/>.
    /// </summary>
    ChannelReader<SandboxEvent> Events { get; }

    /// <summary>Creates a container (its init process exists but has not started) and returns the init pid.</summary>
    Task<uint> CreateContainerAsync(ContainerCreateRequest request, CancellationToken cancellationToken);

    /// <summary>Starts the created container's init process and returns its pid.</summary>
    Task<uint> StartContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Starts an additional process in a running container and returns its pid.</summary>
    Task<uint> StartExecAsync(ExecRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Sends <paramref name="signal"/> to the init process (<paramref name="execId"/> empty) or to
    /// an exec; with <paramref name="all"/> to every process of the container.
    /// </summary>
    Task SignalAsync(string containerId, string execId, uint signal, bool all, CancellationToken cancellationToken);

    /// <summary>Resizes the process's terminal (only meaningful when it has one).</summary>
    Task ResizePtyAsync(string containerId, string execId, uint width, uint height, CancellationToken cancellationToken);

    /// <summary>Closes the process's stdin so it reads EOF.</summary>
    Task CloseStdinAsync(string containerId, string execId, CancellationToken cancellationToken);

    /// <summary>Freezes every process of the container.</summary>
    Task PauseContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Thaws the container.</summary>
    Task ResumeContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>
    /// Applies new resource limits: <paramref name="resourcesJson"/> is an OCI LinuxResources
    /// JSON document (UpdateTaskRequest.resources, SHIM-PROTOCOL.md 2.3), empty when only
    /// annotations changed.
    /// </summary>
    Task UpdateResourcesAsync(
        string containerId,
        string resourcesJson,
        IReadOnlyDictionary<string, string> annotations,
        CancellationToken cancellationToken);

    /// <summary>The container's cgroup counters, or null when the guest has none for it.</summary>
    Task<ContainerStats?> GetStatsAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>The pids of every process of the container, as the shim reports them.</summary>
    Task<IReadOnlyList<uint>> ListPidsAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Removes a container whose init process has exited (or never started) from the VM.</summary>
    Task DeleteContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>
    /// Forgets an exited exec: releases its host-side stdio (pumps, FIFOs) and the guest's record
    /// of it, so a container that serves many execs (probes) keeps nothing per exec and the id can
    /// be used again. Unknown ids are ignored.
    /// </summary>
    Task DeleteExecAsync(string containerId, string execId, CancellationToken cancellationToken);

    /// <summary>Stops the VM and releases what it holds; completes <see cref="Events"/>.</summary>
    Task ShutdownAsync(CancellationToken cancellationToken);
}
