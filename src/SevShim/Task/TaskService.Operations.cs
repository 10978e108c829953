using SevShim.Errors;
using SevShim.Events;
using SevShim.Sandbox;

namespace SevShim.Tasks;

/// <summary>The task API's operations on existing processes: signals, pause, io, resources, stats.</summary>
internal sealed partial class TaskService
{
    /// <summary>Kill: sends a signal; <paramref name="all"/> signals every process of the container.</summary>
    public async Task KillAsync(string id, string execId, uint signal, bool all, CancellationToken cancellationToken)
    {
        await _options.Failpoints.HitAsync("kill", cancellationToken).ConfigureAwait(false);
        Task startSettled;
        lock (_sync)
        {
            var process = FindProcessLocked(id, execId);
            // An exec being started is refused in created state only once its start has ended
            // (failed): until then its process may already run, as the runc shim assumes.
            startSettled = process.Machine.CanApply(ProcessOperation.Kill) ? Task.CompletedTask : process.StartSettled;
        }

        await startSettled.WaitAsync(cancellationToken).ConfigureAwait(false);
        ISandbox sandbox;
        lock (_sync)
        {
            var container = FindContainerLocked(id);
            FindProcessLocked(id, execId).Machine.Ensure(ProcessOperation.Kill);
            sandbox = container.Sandbox;
        }

        _logger.Debug("Signal {Signal} to {Process} of task {ContainerId} (all={All})", signal, Describe(execId), id, all);
        await sandbox.SignalAsync(id, execId, signal, all, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pause: freezes the container (pausing, then paused; publishes /tasks/paused).</summary>
    public async Task PauseAsync(string id, CancellationToken cancellationToken)
    {
        var container = GetContainer(id);
        await container.Lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_sync)
            {
                EnsureStillPresentLocked(container);
                container.Init.Machine.Apply(ProcessOperation.Pause);
            }

            try
            {
                await container.Sandbox.PauseContainerAsync(id, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                lock (_sync)
                {
                    if (container.Init.Machine.State == ProcessState.Pausing)
                    {
                        container.Init.Machine.Apply(ProcessOperation.PauseFailed);
                    }
                }

                throw;
            }

            lock (_sync)
            {
                // The task may have exited meanwhile (pausing -> stopped); then there is nothing to report.
                if (container.Init.Machine.State == ProcessState.Pausing)
                {
                    container.Init.Machine.Apply(ProcessOperation.PauseDone);
                    _events.Publish(TaskEvent.Paused(id));
                }
            }
        }
        finally
        {
            container.Lifecycle.Release();
        }
    }

    /// <summary>Resume: thaws a paused container (publishes /tasks/resumed).</summary>
    public async Task ResumeAsync(string id, CancellationToken cancellationToken)
    {
        var container = GetContainer(id);
        await container.Lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_sync)
            {
                EnsureStillPresentLocked(container);
                container.Init.Machine.Ensure(ProcessOperation.Resume);
            }

            await container.Sandbox.ResumeContainerAsync(id, cancellationToken).ConfigureAwait(false);
            lock (_sync)
            {
                if (container.Init.Machine.State == ProcessState.Paused)
                {
                    container.Init.Machine.Apply(ProcessOperation.Resume);
                    _events.Publish(TaskEvent.Resumed(id));
                }
            }
        }
        finally
        {
            container.Lifecycle.Release();
        }
    }

    /// <summary>Pids: the pids of the container's processes.</summary>
    public async Task<IReadOnlyList<uint>> PidsAsync(string id, CancellationToken cancellationToken)
    {
        var container = GetContainer(id);
        return await container.Sandbox.ListPidsAsync(id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>CloseIO: with <paramref name="stdin"/>, closes the process's stdin so it reads EOF.</summary>
    public async Task CloseIOAsync(string id, string execId, bool stdin, CancellationToken cancellationToken)
    {
        ISandbox sandbox;
        lock (_sync)
        {
            var container = FindContainerLocked(id);
            FindProcessLocked(id, execId).Machine.Ensure(ProcessOperation.CloseIO);
            sandbox = container.Sandbox;
        }

        if (stdin)
        {
            await sandbox.CloseStdinAsync(id, execId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>ResizePty: resizes the process's terminal.</summary>
    public async Task ResizePtyAsync(string id, string execId, uint width, uint height, CancellationToken cancellationToken)
    {
        ISandbox sandbox;
        lock (_sync)
        {
            var container = FindContainerLocked(id);
            var process = FindProcessLocked(id, execId);
            process.Machine.Ensure(ProcessOperation.ResizePty);
            if (process.Machine.State == ProcessState.Stopped)
            {
                // Legal (ProcessTransitions) and a no-op: the terminal is gone.
                return;
            }

            sandbox = container.Sandbox;
        }

        await sandbox.ResizePtyAsync(id, execId, width, height, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Update: new resource limits (OCI LinuxResources JSON) and annotations.</summary>
    public async Task UpdateAsync(
        string id,
        string resourcesJson,
        IReadOnlyDictionary<string, string> annotations,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resourcesJson);
        ArgumentNullException.ThrowIfNull(annotations);
        ISandbox sandbox;
        lock (_sync)
        {
            var container = FindContainerLocked(id);
            container.Init.Machine.Ensure(ProcessOperation.Update);
            sandbox = container.Sandbox;
        }

        await sandbox.UpdateResourcesAsync(id, resourcesJson, annotations, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stats: the container's cgroup v2 counters; NotFound when there are none, which containerd
    /// skips quietly (SHIM-PROTOCOL.md 2.4).
    /// </summary>
    public async Task<ContainerStats> StatsAsync(string id, CancellationToken cancellationToken)
    {
        var container = GetContainer(id);
        var stats = await container.Sandbox.GetStatsAsync(id, cancellationToken).ConfigureAwait(false);
        return stats ?? throw new ShimException(ShimErrorKind.NotFound, $"sevshim: no cgroup metrics are available for task {id}");
    }

    /// <summary>Checkpoint: not supported (the shim README requires Unimplemented).</summary>
    public Task CheckpointAsync(string id, string path, CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            FindContainerLocked(id);
        }

        throw new ShimException(
            ShimErrorKind.Unimplemented,
            $"sevshim: cannot checkpoint task {id} to {path}: checkpointing a container inside a pod VM is not supported");
    }
}
