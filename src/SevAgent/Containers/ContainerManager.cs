using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SevAgent.Hosting;
using SevAgent.Protocol.V1;
using SevAgent.Stats;
using SevAgent.Errors;

namespace SevAgent.Containers;

/// <summary>
/// The agent's containers: lifecycle through crun, bundles under &lt;state-dir&gt;/containers/&lt;id&gt;,
/// cgroups under /&lt;cgroup-parent&gt;/&lt;id&gt;. Errors are gRPC statuses as documented in agent.proto.
/// </summary>
internal sealed class ContainerManager
{
    private readonly Crun _crun;
    private readonly ProcessLauncher _launcher;
    private readonly RootfsMounter _mounter;
    private readonly OomMonitor _oom;
    private readonly CgroupLayout _cgroups;
    private readonly AgentOptions _options;
    private readonly ILogger<ContainerManager> _log;

    // Guards _containers (the map only; each container has its own locks).
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Container> _containers = new(StringComparer.Ordinal);

    public ContainerManager(
        Crun crun, ProcessLauncher launcher, RootfsMounter mounter, OomMonitor oom, CgroupLayout cgroups, AgentOptions options,
        ILogger<ContainerManager> log)
    {
        _crun = crun;
        _launcher = launcher;
        _mounter = mounter;
        _oom = oom;
        _cgroups = cgroups;
        _options = options;
        _log = log;
    }

