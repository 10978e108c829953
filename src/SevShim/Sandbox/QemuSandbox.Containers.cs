using System.Text.Json.Nodes;
using Grpc.Core;
using SevShim.Agent;
using SevShim.Config;
using SevShim.Errors;
using SevShim.Io;
using SevShim.Qemu;
using SevShim.Rootfs;
using Proto = SevAgent.Protocol.V1;

namespace SevShim.Sandbox;

/// <summary>Container and process lifecycle of the QEMU sandbox.</summary>
internal sealed partial class QemuSandbox
{
    /// <inheritdoc/>
    public async Task<uint> CreateContainerAsync(ContainerCreateRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        EnsureRunning();
        if (_containers.ContainsKey(request.ContainerId))
        {
            throw new ShimException(ShimErrorKind.AlreadyExists, $"sevshim: container {request.ContainerId} already exists in this pod");
        }

        var plan = MountPlanner.Plan(request, _layout.ShareDirectory, HostFileSystem.KindOf, HostFileSystem.TotalBytes, copyVolumes: _config.Rootfs == RootfsMode.Block);
        var spec = (JsonObject)JsonNode.Parse(plan.GuestSpecJson)!;
        var joins = PodNamespaces.Translate(spec, request.ContainerId, _qemu.Pid, _sandboxId);
        var dropped = HostDevices.Apply(spec, request.ContainerId);
        if (dropped.Count > 0)
        {
            _log.Information(
                "container {Container} is privileged: {Count} host device nodes left out (a privileged container has the VM's devices, not the host's), first {First}",
                request.ContainerId,
                dropped.Count,
                dropped[0]);
        }

        var mounts = HostMounter.Apply(plan, _log);
        ProcessIo? io = null;
        ScsiDisk? disk = null;
        try
        {
            var rootfs = new Proto.Rootfs { Shared = new Proto.SharedRootfs { Path = plan.RootfsSharedPath }, Readonly = plan.RootfsReadOnly };
            if (_config.Rootfs == RootfsMode.Block)
            {
                disk = await AttachRootfsDiskAsync(request.ContainerId, plan, cancellationToken).ConfigureAwait(false);
                HostMounter.ReleaseRootfs(mounts, Path.Combine(plan.ContainerDirectory, "rootfs"), _log);
                rootfs = new Proto.Rootfs { Scsi = new Proto.ScsiRootfs { Target = disk.Target, Lun = 0, FsType = "ext4" }, Readonly = plan.RootfsReadOnly };
            }

            io = ProcessIo.Open(request.Stdio);
            var create = new Proto.CreateContainerRequest
            {
                ContainerId = request.ContainerId,
                OciSpecJson = spec.ToJsonString(),
                Rootfs = rootfs,
                Stdio = io.Flags,
            };
            create.GuestMounts.AddRange(plan.GuestMounts.Select(ToProto));
            await _volumes.AddAsync(plan.GuestMounts, cancellationToken).ConfigureAwait(false);
            create.NamespaceJoins.AddRange(joins.Select(j => new Proto.NamespaceJoin { Type = j.Type, ContainerId = j.ContainerId }));
            var response = await CallAsync(
                $"creating container {request.ContainerId}",
                t => _agent.Raw.CreateContainerAsync(create, cancellationToken: t),
                cancellationToken).ConfigureAwait(false);
            var container = new QemuGuestContainer(request.ContainerId, mounts) { RootfsDisk = disk };
            var init = new QemuGuestProcess(request.ContainerId, string.Empty, io) { Pid = (uint)response.Pid };
            container.Processes[string.Empty] = init;
            _containers[request.ContainerId] = container;
            Track(init);
            _log.Information("container {Container} created (guest pid {Pid})", request.ContainerId, response.Pid);
            return HostPid;
        }
        catch
        {
            if (io is not null)
            {
                await io.DisposeAsync().ConfigureAwait(false);
            }

            if (disk is not null)
            {
                await _disks.DetachAsync(disk).ConfigureAwait(false);
                RootfsImage.TryDelete(disk.ImagePath);
            }

            _volumes.Remove(request.ContainerId);
            HostMounter.Remove(mounts, _log);
            throw;
        }
    }

