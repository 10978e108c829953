using SevShim.Errors;
using SevShim.Events;
using SevShim.Sandbox;

namespace SevShim.Tasks;

/// <summary>
/// Exit handling: one loop per sandbox reads its exit/OOM notifications in order. Ordering rules
/// (SHIM-PROTOCOL.md 3.2, runc shim handleInitExit) are made structural here: an exit that races
/// its Start waits until the start event is queued; an exit event is published only for a
/// process whose start event was; the init exit waits until the container's execs have ended.
/// </summary>
internal sealed partial class TaskService
{
    // The exit status given to execs that never ran when their container's init exits, and the
    // one containerd itself uses for an unknown exit (containerd's UnknownExitStatus).
    private const uint UnknownExitStatus = 255;

    // 128 + SIGKILL: the status of execs that outlived their init's grace period.
    private const uint KilledExitStatus = 137;

    private const uint SigKill = 9;

    private async Task RunExitLoopAsync(ISandbox sandbox)
    {
        try
        {
            await foreach (var notification in sandbox.Events.ReadAllAsync().ConfigureAwait(false))
            {
                lock (_sync)
                {
                    HandleSandboxEventLocked(notification);
                }
            }
        }
        catch (Exception ex) when (ex is ShimException or IOException or InvalidOperationException or OperationCanceledException)
        {
            _logger.Error(ex, "The sandbox's exit notifications failed; exits are no longer observed");
        }
    }

    private void HandleSandboxEventLocked(SandboxEvent notification)
    {
        if (!_containers.TryGetValue(notification.ContainerId, out var container))
        {
            _logger.Debug("Ignoring {Notification} for unknown task {ContainerId}", notification.GetType().Name, notification.ContainerId);
            return;
        }

        switch (notification)
        {
            case ProcessExited exited:
                ShimProcess? process = exited.ExecId.Length == 0
                    ? container.Init
                    : container.Execs.GetValueOrDefault(exited.ExecId);
                if (process is null)
                {
                    _logger.Debug("Ignoring the exit of unknown exec {ExecId} of task {ContainerId}", exited.ExecId, exited.ContainerId);
                    return;
                }

                HandleExitLocked(container, process, exited);
                break;
            case OomKilled:
                _events.Publish(TaskEvent.Oom(container.Id));
                break;
        }
    }

    // Caller holds _sync.
    private void HandleExitLocked(Container container, ShimProcess process, ProcessExited exit)
    {
        if (process.StartInFlight)
        {
            process.PendingExit = exit;
            return;
        }

        if (!process.Machine.CanApply(ProcessOperation.Exit) || (process.Kind == ProcessKind.Init && container.PendingInitExit is not null))
        {
            _logger.Debug("Ignoring a repeated exit of {Process} of task {ContainerId}", Describe(process.ExecId), container.Id);
            return;
        }

        if (process.Kind == ProcessKind.Exec)
        {
            RecordExitLocked(container, process, exit.Pid, exit.ExitStatus, exit.ExitedAt);
            TryFinishInitExitLocked(container);
            return;
        }

        container.PendingInitExit = exit;
        if (!TryFinishInitExitLocked(container))
        {
            var live = container.Execs.Values.Where(e => e.IsLive).Select(e => e.ExecId).ToList();
            _ = Task.Run(() => KillExecsAfterInitExitAsync(container, live), CancellationToken.None);
        }
    }

    // Caller holds _sync. Publishes the init exit once no exec of the container is live.
    private bool TryFinishInitExitLocked(Container container)
    {
        if (container.PendingInitExit is not { } exit || container.Execs.Values.Any(e => e.IsLive))
        {
            return false;
        }

        foreach (var exec in container.Execs.Values.Where(e => e.Machine.State == ProcessState.Created))
        {
            RecordExitLocked(container, exec, 0, UnknownExitStatus, exit.ExitedAt);
        }

        container.PendingInitExit = null;
        RecordExitLocked(container, container.Init, exit.Pid, exit.ExitStatus, exit.ExitedAt);
        return true;
    }

    // Caller holds _sync.
    private void RecordExitLocked(Container container, ShimProcess process, uint pid, uint exitStatus, DateTimeOffset exitedAt)
    {
        if (process.Pid == 0)
        {
            process.Pid = pid;
        }

        process.Machine.Apply(ProcessOperation.Exit);
        process.ExitStatus = exitStatus;
        process.ExitedAt = exitedAt;
        if (process.StartPublished)
        {
            _events.Publish(TaskEvent.Exited(container.Id, process.ExecId, process.Pid, exitStatus, exitedAt));
        }

        process.Exited.TrySetResult(new ExitResult(process.Pid, exitStatus, exitedAt));
        _logger.Information(
            "{Process} of task {ContainerId} exited with status {ExitStatus}",
            Describe(process.ExecId),
            container.Id,
            exitStatus);
    }

    // The init process died while execs were live: kill them (the VM normally does this already,
    // the pid namespace is gone), then give them InitExitGrace before recording them as killed.
    private async Task KillExecsAfterInitExitAsync(Container container, IReadOnlyList<string> execIds)
    {
        foreach (var execId in execIds)
        {
            try
            {
                await container.Sandbox.SignalAsync(container.Id, execId, SigKill, false, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ShimException or ObjectDisposedException or InvalidOperationException or IOException)
            {
                _logger.Debug(ex, "Killing exec {ExecId} of task {ContainerId} after its init exited failed", execId, container.Id);
            }
        }

        try
        {
            await Task.Delay(_options.InitExitGrace, _options.Time).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        lock (_sync)
        {
            if (container.PendingInitExit is null)
            {
                return;
            }

            var now = _options.Time.GetUtcNow();
            foreach (var exec in container.Execs.Values.Where(e => e.IsLive))
            {
                var killed = new ProcessExited(container.Id, exec.ExecId, exec.Pid, KilledExitStatus, now);
                if (exec.StartInFlight)
                {
                    exec.PendingExit ??= killed;
                }
                else
                {
                    _logger.Warning("Exec {ExecId} of task {ContainerId} reported no exit after its init exited; recording it as killed", exec.ExecId, container.Id);
                    RecordExitLocked(container, exec, exec.Pid, KilledExitStatus, now);
                }
            }

            TryFinishInitExitLocked(container);
        }
    }

    private Container GetContainer(string id)
    {
        lock (_sync)
        {
            return FindContainerLocked(id);
        }
    }

    // Caller holds _sync.
    private Container FindContainerLocked(string id) =>
        _containers.TryGetValue(id, out var container)
            ? container
            : throw new ShimException(ShimErrorKind.NotFound, $"sevshim: task {id} not found");

    // Caller holds _sync. A container looked up before waiting for its Lifecycle may be gone since.
    private void EnsureStillPresentLocked(Container container)
    {
        if (!_containers.TryGetValue(container.Id, out var current) || !ReferenceEquals(current, container))
        {
            throw new ShimException(ShimErrorKind.NotFound, $"sevshim: task {container.Id} not found (it was deleted)");
        }
    }

    // Caller holds _sync.
    private ShimProcess FindProcessLocked(string id, string execId)
    {
        var container = FindContainerLocked(id);
        if (execId.Length == 0)
        {
            return container.Init;
        }

        return container.Execs.TryGetValue(execId, out var exec)
            ? exec
            : throw new ShimException(ShimErrorKind.NotFound, $"sevshim: exec {execId} of task {id} not found");
    }
}
