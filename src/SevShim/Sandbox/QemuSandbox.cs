using System.Collections.Concurrent;
using System.Runtime.Versioning;
using System.Threading.Channels;
using Serilog;
using SevShim.Agent;
using SevShim.Config;
using SevShim.Confidential;
using SevShim.Errors;
using SevShim.Network;
using SevShim.Qemu;

namespace SevShim.Sandbox;

/// <summary>
/// The pod VM (ISandbox) on QEMU, composed of four parts with one job each (issue 11 item 6):
/// the VM (<see cref="PodVm"/>: QEMU, QMP, the state folder), the agent link
/// (<see cref="IGuestAgent"/>, the only side that sees the agent's proto types), the container
/// storage (<see cref="ContainerStorage"/>: mounts, rootfs disks, volume copies) and the process
/// table (<see cref="ProcessTracker"/>: stdio pumps, waiters, exits). This type holds the
/// container table and the order of things: boot, each container's create and delete, supervision
/// and shutdown.
/// Supervision: when QEMU exits unexpectedly, the guest console's tail is logged and every
/// process of the pod gets its exit (status 255) through <see cref="Events"/>.
/// Ownership: owns the four parts and the pod network. Lock: none global; containers live in a
/// concurrent dictionary, and the task service serializes one container's lifecycle calls.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class QemuSandbox : ISandbox
{
    // The pod's id: CRI's sandbox container, else the pod's first container; the container whose
    // namespaces the pod's other containers join (PodNamespaces).
    private readonly string _sandboxId;
    private readonly ShimConfig _config;
    private readonly PodVm _vm;
    private readonly IGuestAgent _agent;
    private readonly ContainerStorage _storage;
    private readonly ProcessTracker _processes;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, ContainerFiles> _containers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _vmGone = new();
    private readonly Task _supervisor;
    private readonly Task _oomLoop;

    // The pod's taps and tc redirects (null: the pod has no network namespace of its own);
    // released before the sandbox task's exit is published (issue 12 item 4).
    private readonly PodNetwork? _network;
    private int _shuttingDown;
    private int _stopped;

    private QemuSandbox(string sandboxId, ShimConfig config, QemuSandboxOptions options, PodVm vm, IGuestAgent agent, PodNetwork? network, ILogger log)
    {
        _network = network;
        _sandboxId = sandboxId;
        _config = config;
        _vm = vm;
        _agent = agent;
        _log = log;
        _storage = new ContainerStorage(config, vm, agent, log);
        _processes = new ProcessTracker(agent, HostPid, sandboxId, options.OutputDrainLimit, ReleaseNetworkAsync, VmDiedAsync, log, _vmGone.Token);
        _supervisor = SuperviseAsync();
        _oomLoop = Task.Run(() => _processes.ForwardOomEventsAsync(() => Volatile.Read(ref _shuttingDown) == 1));
    }

    /// <inheritdoc/>
    public ChannelReader<SandboxEvent> Events => _processes.Events;

    /// <summary>The pod's state folder.</summary>
    public PodStateLayout Layout => _vm.Layout;

    /// <summary>QEMU's pid (for tests and logs).</summary>
    public int QemuPid => _vm.Pid;

    /// <summary>Completes when QEMU has exited and was reaped.</summary>
    public Task QemuExited => _vm.Exited;

    /// <summary>
    /// The pid reported to containerd for every task and exec of the pod: QEMU's (ARCHITECTURE
    /// decision 14). A guest pid would name an unrelated host process to anything on the host that
    /// uses it (CRI builds /proc/&lt;pid&gt;/ns paths from it, operators kill and nsenter it).
    /// </summary>
    private uint HostPid => (uint)_vm.Pid;

    /// <summary>Boots a pod VM without a network of its own (only lo in the guest).</summary>
    public static Task<QemuSandbox> BootAsync(string sandboxId, ShimConfig config, QemuSandboxOptions options, ILogger log, CancellationToken cancellationToken) =>
        BootAsync(sandboxId, config, options, null, log, cancellationToken);

    /// <summary>
    /// Boots the pod VM: the VM, the agent link, the guest's verification and network. On any
    /// failure everything made so far is undone (QEMU killed, folder removed) and the error quotes
    /// the guest console. <paramref name="network"/>: the pod's wired network, owned by the
    /// sandbox once booted (by the caller if the boot fails).
    /// </summary>
    public static async Task<QemuSandbox> BootAsync(
        string sandboxId, ShimConfig config, QemuSandboxOptions options, PodNetwork? network, ILogger log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        log = log.ForContext("sandbox", sandboxId);
        var vm = await PodVm.StartAsync(sandboxId, config, options.StateRoot, network?.Nics ?? [], log, cancellationToken).ConfigureAwait(false);
        try
        {
            var agent = await AgentConnector.ConnectAsync(
                vm.Layout.AgentSocket, config.Stdio == StdioPath.Link ? vm.Layout.StdioSocket : null, config.BootTimeout, config.AgentConnectTimeout, vm.Exited, vm.DescribeFailure, log, cancellationToken).ConfigureAwait(false);
            try
            {
                var info = await agent.GetGuestInfoAsync(cancellationToken).ConfigureAwait(false);
                LogGuestInfo(info, log);

                // Issue 5 part 3: a confidential pod whose guest does not show its mode active is
                // refused here; the catch below stops QEMU and removes the pod's state.
                GuestSevVerifier.Require(config, info, log);
                if (vm.SnpAttestation is { } snp)
                {
                    // Before any container: a guest whose report fails never runs one.
                    _ = await SnpAttestationStep.RunAsync(snp, agent, vm.Layout.Directory, TimeProvider.System, log, cancellationToken).ConfigureAwait(false);
                }

                if (network is { Plan.IsEmpty: false })
                {
                    // Before the first container: the pod's processes find their network ready.
                    await agent.ConfigureNetworkAsync(network.Plan, cancellationToken).ConfigureAwait(false);
                }

                network?.ForwardLocalhost(agent);
            }
            catch
            {
                agent.Dispose();
                throw;
            }

            return new QemuSandbox(sandboxId, config, options, vm, agent, network, log);
        }
        catch
        {
            await vm.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc/>
    public async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _shuttingDown, 1) == 1)
        {
            await ((Task)_vm.Exited).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }

        _log.Information("shutting the pod VM down");
        var started = Environment.TickCount64;
        if (!_vm.Exited.IsCompleted)
        {
            try
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                limit.CancelAfter(_config.ShutdownTimeout);
                // The agent answers once every container is deleted and the guest's file systems
                // are synced (its writes are then in the host's files: the 9p share, the block
                // images): nothing is left to lose, so QEMU is stopped at once rather than
                // waiting for the guest's own power-off (about half a second under TCG).
                await _agent.ShutdownAsync(limit.Token).ConfigureAwait(false);
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

    private static void LogGuestInfo(GuestInfo info, ILogger log)
    {
        var sev = info.Sev is not { MsrKnown: true } known
            ? $"unknown ({info.Sev?.Reason})"
            : known.Snp ? "SEV-SNP active" : known.SevEs ? "SEV-ES active" : known.Sev ? "SEV active" : "not active";
        log.Information(
            "guest: kernel {Kernel}, {Cpus} CPUs, {MemoryMib} MiB, memory encryption {Sev}, agent {Agent}",
            info.KernelRelease,
            info.Cpus,
            info.MemoryTotalBytes / (1024 * 1024),
            sev,
            info.AgentVersion);
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
        await _vm.KillAsync().ConfigureAwait(false);
        _log.Debug("QEMU killed and reaped in {Ms} ms", Environment.TickCount64 - started);
        await ReleaseNetworkAsync().ConfigureAwait(false);
        await _vmGone.CancelAsync().ConfigureAwait(false);
        await _supervisor.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _oomLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _storage.DisposeAsync().ConfigureAwait(false);
        foreach (var files in _containers.Values)
        {
            await ReleaseContainerAsync(files).ConfigureAwait(false);
        }

        _containers.Clear();
        _agent.Dispose();
        await _vm.DisposeAsync().ConfigureAwait(false);
        _log.Debug("host side of the pod released in {Ms} ms after QEMU's kill", Environment.TickCount64 - started);
        _processes.Complete();
    }

    // Watches QEMU: an exit nobody asked for is logged with the console tail, and every process is
    // ended (its waiter's call fails once _vmGone is cancelled and the exit is published with 255).
    private async Task SuperviseAsync()
    {
        var status = await _vm.Exited.ConfigureAwait(false);
        if (Volatile.Read(ref _shuttingDown) == 0)
        {
            _log.Error(
                "QEMU exited unexpectedly with status {Status}; QEMU said: {Stderr}; guest console tail:\n{Console}",
                status,
                _vm.StandardErrorTail,
                ConsoleTail.Read(_vm.Layout.ConsoleLog));
        }

        // Before any exit is published: CNI DEL follows the sandbox task's exit (item 4).
        await ReleaseNetworkAsync().ConfigureAwait(false);
        await _vmGone.CancelAsync().ConfigureAwait(false);
        _processes.ExitAll();
    }

    // After an agent call failed: true when that was QEMU going away (the supervisor then reports
    // it). The link breaks a moment before QEMU is reaped, hence the short grace.
    private async Task<bool> VmDiedAsync()
    {
        await Task.WhenAny(_supervisor, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        return _supervisor.IsCompleted;
    }

    private Task ReleaseNetworkAsync() => _network?.ReleaseAsync() ?? Task.CompletedTask;
}
