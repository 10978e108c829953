using SevShim.Network;
using SevShim.Rootfs;
using SevShim.Sandbox;

namespace SevShim.Agent;

/// <summary>
/// The pod VM's agent as the shim's domain sees it (ARCHITECTURE "Layout": the agent contract's
/// proto types stay behind this seam, in <see cref="GuestAgent"/>). Every failure is a
/// <see cref="Errors.ShimException"/> whose kind follows the agent's status code
/// (<see cref="AgentErrors"/>) and whose message names the operation and keeps the agent's
/// words. Pids returned are the guest's: they never leave the sandbox (decision 14).
/// Thread-safe; calls for different processes run concurrently.
/// </summary>
internal interface IGuestAgent : IDisposable
{
    /// <summary>The guest's kernel, size, agent version and memory-encryption evidence.</summary>
    Task<GuestInfo> GetGuestInfoAsync(CancellationToken cancellationToken);

    /// <summary>An SEV-SNP attestation report binding <paramref name="reportData"/> (64 bytes), with the host's certificate table.</summary>
    Task<GuestAttestationReport> GetAttestationReportAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken);

    /// <summary>Configures the pod's NICs, addresses and routes in the guest (before the first container).</summary>
    Task ConfigureNetworkAsync(PodNetworkPlan plan, CancellationToken cancellationToken);

    /// <summary>Creates the container (its init exists, not started); returns the init's guest pid.</summary>
    Task<uint> CreateContainerAsync(GuestContainerSpec spec, CancellationToken cancellationToken);

    /// <summary>Starts the created container's init; returns its guest pid.</summary>
    Task<uint> StartContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Starts an exec; returns its guest pid.</summary>
    Task<uint> ExecProcessAsync(GuestExecSpec spec, CancellationToken cancellationToken);

    /// <summary>Signals the process, or with <paramref name="all"/> every process of its container.</summary>
    Task SignalAsync(GuestProcessId process, uint signal, bool all, CancellationToken cancellationToken);

    /// <summary>Resizes the process's terminal.</summary>
    Task ResizeTtyAsync(GuestProcessId process, uint width, uint height, CancellationToken cancellationToken);

    /// <summary>Waits for the process to exit; returns its wait status as containerd reports it.</summary>
    Task<uint> WaitProcessAsync(GuestProcessId process, CancellationToken cancellationToken);

    /// <summary>Removes the container (killing a created, never-started init).</summary>
    Task DeleteContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Forgets an exited exec.</summary>
    Task DeleteProcessAsync(GuestProcessId process, CancellationToken cancellationToken);

    /// <summary>Freezes the container.</summary>
    Task PauseContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Thaws the container.</summary>
    Task ResumeContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Applies an OCI LinuxResources JSON document to the container's cgroup.</summary>
    Task UpdateContainerAsync(string containerId, string resourcesJson, CancellationToken cancellationToken);

    /// <summary>The container's cgroup v2 counters.</summary>
    Task<ContainerStats> StatsContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>How many processes the container has.</summary>
    Task<int> CountProcessesAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Replaces the guest copy of <paramref name="volume"/> with <paramref name="entries"/>.</summary>
    Task SyncVolumeAsync(CopiedVolume volume, IReadOnlyList<VolumeEntry> entries, CancellationToken cancellationToken);

    /// <summary>Deletes every container and syncs the guest's file systems.</summary>
    Task ShutdownAsync(CancellationToken cancellationToken);

    /// <summary>The ids of containers the guest's OOM killer hit, as it happens; ends with the link.</summary>
    IAsyncEnumerable<string> OomEventsAsync(CancellationToken cancellationToken);

    /// <summary>Opens one output stream of a process.</summary>
    IGuestOutputStream OpenOutput(GuestProcessId process, GuestOutputKind kind, CancellationToken cancellationToken);

    /// <summary>Opens the stdin stream of a process.</summary>
    IGuestStdinStream OpenStdin(GuestProcessId process, CancellationToken cancellationToken);

    /// <summary>
    /// The guest's localhost listeners: the whole set each time it changes. Unimplemented when the
    /// agent predates WatchListeners.
    /// </summary>
    IAsyncEnumerable<IReadOnlyList<GuestListener>> WatchListenersAsync(CancellationToken cancellationToken);

    /// <summary>Opens a connection to <paramref name="target"/> on the guest's localhost.</summary>
    Task<IGuestPortStream> OpenPortForwardAsync(GuestListener target, CancellationToken cancellationToken);
}
