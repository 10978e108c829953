using SevShim.Agent;
using SevShim.Errors;

namespace SevShim.Sandbox;

/// <summary>Process and container operations of the QEMU sandbox that map one to one onto agent calls.</summary>
internal sealed partial class QemuSandbox
{
    /// <inheritdoc/>
    public Task SignalAsync(string containerId, string execId, uint signal, bool all, CancellationToken cancellationToken)
    {
        Find(containerId);
        return CallAsync(t => _agent.SignalAsync(new GuestProcessId(containerId, execId), signal, all, t), cancellationToken);
    }

    /// <inheritdoc/>
    public Task ResizePtyAsync(string containerId, string execId, uint width, uint height, CancellationToken cancellationToken)
    {
        Find(containerId);
        return CallAsync(t => _agent.ResizeTtyAsync(new GuestProcessId(containerId, execId), width, height, t), cancellationToken);
    }

    /// <inheritdoc/>
    public Task CloseStdinAsync(string containerId, string execId, CancellationToken cancellationToken)
    {
        Find(containerId);
        var process = _processes.Find(new GuestProcessId(containerId, execId))
            ?? throw new ShimException(ShimErrorKind.NotFound, $"sevshim: process {containerId}/{execId} does not exist");

        // The stdin pump sends EOF to the agent (CloseStdin) once the FIFO reports it.
        process.Io.CloseStdin();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task PauseContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        Find(containerId);
        return CallAsync(t => _agent.PauseContainerAsync(containerId, t), cancellationToken);
    }

    /// <inheritdoc/>
    public Task ResumeContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        Find(containerId);
        return CallAsync(t => _agent.ResumeContainerAsync(containerId, t), cancellationToken);
    }

    /// <inheritdoc/>
    public Task UpdateResourcesAsync(string containerId, string resourcesJson, IReadOnlyDictionary<string, string> annotations, CancellationToken cancellationToken)
    {
        Find(containerId);

        // Only annotations changed: nothing in the guest depends on them.
        return string.IsNullOrEmpty(resourcesJson)
            ? Task.CompletedTask
            : CallAsync(t => _agent.UpdateContainerAsync(containerId, resourcesJson, t), cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<ContainerStats?> GetStatsAsync(string containerId, CancellationToken cancellationToken)
    {
        Find(containerId);
        return await CallAsync(t => _agent.StatsContainerAsync(containerId, t), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<uint>> ListPidsAsync(string containerId, CancellationToken cancellationToken)
    {
        Find(containerId);
        var count = await CallAsync(t => _agent.CountProcessesAsync(containerId, t), cancellationToken).ConfigureAwait(false);

        // One row per guest process, each with QEMU's pid: the count is the guest's (CRI sums it
        // for PodSandboxStats), and no guest pid reaches the host, where it would name some other
        // process to whoever kills or nsenters it (ARCHITECTURE decision 14).
        return Enumerable.Repeat(HostPid, count).ToList();
    }
}
