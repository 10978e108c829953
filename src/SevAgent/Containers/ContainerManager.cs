using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SevAgent.Errors;
using SevAgent.Hosting;
using SevAgent.Stats;

namespace SevAgent.Containers;

/// <summary>
/// The lifecycle of the agent's containers through crun: bundles under
/// &lt;state-dir&gt;/containers/&lt;id&gt;, cgroups under /&lt;cgroup-parent&gt;/&lt;id&gt;. Execs,
/// signals and waits are <see cref="ContainerProcesses"/>'; both share the
/// <see cref="ContainerRegistry"/>. Errors are <see cref="AgentException"/>s of the kinds
/// agent.proto documents per call.
/// </summary>
internal sealed class ContainerManager
{
    private readonly ContainerRegistry _registry;
    private readonly Crun _crun;
    private readonly ProcessLauncher _launcher;
    private readonly ContainerSources _sources;
    private readonly RootfsMounter _mounter;
    private readonly OomMonitor _oom;
    private readonly CgroupLayout _cgroups;
    private readonly AgentOptions _options;
    private readonly ILogger<ContainerManager> _log;

    public ContainerManager(
        ContainerRegistry registry, Crun crun, ProcessLauncher launcher, RootfsMounter mounter, OomMonitor oom, CgroupLayout cgroups,
        AgentOptions options, ILogger<ContainerManager> log)
    {
        _registry = registry;
        _crun = crun;
        _launcher = launcher;
        _mounter = mounter;
        _sources = new ContainerSources(mounter);
        _oom = oom;
        _cgroups = cgroups;
        _options = options;
        _log = log;
    }

    /// <summary>Creates a container (`crun create`) and returns its init pid.</summary>
    public async Task<int> CreateAsync(ContainerCreateSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        PathGuard.CheckId(spec.Id, "container_id");
        var stdio = spec.Stdio;
        if (stdio.Terminal && stdio.Stderr)
        {
            throw AgentException.InvalidArgument($"container {spec.Id}: a terminal has one output stream; set stdio.stderr=false");
        }

        var id = spec.Id;
        var bundle = Path.Combine(_options.StateDir, "containers", id);
        var container = new Container(id, bundle, $"/{_options.CgroupParent}/{id}", new ContainerProcess(id, string.Empty, stdio.Terminal));
        _registry.Add(container);
        await container.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(bundle);
            var rootfs = await _sources.PrepareRootfsAsync(spec.Rootfs, container, cancellationToken).ConfigureAwait(false);
            var mountSources = await _sources.PrepareMountsAsync(spec.Mounts, container, cancellationToken).ConfigureAwait(false);
            var namespaces = NamespaceJoins.Resolve(id, spec.NamespaceJoins, LiveInitPid);
            var (json, dropped) = SpecRewriter.Rewrite(
                spec.OciSpecJson,
                new SpecRewrite(rootfs, spec.Rootfs?.ReadOnly ?? false, stdio.Terminal, container.CgroupsPath, mountSources, namespaces));
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
        var container = _registry.Get(id);
        await container.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            container.RequireState("start", ContainerState.Created);
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

    public async Task DeleteAsync(string id, bool force, CancellationToken cancellationToken)
    {
        var container = _registry.Get(id);
        await container.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (container.Sync)
            {
                if (!force && container.State is ContainerState.Running or ContainerState.Paused)
                {
                    throw AgentException.FailedPrecondition(
                        $"container {id} is {container.State.ToString().ToLowerInvariant()}: stop it first or delete with force");
                }
            }

            await CleanUpAsync(container, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            container.Gate.Release();
        }
    }

    public async Task PauseResumeAsync(string id, bool pause, CancellationToken cancellationToken)
    {
        var container = _registry.Get(id);
        await container.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            container.RequireState(pause ? "pause" : "resume", pause ? ContainerState.Running : ContainerState.Paused);
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
        var container = _registry.Get(id);
        var json = SpecRewriter.CheckResources(resourcesJson);
        await container.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            container.RequireState("update", ContainerState.Created, ContainerState.Running, ContainerState.Paused);
            var file = Path.Combine(container.BundleDir, "resources.json");
            await File.WriteAllTextAsync(file, json, cancellationToken).ConfigureAwait(false);
            await _crun.RunAsync($"update container {id}", ["update", "--resources", file, id], cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            container.Gate.Release();
        }
    }

    /// <summary>The container's cgroup figures; FAILED_PRECONDITION while it has no cgroup.</summary>
    public CgroupStats Stats(string id)
    {
        var container = _registry.Get(id);
        if (!container.CreatedByCrun || !Directory.Exists(_cgroups.Directory(container.CgroupsPath, "memory")))
        {
            throw AgentException.FailedPrecondition($"container {id} has no cgroup (not created by crun yet, or removed)");
        }

        return CgroupStatsReader.Read(_cgroups, container.CgroupsPath);
    }

    public async Task<List<int>> ListProcessesAsync(string id, CancellationToken cancellationToken)
    {
        var container = _registry.Get(id);
        container.RequireState("list the processes of", ContainerState.Created, ContainerState.Running, ContainerState.Paused);
        var output = await _crun.RunAsync($"list processes of container {id}", ["ps", "--format", "json", id], cancellationToken).ConfigureAwait(false);
        return JsonNode.Parse(output) is JsonArray pids ? pids.Select(p => p!.GetValue<int>()).ToList() : [];
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
        foreach (var container in _registry.Snapshot())
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

    // The init pid of a container whose namespaces another one joins: it must still run (a
    // namespace dies with its last process, and a reused pid would name another's).
    private int LiveInitPid(string id)
    {
        var target = _registry.Get(id);
        lock (target.Sync)
        {
            if (target.Init.Pid <= 0 || target.Init.HasExited || target.State is not (ContainerState.Created or ContainerState.Running or ContainerState.Paused))
            {
                throw AgentException.FailedPrecondition(
                    $"container {id} is {target.State.ToString().ToLowerInvariant()}: its namespaces can be joined only while its init process runs");
            }

            return target.Init.Pid;
        }
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

        _registry.Remove(container.Id);
        _log.LogInformation("container {Id} deleted", container.Id);
    }
}