    /// <inheritdoc/>
    public async Task<uint> StartContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        var container = Find(containerId);
        var response = await CallAsync(
                $"starting container {containerId}",
                t => _agent.Raw.StartContainerAsync(new Proto.StartContainerRequest { ContainerId = containerId }, cancellationToken: t),
                cancellationToken).ConfigureAwait(false);
        var init = container.Processes[string.Empty];
        init.Pid = (uint)response.Pid;
        return HostPid;
    }

    /// <inheritdoc/>
    public async Task<uint> StartExecAsync(ExecRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var container = Find(request.ContainerId);
        SandboxIdsGuard(request.ExecId);
        if (container.Releasing.TryGetValue(request.ExecId, out var releasing))
        {
            // The id of a just-deleted exec: the guest must have forgotten it first.
            await releasing.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (container.Processes.ContainsKey(request.ExecId))
        {
            throw new ShimException(ShimErrorKind.AlreadyExists, $"sevshim: exec {request.ExecId} already exists in container {request.ContainerId}");
        }

        var io = ProcessIo.Open(request.Stdio);
        try
        {
            var exec = new Proto.ExecProcessRequest
            {
                ContainerId = request.ContainerId,
                ExecId = request.ExecId,
                ProcessJson = request.ProcessSpecJson,
                Stdio = io.Flags,
            };
            var response = await CallAsync(
                $"starting exec {request.ExecId} in {request.ContainerId}",
                t => _agent.Raw.ExecProcessAsync(exec, cancellationToken: t),
                cancellationToken).ConfigureAwait(false);
            var process = new QemuGuestProcess(request.ContainerId, request.ExecId, io) { Pid = (uint)response.Pid };
            container.Processes[request.ExecId] = process;
            Track(process);
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
        var container = Find(containerId);

        // force: the task service deletes only exited or never-started containers; a
        // created-but-not-started init must be killed for crun to delete it.
        await RemoveInGuestAsync(
            $"deleting container {containerId}",
            t => _agent.Raw.DeleteContainerAsync(new Proto.DeleteContainerRequest { ContainerId = containerId, Force = true }, cancellationToken: t),
            cancellationToken).ConfigureAwait(false);

        _containers.TryRemove(containerId, out _);
        _volumes.Remove(containerId);
        await ReleaseContainerAsync(container).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The release runs after the reply, off the exec's latency (issue 6): the stdin pump notices
    /// its cancellation within one 200 ms poll slice, and the guest's DeleteProcess is one more
    /// round trip under TCG. A new exec with the same id waits for it (StartExecAsync), and the
    /// container's delete or the VM's stop waits for all of them (ReleaseContainerAsync).
    /// </remarks>
    public Task DeleteExecAsync(string containerId, string execId, CancellationToken cancellationToken)
    {
        if (_containers.TryGetValue(containerId, out var container) && container.Processes.TryRemove(execId, out var process))
        {
            var release = ReleaseExecAsync(containerId, execId, process);
            container.Releasing[execId] = release;
            _ = release.ContinueWith(done => container.Releasing.TryRemove(new KeyValuePair<string, Task>(execId, done)), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }

        return Task.CompletedTask;
    }

    // The exec has exited and its exit was published after its output drained (or the drain limit
    // passed): what its pumps still hold is a stdin FIFO and idle threads. Never throws.
    private async Task ReleaseExecAsync(string containerId, string execId, QemuGuestProcess process)
    {
        await Task.Yield();
        try
        {
            await process.Io.DisposeAsync().ConfigureAwait(false);
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await RemoveInGuestAsync(
                $"deleting exec {execId} of container {containerId}",
                t => _agent.Raw.DeleteProcessAsync(new Proto.DeleteProcessRequest { ContainerId = containerId, ExecId = execId }, cancellationToken: t),
                limit.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ShimException or RpcException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            _log.Warning("releasing exec {Exec} of {Container} failed: {Message}", execId, containerId, ex.Message);
        }
    }

    // An agent call that removes something: NotFound (already gone) and Unavailable (the VM is
    // going) leave it gone either way, and once the VM is gone there is nothing to ask.
    private async Task RemoveInGuestAsync<T>(string operation, Func<CancellationToken, AsyncUnaryCall<T>> call, CancellationToken cancellationToken)
    {
        if (_vmGone.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await CallAsync(operation, call, cancellationToken).ConfigureAwait(false);
        }
        catch (ShimException ex) when (ex.Kind is ShimErrorKind.NotFound or ShimErrorKind.Unavailable)
        {
            _log.Debug("{Operation}: already gone from the guest ({Message})", operation, ex.Message);
        }
    }

    // Starts the process's pumps and its waiter. The waiter publishes the exit only after stdout
    // and stderr were drained to the FIFOs (bounded by OutputDrainLimit), so containerd never
    // sees an exit before the output that preceded it.
    private void Track(QemuGuestProcess process)
    {
        process.Io.Start(_agent, process.ContainerId, process.ExecId, _log);
        _ = Task.Run(() => WaitForExitAsync(process));
    }

    private async Task WaitForExitAsync(QemuGuestProcess process)
    {
        uint status = UnknownExitStatus;
        var at = DateTimeOffset.UtcNow;
        try
        {
            var response = await _agent.Raw.WaitProcessAsync(
                new Proto.WaitProcessRequest { ContainerId = process.ContainerId, ExecId = process.ExecId },
                cancellationToken: _vmGone.Token).ConfigureAwait(false);
            status = response.ExitStatus;

            // The host's clock, not the guest's exited_at: containerd stamps the start with its
            // own clock, and the guest's drifts (seen under TCG: an init container "finished"
            // 100 ms before it "started" in ContainerStatus). Taken when the agent answers, the
            // exit is always after the start containerd recorded, late by one round trip.
            at = DateTimeOffset.UtcNow;
        }
        catch (RpcException ex)
        {
            if (await VmDiedAsync().ConfigureAwait(false))
            {
                // The supervisor logs QEMU's death with the console tail, then publishes the exit.
                return;
            }

            _log.Warning("waiting for {Container}/{Exec} failed ({Status}: {Detail}); reporting exit status 255", process.ContainerId, process.ExecId, ex.StatusCode, ex.Status.Detail);
        }

        if (!_vmGone.IsCancellationRequested)
        {
            await Task.WhenAny(process.Io.OutputDrained, Task.Delay(_options.OutputDrainLimit, _vmGone.Token)).ConfigureAwait(false);
            if (!process.Io.OutputDrained.IsCompleted && !_vmGone.IsCancellationRequested)
            {
                _log.Warning("output of {Container}/{Exec} still open {Seconds} s after its exit (a background process holds it?); publishing the exit now", process.ContainerId, process.ExecId, _options.OutputDrainLimit.TotalSeconds);
            }
        }

        if (process.ContainerId == _sandboxId && process.ExecId.Length == 0)
        {
            // The sandbox task's exit lets containerd run CNI DEL: the namespace must be as CNI
            // left it by then (issue 12 item 4).
            await ReleaseNetworkAsync().ConfigureAwait(false);
        }

        PublishExit(process, status, at);
    }

    private async Task ReleaseContainerAsync(QemuGuestContainer container)
    {
        await Task.WhenAll(container.Releasing.Values).ConfigureAwait(false);
        foreach (var process in container.Processes.Values)
        {
            await process.Io.DisposeAsync().ConfigureAwait(false);
        }

        if (container.RootfsDisk is { } disk)
        {
            if (!_qemu.Exited.IsCompleted)
            {
                await _disks.DetachAsync(disk).ConfigureAwait(false);
            }

            RootfsImage.TryDelete(disk.ImagePath);
        }

        try
        {
            HostMounter.Remove(container.Mounts, _log);
        }
        catch (ShimException ex)
        {
            _log.Error("{Message}", ex.Message);
        }
    }

    // rootfs.mode = "block" (ARCHITECTURE decision 7): the container's rootfs, mounted on the host
    // as for "shared", is copied into an ext4 image in the pod's state folder (outside the 9p
    // share) and hot-plugged on the virtio-scsi controller; the guest mounts that disk instead.
    private async Task<ScsiDisk> AttachRootfsDiskAsync(string containerId, ContainerMountPlan plan, CancellationToken cancellationToken)
    {
        var disks = Directory.CreateDirectory(Path.Combine(_layout.Directory, "disks")).FullName;
        var image = Path.Combine(disks, containerId + ".ext4");
        var source = Path.Combine(plan.ContainerDirectory, "rootfs");
        await RootfsImage.CreateAsync(source, image, _config.BootTimeout, cancellationToken).ConfigureAwait(false);
        try
        {
            return await _disks.AttachAsync(image, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            RootfsImage.TryDelete(image);
            throw;
        }
    }

    private static Proto.GuestMount ToProto(GuestMountMapping m) => m switch
    {
        { PodTmpfs: { } name } => new Proto.GuestMount { Destination = m.Destination, PodTmpfs = new Proto.PodTmpfs { Name = name, SizeBytes = m.PodTmpfsBytes } },
        { Copy: { } copy } => new Proto.GuestMount { Destination = m.Destination, CopiedVolume = copy.Name },
        { PodDirectory: { } dir } => new Proto.GuestMount { Destination = m.Destination, PodDirectory = dir },
        _ => new Proto.GuestMount { Destination = m.Destination, SharedPath = m.SharedPath },
    };

    // VolumeSync's sender: one volume's whole content in one SyncVolume call.
    private async Task PushVolumeAsync(CopiedVolume volume, IReadOnlyList<VolumeEntry> entries, CancellationToken cancellationToken)
    {
        var request = new Proto.SyncVolumeRequest { Name = volume.Name, SingleFile = volume.IsFile };
        request.Entries.AddRange(entries.Select(e => new Proto.VolumeEntry
        {
            Path = e.Path,
            Kind = e.Kind switch
            {
                VolumeEntryKind.Directory => Proto.VolumeEntryKind.Directory,
                VolumeEntryKind.Symlink => Proto.VolumeEntryKind.Symlink,
                _ => Proto.VolumeEntryKind.File,
            },
            Mode = e.Mode,
            Content = Google.Protobuf.ByteString.CopyFrom(e.Content.Span),
            LinkTarget = e.LinkTarget,
        }));
        await CallAsync($"copying volume {volume.HostSource} into the pod VM", t => _agent.Raw.SyncVolumeAsync(request, cancellationToken: t), cancellationToken).ConfigureAwait(false);
    }

    private QemuGuestContainer Find(string containerId)
    {
        if (_containers.TryGetValue(containerId, out var container))
        {
            return container;
        }

        throw new ShimException(ShimErrorKind.NotFound, $"sevshim: container {containerId} does not exist in this pod");
    }

    private void EnsureRunning()
    {
        if (_vmGone.IsCancellationRequested || Volatile.Read(ref _shuttingDown) == 1)
        {
            throw new ShimException(ShimErrorKind.Unavailable, "sevshim: the pod VM is not running (it stopped or is shutting down)");
        }
    }

    private static void SandboxIdsGuard(string execId)
    {
        if (execId.Length == 0)
        {
            throw new ShimException(ShimErrorKind.InvalidArgument, "sevshim: an exec needs a non-empty exec id");
        }
    }

    // A unary agent call that ends when the caller gives up or the VM goes away.
    private async Task<T> CallAsync<T>(string operation, Func<CancellationToken, AsyncUnaryCall<T>> call, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _vmGone.Token);
        return await AgentClient.CallAsync(operation, () => call(linked.Token)).ConfigureAwait(false);
    }
}
