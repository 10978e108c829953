using System.Collections.Concurrent;
using System.Runtime.Versioning;
using System.Threading.Channels;
using Serilog;
using Sev.Attestation;
using SevShim.Agent;
using SevShim.Confidential;
using SevShim.Config;
using SevShim.Errors;
using SevShim.Network;
using SevShim.Qemu;
using SevShim.Rootfs;
using Proto = SevAgent.Protocol.V1;

namespace SevShim.Sandbox;

/// <summary>
/// The pod VM (ISandbox) on QEMU: boots the guest image with the pod's devices
/// (<see cref="QemuCommandLine"/>), reaches the agent over the virtio-serial chardev socket
/// (<see cref="AgentClient"/>), shares container files over 9p (<see cref="MountPlanner"/>,
/// <see cref="HostMounter"/>) and pumps stdio (<see cref="Io.ProcessIo"/>).
/// Supervision: when QEMU exits unexpectedly, the guest console's tail is logged and every
/// process of the pod gets its exit (status 255) through <see cref="Events"/>.
/// State: <c>&lt;state root&gt;/&lt;sandbox id&gt;</c>, removed at shutdown.
/// Ownership: owns QEMU, the agent link, every container's mounts and pumps. Lock: none global;
/// containers and processes live in concurrent dictionaries and each process's exit is published
/// once (<see cref="QemuGuestProcess.TryMarkExited"/>).
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class QemuSandbox : ISandbox
{
    // The status of a process whose real exit is unknown because the VM went away (as containerd's
    // runc shim reports for a process it lost).
    private const uint UnknownExitStatus = 255;

    // The pod's id: CRI's sandbox container, else the pod's first container; the container whose
    // namespaces the pod's other containers join (PodNamespaces).
    private readonly string _sandboxId;
    private readonly ShimConfig _config;
    private readonly QemuSandboxOptions _options;
    private readonly PodStateLayout _layout;
    private readonly QemuProcess _qemu;
    private readonly AgentClient _agent;
    private readonly ScsiHotplug _disks;
    private readonly ILogger _log;
    private readonly Channel<SandboxEvent> _events = Channel.CreateUnbounded<SandboxEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, QemuGuestContainer> _containers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _vmGone = new();
    private readonly Task _supervisor;
    private readonly Task _oomLoop;

    // The guest copies of host volumes in rootfs mode "block"; disposed at shutdown.
    private readonly VolumeSync _volumes;

    // The pod's taps and tc redirects (null: the pod has no network namespace of its own);
    // released before the sandbox task's exit is published (issue 12 item 4).
    private readonly PodNetwork? _network;
    private int _shuttingDown;
    private int _stopped;

    private QemuSandbox(string sandboxId, ShimConfig config, QemuSandboxOptions options, PodStateLayout layout, QemuProcess qemu, AgentClient agent, PodNetwork? network, ILogger log)
    {
        _network = network;
        _sandboxId = sandboxId;
        _config = config;
        _options = options;
        _layout = layout;
        _qemu = qemu;
        _agent = agent;
        _log = log;
        _disks = new ScsiHotplug(layout.QmpSocket, log);
        _supervisor = SuperviseAsync();
        _oomLoop = Task.Run(ForwardOomEventsAsync);
        _volumes = new VolumeSync(PushVolumeAsync, log, TimeSpan.FromSeconds(1));
    }

    /// <inheritdoc/>
    public ChannelReader<SandboxEvent> Events => _events.Reader;

    /// <summary>The pod's state folder.</summary>
    public PodStateLayout Layout => _layout;

    /// <summary>QEMU's pid (for tests and logs).</summary>
    public int QemuPid => _qemu.Pid;

    /// <summary>
    /// The pid reported to containerd for every task and exec of the pod: QEMU's (ARCHITECTURE
    /// decision 14). A guest pid would name an unrelated host process to anything on the host that
    /// uses it (CRI builds /proc/&lt;pid&gt;/ns paths from it, operators kill and nsenter it).
    /// </summary>
    private uint HostPid => (uint)_qemu.Pid;

    /// <summary>Completes when QEMU has exited and was reaped.</summary>
    public Task QemuExited => _qemu.Exited;

    /// <summary>Boots a pod VM without a network of its own (only lo in the guest).</summary>
    public static Task<QemuSandbox> BootAsync(string sandboxId, ShimConfig config, QemuSandboxOptions options, ILogger log, CancellationToken cancellationToken) =>
        BootAsync(sandboxId, config, options, null, log, cancellationToken);

    /// <summary>
    /// Boots the pod VM: state folder, QEMU, agent link. On any failure everything made so far is
    /// undone (QEMU killed, folder removed) and the error quotes the guest console.
    /// <paramref name="network"/>: the pod's wired network, owned by the sandbox once booted (by
    /// the caller if the boot fails).
    /// </summary>
    public static async Task<QemuSandbox> BootAsync(
        string sandboxId, ShimConfig config, QemuSandboxOptions options, PodNetwork? network, ILogger log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        log = log.ForContext("sandbox", sandboxId);

        // First, before any other refusal: a pod that asked for encryption on a host that cannot
        // give it is told exactly that, with the check's findings (ARCHITECTURE decision 8).
        var confidential = await ConfidentialPlanner.PlanAsync(config, cancellationToken).ConfigureAwait(false);
        UnencryptedPodWarning.LogIfUnencrypted(config, log);
        if (config.AgentTransport == AgentTransport.Vsock)
        {
            throw new ShimException(
                ShimErrorKind.FailedPrecondition,
                "sevshim: agent.transport = \"vsock\" is not implemented yet: use \"auto\" or \"virtio-serial\"");
        }

        var layout = PodStateLayout.For(options.StateRoot, sandboxId);
        var image = GuestImage.Resolve(config);
        var accel = AcceleratorSelector.SelectForHost(confidential: config.Confidential != ConfidentialMode.None);
        log.Information("pod VM accelerator: {Reason}", accel.Reason);
        var cmdline = confidential is null ? image.KernelCommandLine : string.Join(' ', confidential.KernelParameters.Prepend(image.KernelCommandLine));
        if (config.AgentLogLevel != "info")
        {
            // guest-image/init.sh hands it to the agent as --log-level.
            cmdline += " sevagent.log_level=" + config.AgentLogLevel;
        }

        QemuStateCleanup.RemovePodState(options.StateRoot, sandboxId, log);
        PrepareStateDirectory(layout);
        QemuProcess? qemu = null;
        PreAttestationRequest? attestation = null;
        try
        {
            // Read before QEMU starts, so a missing key file or digest fails without a VM.
            attestation = config.Attestation == AttestationMode.Pre
                ? PreAttestationInputs.Build(config, image.KernelPath, image.InitrdPath, cmdline, (uint)(config.EffectiveSevPolicy ?? 0))
                : null;
            var nics = network?.Nics ?? [];
            var spec = new QemuVmSpec(
                sandboxId, accel.Accelerator, config.Vcpus, config.MemoryMib, image.KernelPath, image.InitrdPath, cmdline, layout, confidential,
                nics.Select((n, i) => new QemuNic("net" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), (int)n.TapFd.DangerousGetHandle(), n.Interface.MacText)).ToList());
            qemu = await QemuProcess.StartAsync(config.QemuPath, QemuCommandLine.Build(spec), log, nics.Select(n => (System.Runtime.InteropServices.SafeHandle)n.TapFd).ToList()).ConfigureAwait(false);
            var started = qemu;
            if (attestation is not null)
            {
                // QEMU waits paused (-S) until this step verified the launch and sent cont.
                await PreAttestationStep.RunAsync(
                    config, layout.QmpSocket, attestation, started.Exited, () => DescribeFailure(started, layout), log, cancellationToken).ConfigureAwait(false);
            }

            var agent = await AgentClient.ConnectAsync(
                layout.AgentSocket,
                config.BootTimeout,
                config.AgentConnectTimeout,
                started.Exited,
                () => DescribeFailure(started, layout),
                log,
                cancellationToken).ConfigureAwait(false);
            try
            {
                var info = await agent.LogGuestInfoAsync(log, cancellationToken).ConfigureAwait(false);

                // Issue 5 part 3: a confidential pod whose guest does not show its mode active is
                // refused here; the catch below stops QEMU and removes the pod's state.
                GuestSevVerifier.Require(config, info, log);
                if (network is { Plan.IsEmpty: false })
                {
                    // Before the first container: the pod's processes find their network ready.
                    await AgentClient.CallAsync(
                        "configuring the pod network in the guest",
                        () => agent.Raw.ConfigureNetworkAsync(NetworkRequest.From(network.Plan), cancellationToken: cancellationToken)).ConfigureAwait(false);
                }

                network?.ForwardLocalhost(agent.Raw);
            }
            catch
            {
                agent.Dispose();
                throw;
            }

            return new QemuSandbox(sandboxId, config, options, layout, qemu, agent, network, log);
        }
        catch
        {
            if (attestation is not null)
            {
                PreAttestationInputs.Clear(attestation);
            }

            if (qemu is not null)
            {
                await qemu.DisposeAsync().ConfigureAwait(false);
            }

            TryRemoveState(layout, log);
            throw;
        }
    }

    /// <inheritdoc/>
    public async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _shuttingDown, 1) == 1)
        {
            await ((Task)_qemu.Exited).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }

        _log.Information("shutting the pod VM down");
        var started = Environment.TickCount64;
        if (!_qemu.Exited.IsCompleted)
        {
            try
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                limit.CancelAfter(_config.ShutdownTimeout);
                // The agent answers once every container is deleted and the guest's file systems
                // are synced (its writes are then in the host's files: the 9p share, the block
                // images): nothing is left to lose, so QEMU is stopped at once rather than
                // waiting for the guest's own power-off (about half a second under TCG).
                await AgentClient.CallAsync("shutting the guest down", () => _agent.Raw.ShutdownAsync(new Proto.ShutdownRequest(), cancellationToken: limit.Token)).ConfigureAwait(false);
                _log.Debug("the guest stopped its containers and synced in {Ms} ms", Environment.TickCount64 - started);
            }
            catch (Exception ex) when (ex is ShimException or OperationCanceledException or TimeoutException)
            {
                _log.Warning("the guest did not power off within {Seconds} s ({Message}); killing QEMU", _config.ShutdownTimeout.TotalSeconds, ex.Message);
            }
        }

        await StopAsync().ConfigureAwait(false);
        _log.Debug("pod VM shut down in {Ms} ms", Environment.TickCount64 - started);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _shuttingDown, 1);
        await StopAsync().ConfigureAwait(false);
    }

    // Kills QEMU (if still there), ends every process with 255, releases pumps, mounts and the state
    // folder, completes Events. Idempotent.
    private async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            await _supervisor.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }

        var started = Environment.TickCount64;
        await _qemu.DisposeAsync().ConfigureAwait(false);
        _log.Debug("QEMU killed and reaped in {Ms} ms", Environment.TickCount64 - started);
        await ReleaseNetworkAsync().ConfigureAwait(false);
        await _vmGone.CancelAsync().ConfigureAwait(false);
        await _supervisor.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _oomLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _volumes.DisposeAsync().ConfigureAwait(false);
        foreach (var container in _containers.Values)
        {
            await ReleaseContainerAsync(container).ConfigureAwait(false);
        }

        _containers.Clear();
        await _disks.DisposeAsync().ConfigureAwait(false);
        _agent.Dispose();
        TryRemoveState(_layout, _log);
        _log.Debug("host side of the pod released in {Ms} ms after QEMU's kill", Environment.TickCount64 - started);
        _events.Writer.TryComplete();
    }

    // Watches QEMU: an exit nobody asked for is logged with the console tail, and every process is
    // ended (its waiter's call fails once _vmGone is cancelled and publishes status 255).
    private async Task SuperviseAsync()
    {
        var status = await _qemu.Exited.ConfigureAwait(false);
        if (Volatile.Read(ref _shuttingDown) == 0)
        {
            _log.Error(
                "QEMU exited unexpectedly with status {Status}; QEMU said: {Stderr}; guest console tail:\n{Console}",
                status,
                _qemu.StandardErrorTail,
                ConsoleTail.Read(_layout.ConsoleLog));
        }

        // Before any exit is published: CNI DEL follows the sandbox task's exit (item 4).
        await ReleaseNetworkAsync().ConfigureAwait(false);
        await _vmGone.CancelAsync().ConfigureAwait(false);
        foreach (var process in _containers.Values.SelectMany(c => c.Processes.Values))
        {
            PublishExit(process, UnknownExitStatus, DateTimeOffset.UtcNow);
        }
    }

    private async Task ForwardOomEventsAsync()
    {
        try
        {
            using var call = _agent.Raw.StreamOomEvents(new Proto.StreamOomEventsRequest(), cancellationToken: _vmGone.Token);
            while (await call.ResponseStream.MoveNext(_vmGone.Token).ConfigureAwait(false))
            {
                _events.Writer.TryWrite(new OomKilled(call.ResponseStream.Current.ContainerId));
            }
        }
        catch (Exception ex) when (ex is Grpc.Core.RpcException or OperationCanceledException)
        {
            if (Volatile.Read(ref _shuttingDown) == 0 && !await VmDiedAsync().ConfigureAwait(false))
            {
                _log.Warning("the OOM event stream from the agent ended: {Message}", ex.Message);
            }
        }
    }

    // After an agent call failed: true when that was QEMU going away (the supervisor then reports
    // it). The link breaks a moment before QEMU is reaped, hence the short grace.
    private async Task<bool> VmDiedAsync()
    {
        await Task.WhenAny(_supervisor, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        return _supervisor.IsCompleted;
    }

    private Task ReleaseNetworkAsync() => _network?.ReleaseAsync() ?? Task.CompletedTask;

    private void PublishExit(QemuGuestProcess process, uint status, DateTimeOffset at)
    {
        if (process.TryMarkExited())
        {
            _events.Writer.TryWrite(new ProcessExited(process.ContainerId, process.ExecId, HostPid, status, at));
        }
    }

    private static string DescribeFailure(QemuProcess qemu, PodStateLayout layout)
    {
        var stderr = qemu.StandardErrorTail;
        var console = ConsoleTail.Read(layout.ConsoleLog);
        return stderr.Length == 0 ? console : $"{console}\nQEMU: {stderr}";
    }

    private static void PrepareStateDirectory(PodStateLayout layout)
    {
        if (Directory.Exists(layout.Directory))
        {
            // Still there after the stale-state cleanup: something under it could not be unmounted.
            HostMounter.RemoveDirectory(layout.Directory);
        }

        const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Directory.CreateDirectory(Path.GetDirectoryName(layout.Directory)!, Owner);
        Directory.CreateDirectory(layout.Directory, Owner);
        Directory.CreateDirectory(layout.ShareDirectory, Owner);
    }

    private static void TryRemoveState(PodStateLayout layout, ILogger log)
    {
        try
        {
            HostMounter.RemoveDirectory(layout.Directory);
        }
        catch (Exception ex) when (ex is ShimException or IOException or UnauthorizedAccessException)
        {
            log.Error("the pod state folder {Directory} was not removed: {Message}", layout.Directory, ex.Message);
        }
    }
}
