using System.Globalization;
using System.Runtime.InteropServices;
using SevAgent.Errors;
using SevAgent.Native;
using SevRuntime.Posix;

namespace SevAgent.Containers;

/// <summary>
/// The process table of the agent's containers: execs (started through `crun exec --detach`),
/// signals, waits and the removal of exited execs. Container lifecycle is
/// <see cref="ContainerManager"/>'s; both share the <see cref="ContainerRegistry"/>.
/// </summary>
internal sealed class ContainerProcesses
{
    private readonly ContainerRegistry _registry;
    private readonly Crun _crun;
    private readonly ProcessLauncher _launcher;

    public ContainerProcesses(ContainerRegistry registry, Crun crun, ProcessLauncher launcher)
    {
        _registry = registry;
        _crun = crun;
        _launcher = launcher;
    }

    /// <summary>Starts an exec in a running container and returns its pid.</summary>
    public async Task<int> ExecAsync(ExecSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var container = _registry.Get(spec.ContainerId);
        PathGuard.CheckId(spec.ExecId, "exec_id");
        if (spec.Stdio.Terminal && spec.Stdio.Stderr)
        {
            throw AgentException.InvalidArgument($"exec {spec.ExecId}: a terminal has one output stream; set stdio.stderr=false");
        }

        var processJson = SpecRewriter.RewriteProcess(spec.ProcessJson, spec.Stdio.Terminal);
        await container.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var process = new ContainerProcess(container.Id, spec.ExecId, spec.Stdio.Terminal);
        try
        {
            container.RequireState("exec into", ContainerState.Running);
            lock (container.Sync)
            {
                if (!container.Execs.TryAdd(spec.ExecId, process))
                {
                    throw AgentException.AlreadyExists(
                        $"exec {spec.ExecId} already exists in container {container.Id}: use another exec id or DeleteProcess it");
                }
            }

            var processFile = Path.Combine(container.BundleDir, $"exec-{spec.ExecId}.json");
            var pidFile = Path.Combine(container.BundleDir, $"exec-{spec.ExecId}.pid");
            File.Delete(pidFile);
            await File.WriteAllTextAsync(processFile, processJson, cancellationToken).ConfigureAwait(false);
            var args = new List<string> { "exec", "--detach", "--process", processFile, "--pid-file", pidFile, container.Id };
            return await _launcher.LaunchAsync(
                process, spec.Stdio, args, pidFile, Path.Combine(container.BundleDir, $"exec-{spec.ExecId}.log"),
                $"exec {spec.ExecId} in container {container.Id}", container, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            lock (container.Sync)
            {
                // Only our own entry, never the process that made this call fail with AlreadyExists.
                if (process.Pid == 0 && container.Execs.TryGetValue(spec.ExecId, out var entry) && ReferenceEquals(entry, process))
                {
                    container.Execs.Remove(spec.ExecId);
                }
            }

            throw;
        }
        finally
        {
            container.Gate.Release();
        }
    }

    /// <summary>Signals one process, or every process of the container through crun.</summary>
    public async Task SignalAsync(SignalTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Signal is 0 or > 64)
        {
            throw AgentException.InvalidArgument($"signal {target.Signal} is not a signal number (1..64)");
        }

        if (target.All)
        {
            var container = _registry.Get(target.ContainerId);
            if (target.ExecId.Length > 0)
            {
                throw AgentException.InvalidArgument("all=true signals every process of the container: leave exec_id empty");
            }

            if (container.CreatedByCrun && !container.Init.HasExited)
            {
                await _crun.RunAsync(
                    $"signal container {container.Id}", ["kill", "--all", container.Id, target.Signal.ToString(CultureInfo.InvariantCulture)], cancellationToken)
                    .ConfigureAwait(false);
            }

            return;
        }

        var process = _registry.GetProcess(target.ContainerId, target.ExecId);
        // A process that exited meanwhile (ESRCH) has had the signal's effect already.
        if (process.Pid > 0 && !process.HasExited && LibC.kill(process.Pid, (int)target.Signal) < 0 &&
            Marshal.GetLastPInvokeError() != Posix.ESRCH)
        {
            throw AgentException.Internal($"signalling {process.Name} failed: {Posix.LastError()}");
        }
    }

    /// <summary>Waits for the exit of a process; also returns its pid.</summary>
    public async Task<(ExitInfo Exit, int Pid)> WaitAsync(string id, string execId, CancellationToken cancellationToken)
    {
        var process = _registry.GetProcess(id, execId);
        var exit = await process.Exited.WaitAsync(cancellationToken).ConfigureAwait(false);
        return (exit, process.Pid);
    }

    /// <summary>Forgets an exec that has exited.</summary>
    public void DeleteProcess(string id, string execId)
    {
        if (execId.Length == 0)
        {
            throw AgentException.InvalidArgument("DeleteProcess is for exec processes: give exec_id (use DeleteContainer for the init process)");
        }

        var container = _registry.Get(id);
        var process = _registry.GetProcess(id, execId);
        if (!process.HasExited)
        {
            throw AgentException.FailedPrecondition($"{process.Name} is still running: signal it and wait first");
        }

        lock (container.Sync)
        {
            container.Execs.Remove(execId);
        }
    }

    /// <summary>The process named by (container, exec id); NOT_FOUND names which part is unknown.</summary>
    public ContainerProcess Get(string id, string execId) => _registry.GetProcess(id, execId);
}
