using SevShim.Errors;
using SevShim.Events;

namespace SevShim.Tasks;

/// <summary>Delete of tasks and execs, and the end of the pod's sandbox.</summary>
internal sealed partial class TaskService
{
    /// <summary>
    /// Delete: removes a created or stopped init process (the whole task; publishes /tasks/delete
    /// and stops the sandbox after the pod's last task) or an exec. A running process is
    /// FailedPrecondition; an unknown id NotFound (containerd treats it as benign).
    /// </summary>
    public async Task<ExitResult> DeleteAsync(string id, string execId, CancellationToken cancellationToken)
    {
        await _options.Failpoints.HitAsync(execId.Length == 0 ? "delete" : "delete.exec", cancellationToken).ConfigureAwait(false);
        if (execId.Length > 0)
        {
            return await DeleteExecAsync(id, execId, cancellationToken).ConfigureAwait(false);
        }

        await _podGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var container = GetContainer(id);
            await container.Lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                bool last;
                lock (_sync)
                {
                    EnsureStillPresentLocked(container);
                    container.Init.Machine.Ensure(ProcessOperation.Delete);
                    if (container.Init.StartInFlight)
                    {
                        throw new ShimException(ShimErrorKind.FailedPrecondition, $"sevshim: cannot delete task {id} while it is being started");
                    }

                    // _podGate is held: no task can join the pod before the teardown below.
                    last = _containers.Count == 1;
                }

                // The pod's last task takes the VM with it (TearDownSandboxAsync below): deleting
                // the container in the guest first (crun delete, unmounts) would be work thrown
                // away, 0.36 s of a `ctr run --rm` under TCG (issue 6). The agent's Shutdown stops
                // every container process and syncs, and the sandbox's stop releases the host side.
                if (!last)
                {
                    try
                    {
                        await container.Sandbox.DeleteContainerAsync(id, cancellationToken).ConfigureAwait(false);
                    }
                    catch (ShimException ex) when (ex.Kind is ShimErrorKind.NotFound or ShimErrorKind.Unavailable)
                    {
                        // The VM no longer has it (or is gone): the container is gone either way.
                        _logger.Warning(ex, "The sandbox could not delete task {ContainerId}; treating it as already gone", id);
                    }
                }

                ExitResult result;
                int remaining;
                lock (_sync)
                {
                    var init = container.Init;
                    if (init.Machine.State == ProcessState.Created)
                    {
                        // Never started: no exit was recorded; report status 0 as the runc shim does.
                        init.ExitedAt = _options.Time.GetUtcNow();
                    }

                    init.Machine.Apply(ProcessOperation.Delete);
                    result = new ExitResult(init.Pid, init.ExitStatus, init.ExitedAt);
                    init.Exited.TrySetResult(result);
                    foreach (var exec in container.Execs.Values)
                    {
                        exec.Exited.TrySetResult(new ExitResult(exec.Pid, exec.ExitStatus, exec.ExitedAt));
                    }

                    container.Execs.Clear();
                    _containers.Remove(id);
                    _events.Publish(TaskEvent.Deleted(id, result.Pid, result.ExitStatus, result.ExitedAt));
                    remaining = _containers.Count;
                }

                _logger.Information("Deleted task {ContainerId} (exit status {ExitStatus}); {Remaining} tasks remain", id, result.ExitStatus, remaining);
                if (remaining == 0)
                {
                    await TearDownSandboxAsync().ConfigureAwait(false);
                }

                return result;
            }
            finally
            {
                container.Lifecycle.Release();
            }
        }
        finally
        {
            _podGate.Release();
        }
    }

    // The runc shim publishes /tasks/delete only for the init process; an exec delete is silent.
    // The sandbox then releases what the exec held (stdio pumps and FIFOs, the guest's record).
    private async Task<ExitResult> DeleteExecAsync(string id, string execId, CancellationToken cancellationToken)
    {
        var container = GetContainer(id);
        await container.Lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ExitResult result;
            lock (_sync)
            {
                EnsureStillPresentLocked(container);
                var exec = FindProcessLocked(id, execId);
                if (exec.StartInFlight)
                {
                    throw new ShimException(ShimErrorKind.FailedPrecondition, $"sevshim: cannot delete exec {execId} of task {id} while it is being started");
                }

                exec.Machine.Apply(ProcessOperation.Delete);
                container.Execs.Remove(execId);
                result = new ExitResult(exec.Pid, exec.ExitStatus, exec.ExitedAt);
                exec.Exited.TrySetResult(result);
            }

            try
            {
                await container.Sandbox.DeleteExecAsync(id, execId, cancellationToken).ConfigureAwait(false);
            }
            catch (ShimException ex)
            {
                // The exec is deleted for containerd either way; what the guest kept is freed with the container.
                _logger.Warning(ex, "Releasing exec {ExecId} of task {ContainerId} in the sandbox failed", execId, id);
            }

            return result;
        }
        finally
        {
            container.Lifecycle.Release();
        }
    }

    // Caller holds _podGate. Stops and disposes the sandbox, then waits for its exit loop.
    private async Task TearDownSandboxAsync()
    {
        var sandbox = _sandbox;
        var exitLoop = _exitLoop;
        _sandbox = null;
        _podId = null;
        _exitLoop = null;
        if (sandbox is null)
        {
            return;
        }

        using (var timeout = new CancellationTokenSource(_options.SandboxShutdownTimeout, _options.Time))
        {
            try
            {
                await sandbox.ShutdownAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ShimException or OperationCanceledException or IOException)
            {
                _logger.Error(ex, "Stopping the pod sandbox failed; disposing it anyway");
            }
        }

        await sandbox.DisposeAsync().ConfigureAwait(false);
        if (exitLoop is not null)
        {
            await exitLoop.ConfigureAwait(false);
        }
    }
}