    public async Task<int> CreateAsync(CreateContainerRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        PathGuard.CheckId(request.ContainerId, "container_id");
        var stdio = request.Stdio ?? new Stdio();
        if (stdio.Terminal && stdio.Stderr)
        {
            throw Invalid($"container {request.ContainerId}: a terminal has one output stream; set stdio.stderr=false");
        }

        var id = request.ContainerId;
        var bundle = Path.Combine(_options.StateDir, "containers", id);
        var container = new Container(id, bundle, $"/{_options.CgroupParent}/{id}", new ContainerProcess(id, string.Empty, stdio.Terminal));
        lock (_gate)
        {
            if (!_containers.TryAdd(id, container))
            {
                throw AgentException.AlreadyExists($"container {id} already exists: delete it first or use another id");
            }
        }

        await container.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(bundle);
            var rootfs = await PrepareRootfsAsync(request, container, cancellationToken).ConfigureAwait(false);
            var mountSources = await PrepareMountsAsync(request, container, cancellationToken).ConfigureAwait(false);
            var namespaces = NamespaceJoins.Resolve(id, request.NamespaceJoins, LiveInitPid);
            var (json, dropped) = SpecRewriter.Rewrite(
                request.OciSpecJson,
                new SpecRewrite(rootfs, request.Rootfs?.Readonly ?? false, stdio.Terminal, container.CgroupsPath, mountSources, namespaces));
            if (dropped.Count > 0)
            {
                _log.LogWarning("container {Id}: dropped mounts with host sources not mapped into the guest: {Mounts}", id, string.Join(", ", dropped));
            }

            (json, var sysctls) = PodNetworkSysctls.Extract(json);
            await PodNetworkSysctls.ApplyAsync(sysctls, "/proc/sys", cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), json, cancellationToken).ConfigureAwait(false);
            var pidFile = Path.Combine(bundle, "init.pid");
            var args = new List<string> { "create", "--bundle", bundle, "--pid-file", pidFile, id };
            var pid = await _launcher.LaunchAsync(
                container.Init, stdio, args, pidFile, Path.Combine(bundle, "crun-create.log"), $"create container {id}", container, cancellationToken)
                .ConfigureAwait(false);
            container.CreatedByCrun = true;
            _oom.Watch(id, container.CgroupsPath);
            _log.LogInformation("container {Id} created, init pid {Pid}", id, pid);
            return pid;
        }
        catch
        {
            await CleanUpAsync(container, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        finally
        {
            container.Gate.Release();
        }
    }

    public async Task<int> StartAsync(string id, CancellationToken cancellationToken)
    {
        var container = Get(id);
        await container.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            RequireState(container, "start", ContainerState.Created);
            await _crun.RunAsync($"start container {id}", ["start", id], cancellationToken).ConfigureAwait(false);
            lock (container.Sync)
            {
                if (container.State == ContainerState.Created)
                {
                    container.State = ContainerState.Running;
                }
            }

            return container.Init.Pid;
        }
        finally
        {
            container.Gate.Release();
        }
    }

    public async Task<int> ExecAsync(ExecProcessRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var container = Get(request.ContainerId);
        PathGuard.CheckId(request.ExecId, "exec_id");
        var stdio = request.Stdio ?? new Stdio();
        if (stdio.Terminal && stdio.Stderr)
        {
            throw Invalid($"exec {request.ExecId}: a terminal has one output stream; set stdio.stderr=false");
        }

        var processJson = SpecRewriter.RewriteProcess(request.ProcessJson, stdio.Terminal);
        await container.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var process = new ContainerProcess(container.Id, request.ExecId, stdio.Terminal);
        try
        {
            RequireState(container, "exec into", ContainerState.Running);
            lock (container.Sync)
            {
                if (!container.Execs.TryAdd(request.ExecId, process))
                {
                    throw AgentException.AlreadyExists($"exec {request.ExecId} already exists in container {container.Id}: use another exec id or DeleteProcess it");
                }
            }

            var processFile = Path.Combine(container.BundleDir, $"exec-{request.ExecId}.json");
            var pidFile = Path.Combine(container.BundleDir, $"exec-{request.ExecId}.pid");
            File.Delete(pidFile);
            await File.WriteAllTextAsync(processFile, processJson, cancellationToken).ConfigureAwait(false);
            var args = new List<string> { "exec", "--detach", "--process", processFile, "--pid-file", pidFile, container.Id };
            return await _launcher.LaunchAsync(
                process, stdio, args, pidFile, Path.Combine(container.BundleDir, $"exec-{request.ExecId}.log"),
                $"exec {request.ExecId} in container {container.Id}", container, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            lock (container.Sync)
            {
                // Only our own entry, never the process that made this call fail with AlreadyExists.
                if (process.Pid == 0 && container.Execs.TryGetValue(request.ExecId, out var entry) && ReferenceEquals(entry, process))
                {
                    container.Execs.Remove(request.ExecId);
                }
            }

            throw;
        }
        finally
        {
            container.Gate.Release();
        }
    }

    public async Task SignalAsync(SignalProcessRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Signal is 0 or > 64)
        {
            throw Invalid($"signal {request.Signal} is not a signal number (1..64)");
        }

        if (request.All)
        {
            var container = Get(request.ContainerId);
            if (request.ExecId.Length > 0)
            {
                throw Invalid("all=true signals every process of the container: leave exec_id empty");
            }

            if (container.CreatedByCrun && !container.Init.HasExited)
            {
                await _crun.RunAsync($"signal container {container.Id}", ["kill", "--all", container.Id, request.Signal.ToString(CultureInfo.InvariantCulture)], cancellationToken)
                    .ConfigureAwait(false);
            }

            return;
        }

        var process = GetProcess(request.ContainerId, request.ExecId);
        if (process.Pid > 0 && !process.HasExited && Native.LibC.kill(process.Pid, (int)request.Signal) < 0 &&
            System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != Native.LibC.ESRCH)
        {
            throw AgentException.Internal($"signalling {process.Name} failed: {Native.LibC.LastError()}");
        }
    }

    public async Task<(ExitInfo Exit, int Pid)> WaitAsync(string id, string execId, CancellationToken cancellationToken)
    {
        var process = GetProcess(id, execId);
        var exit = await process.Exited.WaitAsync(cancellationToken).ConfigureAwait(false);
        return (exit, process.Pid);
    }

    public async Task DeleteAsync(string id, bool force, CancellationToken cancellationToken)
    {
        var container = Get(id);
        await container.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (container.Sync)
            {
                if (!force && container.State is ContainerState.Running or ContainerState.Paused)
                {
                    throw AgentException.FailedPrecondition($"container {id} is {container.State.ToString().ToLowerInvariant()}: stop it first or delete with force");
                }
            }

            await CleanUpAsync(container, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            container.Gate.Release();
        }
    }

    public void DeleteProcess(string id, string execId)
    {
        if (execId.Length == 0)
        {
            throw Invalid("DeleteProcess is for exec processes: give exec_id (use DeleteContainer for the init process)");
        }

        var container = Get(id);
        var process = GetProcess(id, execId);
        if (!process.HasExited)
        {
            throw AgentException.FailedPrecondition($"{process.Name} is still running: signal it and wait first");
        }

        lock (container.Sync)
        {
            container.Execs.Remove(execId);
        }
    }

    public async Task PauseResumeAsync(string id, bool pause, CancellationToken cancellationToken)
    {
        var container = Get(id);
        await container.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            RequireState(container, pause ? "pause" : "resume", pause ? ContainerState.Running : ContainerState.Paused);
            await _crun.RunAsync($"{(pause ? "pause" : "resume")} container {id}", [pause ? "pause" : "resume", id], cancellationToken)
                .ConfigureAwait(false);
            lock (container.Sync)
            {
                if (container.State != ContainerState.Stopped)
                {
                    container.State = pause ? ContainerState.Paused : ContainerState.Running;
                }
            }
        }
        finally
        {
            container.Gate.Release();
        }
    }

    public async Task UpdateAsync(string id, string resourcesJson, CancellationToken cancellationToken)
    {
        var container = Get(id);
        var json = SpecRewriter.CheckResources(resourcesJson);
        await container.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            RequireState(container, "update", ContainerState.Created, ContainerState.Running, ContainerState.Paused);
            var file = Path.Combine(container.BundleDir, "resources.json");
            await File.WriteAllTextAsync(file, json, cancellationToken).ConfigureAwait(false);
            await _crun.RunAsync($"update container {id}", ["update", "--resources", file, id], cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            container.Gate.Release();
        }
    }

    public ContainerStats Stats(string id)
    {
        var container = Get(id);
        if (!container.CreatedByCrun || !Directory.Exists(_cgroups.Directory(container.CgroupsPath, "memory")))
        {
            throw AgentException.FailedPrecondition($"container {id} has no cgroup (not created by crun yet, or removed)");
        }

        return CgroupStatsReader.Read(_cgroups, container.CgroupsPath);
    }

    public async Task<List<int>> ListProcessesAsync(string id, CancellationToken cancellationToken)
    {
        var container = Get(id);
        RequireState(container, "list the processes of", ContainerState.Created, ContainerState.Running, ContainerState.Paused);
        var output = await _crun.RunAsync($"list processes of container {id}", ["ps", "--format", "json", id], cancellationToken).ConfigureAwait(false);
        return JsonNode.Parse(output) is JsonArray pids ? pids.Select(p => p!.GetValue<int>()).ToList() : [];
    }

    /// <summary>The process named by (container, exec id); NOT_FOUND names which part is unknown.</summary>
    public ContainerProcess GetProcess(string id, string execId)
    {
        var container = Get(id);
        if (execId.Length == 0)
        {
            return container.Init;
        }

        lock (container.Sync)
        {
            return container.Execs.TryGetValue(execId, out var process)
                ? process
                : throw AgentException.NotFound($"exec {execId} not found in container {id}");
        }
    }

    /// <summary>Before power-off: kills every container process at once, else deletes each container.</summary>
    public async Task StopAllForPowerOffAsync(CancellationToken cancellationToken)
    {
        if (!PowerOffKill.TryKillAll(_cgroups, _options.CgroupParent, _log))
        {
            await DeleteAllAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Kills and deletes every container (the agent's own stop outside a VM).</summary>
    public async Task DeleteAllAsync(CancellationToken cancellationToken)
    {
        List<Container> all;
        lock (_gate)
        {
            all = [.. _containers.Values];
        }

        foreach (var container in all)
        {
            try
            {
                await DeleteAsync(container.Id, force: true, cancellationToken).ConfigureAwait(false);
            }
            catch (AgentException e)
            {
                _log.LogWarning("shutdown: deleting container {Id} failed: {Error}", container.Id, e.Message);
            }
        }
    }

    private Container Get(string id)
    {
        lock (_gate)
        {
            return _containers.TryGetValue(id, out var container)
                ? container
                : throw AgentException.NotFound($"container {id} not found: create it first");
        }
    }

    // The init pid of a container whose namespaces another one joins: it must still run (a
    // namespace dies with its last process, and a reused pid would name another's).
    private int LiveInitPid(string id)
    {
        var target = Get(id);
        lock (target.Sync)
        {
            if (target.Init.Pid <= 0 || target.Init.HasExited || target.State is not (ContainerState.Created or ContainerState.Running or ContainerState.Paused))
            {
                throw AgentException.FailedPrecondition($"container {id} is {target.State.ToString().ToLowerInvariant()}: its namespaces can be joined only while its init process runs");
            }

            return target.Init.Pid;
        }
    }

    private async Task<string> PrepareRootfsAsync(CreateContainerRequest request, Container container, CancellationToken cancellationToken)
    {
        var rootfs = request.Rootfs ?? throw Invalid($"container {container.Id}: rootfs is missing: give rootfs.shared or rootfs.scsi");
        switch (rootfs.SourceCase)
        {
            case Rootfs.SourceOneofCase.Shared:
                return await _mounter.ResolveSharedAsync(rootfs.Shared.Path, "rootfs.shared.path", cancellationToken).ConfigureAwait(false);
            case Rootfs.SourceOneofCase.Scsi:
                var target = Path.Combine(container.BundleDir, "rootfs");
                await _mounter.MountScsiAsync(rootfs.Scsi, target, rootfs.Readonly, $"container {container.Id} rootfs", cancellationToken).ConfigureAwait(false);
                container.Mounts.Add(target);
                return target;
            default:
                throw Invalid($"container {container.Id}: rootfs has no source: give rootfs.shared or rootfs.scsi");
        }
    }

    private async Task<Dictionary<string, string>> PrepareMountsAsync(CreateContainerRequest request, Container container, CancellationToken cancellationToken)
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var mount in request.GuestMounts)
        {
            var what = $"guest_mounts[{index}] ({mount.Destination})";
            sources[mount.Destination] = mount.SourceCase switch
            {
                GuestMount.SourceOneofCase.SharedPath =>
                    await _mounter.ResolveSharedAsync(mount.SharedPath, what + " shared_path", cancellationToken).ConfigureAwait(false),
                GuestMount.SourceOneofCase.Scsi => await MountScsiAsync(mount.Scsi, container, index, what, cancellationToken).ConfigureAwait(false),
                GuestMount.SourceOneofCase.PodTmpfs => await _mounter.EnsurePodTmpfsAsync(mount.PodTmpfs, what + " pod_tmpfs", cancellationToken).ConfigureAwait(false),
                GuestMount.SourceOneofCase.CopiedVolume => _mounter.Copies.Resolve(mount.CopiedVolume, what + " copied_volume"),
                GuestMount.SourceOneofCase.PodDirectory => _mounter.EnsurePodDirectory(mount.PodDirectory, what + " pod_directory"),
                _ => throw Invalid($"container {container.Id}: {what} has no source: give shared_path, scsi, pod_tmpfs, copied_volume or pod_directory"),
            };
            index++;
        }

        return sources;
    }

    private async Task<string> MountScsiAsync(ScsiRootfs disk, Container container, int index, string what, CancellationToken cancellationToken)
    {
        var target = Path.Combine(container.BundleDir, "mounts", index.ToString(CultureInfo.InvariantCulture));
        await _mounter.MountScsiAsync(disk, target, readOnly: false, $"container {container.Id} {what}", cancellationToken).ConfigureAwait(false);
        container.Mounts.Add(target);
        return target;
    }

    private async Task CleanUpAsync(Container container, CancellationToken cancellationToken)
    {
        if (container.CreatedByCrun)
        {
            try
            {
                await _crun.RunAsync($"delete container {container.Id}", ["delete", "--force", container.Id], cancellationToken).ConfigureAwait(false);
            }
            catch (AgentException e)
            {
                _log.LogWarning("crun delete {Id}: {Error}", container.Id, e.Message);
            }

            // crun delete --force SIGKILLs the processes; their exits arrive through the reaper.
            await Task.WhenAny(container.Init.Exited, Task.Delay(TimeSpan.FromSeconds(10), cancellationToken)).ConfigureAwait(false);
        }

        _oom.Forget(container.Id);
        _mounter.Copies.Forget(container.Id);
        for (var i = container.Mounts.Count - 1; i >= 0; i--)
        {
            _mounter.Unmount(container.Mounts[i]);
        }

        try
        {
            Directory.Delete(container.BundleDir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning("removing bundle {Dir}: {Error}", container.BundleDir, e.Message);
        }

        lock (_gate)
        {
            _containers.Remove(container.Id);
        }

        _log.LogInformation("container {Id} deleted", container.Id);
    }

    private static void RequireState(Container container, string action, params ContainerState[] allowed)
    {
        lock (container.Sync)
        {
            if (!allowed.Contains(container.State))
            {
                throw AgentException.FailedPrecondition($"cannot {action} container {container.Id}: it is {container.State.ToString().ToLowerInvariant()}, " +
                    $"must be {string.Join(" or ", allowed.Select(s => s.ToString().ToLowerInvariant()))}");
            }
        }
    }

    private static AgentException Invalid(string message) => AgentException.InvalidArgument(message);
}
