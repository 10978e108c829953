using System.Text.Json.Nodes;
using SevShim.Agent;
using SevShim.Errors;
using SevShim.Io;

namespace SevShim.Sandbox;

/// <summary>Container and process lifecycle of the QEMU sandbox.</summary>
internal sealed partial class QemuSandbox
{
    /// <inheritdoc/>
    public async Task<uint> CreateContainerAsync(ContainerCreateRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        EnsureRunning();
        var id = request.ContainerId;
        if (_containers.ContainsKey(id))
        {
            throw new ShimException(ShimErrorKind.AlreadyExists, $"sevshim: container {id} already exists in this pod");
        }

        // Every refusal comes before anything is mounted: the plan, the namespaces, the devices.
        var plan = _storage.Plan(request);
        var spec = (JsonObject)JsonNode.Parse(plan.GuestSpecJson)!;
        var joins = PodNamespaces.Translate(spec, id, _vm.Pid, _sandboxId);
        var dropped = HostDevices.Apply(spec, id);
        if (dropped.Count > 0)
        {
            _log.Information(
                "container {Container} is privileged: {Count} host device nodes left out (a privileged container has the VM's devices, not the host's), first {First}",
                id,
                dropped.Count,
                dropped[0]);
        }

        var files = await _storage.MountAsync(id, plan, cancellationToken).ConfigureAwait(false);
        ProcessIo? io = null;
        try
        {
            io = ProcessIo.Open(request.Stdio);
            var guestPid = await CallAsync(
                t => _agent.CreateContainerAsync(new GuestContainerSpec(id, spec.ToJsonString(), files.Rootfs, io.Flags, files.GuestMounts, joins), t),
                cancellationToken).ConfigureAwait(false);
            _containers[id] = files;
            _processes.Track(new GuestProcessId(id, string.Empty), io, guestPid);
            _log.Information("container {Container} created (guest pid {Pid})", id, guestPid);
            return HostPid;
        }
        catch
        {
            if (io is not null)
            {
                await io.DisposeAsync().ConfigureAwait(false);
            }

            await _storage.ReleaseAsync(files).ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc/>
    public async Task<uint> StartContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        Find(containerId);
        var guestPid = await CallAsync(t => _agent.StartContainerAsync(containerId, t), cancellationToken).ConfigureAwait(false);
        if (_processes.Find(new GuestProcessId(containerId, string.Empty)) is { } init)
        {
            init.Pid = guestPid;
        }

        return HostPid;
    }

    /// <inheritdoc/>
    public async Task<uint> StartExecAsync(ExecRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Find(request.ContainerId);
        if (request.ExecId.Length == 0)
        {
            throw new ShimException(ShimErrorKind.InvalidArgument, "sevshim: an exec needs a non-empty exec id");
        }

        var id = new GuestProcessId(request.ContainerId, request.ExecId);

        // The id of a just-deleted exec: the guest must have forgotten it first.
        await _processes.WaitReleasedAsync(id, cancellationToken).ConfigureAwait(false);
        if (_processes.Find(id) is not null)
        {
            throw new ShimException(ShimErrorKind.AlreadyExists, $"sevshim: exec {request.ExecId} already exists in container {request.ContainerId}");
        }

        var io = ProcessIo.Open(request.Stdio);
        try
        {
            var guestPid = await CallAsync(t => _agent.ExecProcessAsync(new GuestExecSpec(id, request.ProcessSpecJson, io.Flags), t), cancellationToken).ConfigureAwait(false);
            _processes.Track(id, io, guestPid);
            return HostPid;
        }
        catch
        {
            await io.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc/>
    public async Task DeleteContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        var files = Find(containerId);
        await RemoveInGuestAsync($"deleting container {containerId}", t => _agent.DeleteContainerAsync(containerId, t), cancellationToken).ConfigureAwait(false);
        _containers.TryRemove(containerId, out _);
        await ReleaseContainerAsync(files).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The release runs after the reply, off the exec's latency (issue 6). A new exec with the
    /// same id waits for it (StartExecAsync), and the container's delete or the VM's stop waits
    /// for all of them (ProcessTracker.ReleaseContainerAsync).
    /// </remarks>
    public Task DeleteExecAsync(string containerId, string execId, CancellationToken cancellationToken)
    {
        _processes.Forget(new GuestProcessId(containerId, execId));
        return Task.CompletedTask;
    }

    private async Task ReleaseContainerAsync(ContainerFiles files)
    {
        await _processes.ReleaseContainerAsync(files.ContainerId).ConfigureAwait(false);
        await _storage.ReleaseAsync(files).ConfigureAwait(false);
    }

    // An agent call that removes something: NotFound (already gone) and Unavailable (the VM is
    // going) leave it gone either way, and once the VM is gone there is nothing to ask.
    private async Task RemoveInGuestAsync(string operation, Func<CancellationToken, Task> call, CancellationToken cancellationToken)
    {
        if (_vmGone.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await CallAsync(call, cancellationToken).ConfigureAwait(false);
        }
        catch (ShimException ex) when (ex.Kind is ShimErrorKind.NotFound or ShimErrorKind.Unavailable)
        {
            _log.Debug("{Operation}: already gone from the guest ({Message})", operation, ex.Message);
        }
    }

    private ContainerFiles Find(string containerId) =>
        _containers.TryGetValue(containerId, out var files)
            ? files
            : throw new ShimException(ShimErrorKind.NotFound, $"sevshim: container {containerId} does not exist in this pod");

    private void EnsureRunning()
    {
        if (_vmGone.IsCancellationRequested || Volatile.Read(ref _shuttingDown) == 1)
        {
            throw new ShimException(ShimErrorKind.Unavailable, "sevshim: the pod VM is not running (it stopped or is shutting down)");
        }
    }

    // An agent call that ends when the caller gives up or the VM goes away.
    private async Task<T> CallAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _vmGone.Token);
        return await call(linked.Token).ConfigureAwait(false);
    }

    private async Task CallAsync(Func<CancellationToken, Task> call, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _vmGone.Token);
        await call(linked.Token).ConfigureAwait(false);
    }
}
