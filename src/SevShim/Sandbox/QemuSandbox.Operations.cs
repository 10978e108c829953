using SevShim.Errors;
using Proto = SevAgent.Protocol.V1;

namespace SevShim.Sandbox;

/// <summary>Process and container operations of the QEMU sandbox that map one to one onto agent calls.</summary>
internal sealed partial class QemuSandbox
{
    /// <inheritdoc/>
    public async Task SignalAsync(string containerId, string execId, uint signal, bool all, CancellationToken cancellationToken)
    {
        Find(containerId);
        await CallAsync(
            $"signalling {containerId}/{execId}",
            t => _agent.Raw.SignalProcessAsync(new Proto.SignalProcessRequest { ContainerId = containerId, ExecId = execId, Signal = signal, All = all }, cancellationToken: t),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task ResizePtyAsync(string containerId, string execId, uint width, uint height, CancellationToken cancellationToken)
    {
        Find(containerId);
        await CallAsync(
            $"resizing the terminal of {containerId}/{execId}",
            t => _agent.Raw.ResizeTtyAsync(new Proto.ResizeTtyRequest { ContainerId = containerId, ExecId = execId, Width = width, Height = height }, cancellationToken: t),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public Task CloseStdinAsync(string containerId, string execId, CancellationToken cancellationToken)
    {
        var container = Find(containerId);
        if (!container.Processes.TryGetValue(execId, out var process))
        {
            throw new ShimException(ShimErrorKind.NotFound, $"sevshim: process {containerId}/{execId} does not exist");
        }

        // The stdin pump sends EOF to the agent (CloseStdin) once the FIFO reports it.
        process.Io.CloseStdin();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task PauseContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        Find(containerId);
        await CallAsync(
            $"pausing {containerId}",
            t => _agent.Raw.PauseContainerAsync(new Proto.PauseContainerRequest { ContainerId = containerId }, cancellationToken: t),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task ResumeContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        Find(containerId);
        await CallAsync(
            $"resuming {containerId}",
            t => _agent.Raw.ResumeContainerAsync(new Proto.ResumeContainerRequest { ContainerId = containerId }, cancellationToken: t),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task UpdateResourcesAsync(string containerId, string resourcesJson, IReadOnlyDictionary<string, string> annotations, CancellationToken cancellationToken)
    {
        Find(containerId);
        if (string.IsNullOrEmpty(resourcesJson))
        {
            // Only annotations changed: nothing in the guest depends on them.
            return;
        }

        await CallAsync(
            $"updating the resources of {containerId}",
            t => _agent.Raw.UpdateContainerAsync(new Proto.UpdateContainerRequest { ContainerId = containerId, ResourcesJson = resourcesJson }, cancellationToken: t),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<ContainerStats?> GetStatsAsync(string containerId, CancellationToken cancellationToken)
    {
        Find(containerId);
        var stats = await CallAsync(
            $"reading the stats of {containerId}",
            t => _agent.Raw.StatsContainerAsync(new Proto.StatsContainerRequest { ContainerId = containerId }, cancellationToken: t),
            cancellationToken).ConfigureAwait(false);
        return QemuStatsMapper.ToDomain(stats);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<uint>> ListPidsAsync(string containerId, CancellationToken cancellationToken)
    {
        Find(containerId);
        var response = await CallAsync(
            $"listing the processes of {containerId}",
            t => _agent.Raw.ListProcessesAsync(new Proto.ListProcessesRequest { ContainerId = containerId }, cancellationToken: t),
            cancellationToken).ConfigureAwait(false);
        // One row per guest process, each with QEMU's pid: the count is the guest's (CRI sums it
        // for PodSandboxStats), and no guest pid reaches the host, where it would name some other
        // process to whoever kills or nsenters it (ARCHITECTURE decision 14).
        return response.Pids.Select(_ => HostPid).ToList();
    }
}
