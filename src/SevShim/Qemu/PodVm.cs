using Sev;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Serilog;
using Sev.Attestation;
using SevShim.Config;
using SevShim.Confidential;
using SevShim.Errors;
using SevShim.Network;
using SevShim.Rootfs;
using SevShim.Sandbox;

namespace SevShim.Qemu;

/// <summary>
/// The pod's virtual machine, apart from what runs in it: the state folder, QEMU with the pod's
/// devices (<see cref="QemuCommandLine"/>), the confidential launch and its pre-attestation, and
/// disk hot-plug over QMP. It knows nothing of the agent or of containers (QemuSandbox composes
/// them). State: <c>&lt;state root&gt;/&lt;sandbox id&gt;</c>, made at start, removed at dispose.
/// Ownership: owns the QEMU process, the QMP hot-plug link and the state folder. Kill first
/// (<see cref="KillAsync"/>, idempotent), release the rest with <see cref="DisposeAsync"/>.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class PodVm : IAsyncDisposable
{
    private readonly QemuProcess _qemu;
    private readonly ScsiHotplug _disks;
    private readonly ILogger _log;
    // Guards _kill: QemuProcess is disposed once, whoever asks first (shutdown or supervision).
    private readonly Lock _killGate = new();
    private Task? _kill;

    private PodVm(PodStateLayout layout, QemuProcess qemu, ILogger log)
    {
        Layout = layout;
        _qemu = qemu;
        _log = log;
        _disks = new ScsiHotplug(layout.QmpSocket, log);
    }

    /// <summary>The pod's state folder.</summary>
    public PodStateLayout Layout { get; }

    /// <summary>What the guest's SNP attestation report must show (confidential.attestation = "report"), or null.</summary>
    public SnpAttestationRequest? SnpAttestation { get; private init; }

    /// <summary>QEMU's pid: the pid containerd gets for every task and exec (ARCHITECTURE decision 14).</summary>
    public int Pid => _qemu.Pid;

    /// <summary>Completes with QEMU's exit status once it exited and was reaped.</summary>
    public Task<int> Exited => _qemu.Exited;

    /// <summary>The end of what QEMU wrote to stderr.</summary>
    public string StandardErrorTail => _qemu.StandardErrorTail;

    /// <summary>
    /// Makes the state folder and starts QEMU, running (after the pre-attestation, when
    /// configured). A pod that asked for encryption on a host that cannot give it is refused
    /// first, with the check's findings (decision 8). On failure nothing is left: QEMU killed,
    /// folder removed. <paramref name="nics"/>: the pod's taps, which QEMU inherits.
    /// </summary>
    public static async Task<PodVm> StartAsync(
        string sandboxId, ShimConfig config, string stateRoot, IReadOnlyList<PodNic> nics, ILogger log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(nics);
        ArgumentNullException.ThrowIfNull(log);
        var confidential = await ConfidentialPlanner.PlanAsync(config, cancellationToken).ConfigureAwait(false);
        UnencryptedPodWarning.LogIfUnencrypted(config, log);
        var layout = PodStateLayout.For(stateRoot, sandboxId);
        var image = GuestImage.Resolve(config);
        var accel = AcceleratorSelector.SelectForHost(confidential: config.Confidential != SevMode.None);
        log.Information("pod VM accelerator: {Reason}", accel.Reason);
        var cmdline = confidential is null ? image.KernelCommandLine : string.Join(' ', confidential.KernelParameters.Prepend(image.KernelCommandLine));
        if (config.AgentLogLevel != "info")
        {
            // guest-image/init.sh hands it to the agent as --log-level.
            cmdline += " sevagent.log_level=" + config.AgentLogLevel;
        }

        QemuStateCleanup.RemovePodState(stateRoot, sandboxId, log);
        var share = config.Rootfs == RootfsMode.Shared;
        PrepareStateDirectory(layout, share);
        QemuProcess? qemu = null;
        PreAttestationRequest? attestation = null;
        try
        {
            // Read before QEMU starts, so a missing key file or digest fails without a VM. The
            // expected policy is the one the plan put on QEMU's sev-guest object ("pre" is only
            // valid for sev and sev-es, whose policies are 32-bit, so there is always a plan).
            attestation = config.Attestation == AttestationMode.Pre
                ? PreAttestationInputs.Build(config, image.KernelPath, image.InitrdPath, cmdline, checked((uint)(confidential?.Policy ?? 0)))
                : null;
            // The same for the SNP report's chain and measurements; the report itself comes once the guest runs.
            var snp = config.Attestation == AttestationMode.Report
                ? SnpAttestationInputs.Build(config, image.KernelPath, image.InitrdPath, cmdline, confidential?.Policy ?? 0)
                : null;
            var spec = new QemuVmSpec(
                sandboxId, accel.Accelerator, config.Vcpus, config.MemoryMib, image.KernelPath, image.InitrdPath, cmdline, layout, confidential,
                nics.Select((n, i) => new QemuNic("net" + i.ToString(CultureInfo.InvariantCulture), (int)n.TapFd.DangerousGetHandle(), n.Interface.MacText)).ToList(),
                ShareFolder: share,
                DataDirectory: global::Qemu.QemuBinary.Resolve(config.QemuPath) is { } binary ? global::Qemu.QemuBinary.DataDirectory(binary) : null);
            qemu = await QemuProcess.StartAsync(config.QemuPath, QemuCommandLine.Build(spec), log, nics.Select(n => (SafeHandle)n.TapFd).ToList()).ConfigureAwait(false);
            var vm = new PodVm(layout, qemu, log) { SnpAttestation = snp };
            if (attestation is not null)
            {
                // QEMU waits paused (-S) until this step verified the launch and sent cont.
                await PreAttestationStep.RunAsync(config, layout.QmpSocket, attestation, qemu.Exited, vm.DescribeFailure, log, cancellationToken).ConfigureAwait(false);
            }

            return vm;
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

    /// <summary>The guest console's tail and QEMU's stderr, for an error message.</summary>
    public string DescribeFailure()
    {
        var stderr = _qemu.StandardErrorTail;
        var console = ConsoleTail.Read(Layout.ConsoleLog);
        return stderr.Length == 0 ? console : $"{console}\nQEMU: {stderr}";
    }

    /// <summary>Hot-plugs <paramref name="imagePath"/> as a SCSI disk.</summary>
    public Task<ScsiDisk> AttachDiskAsync(string imagePath, CancellationToken cancellationToken) => _disks.AttachAsync(imagePath, cancellationToken);

    /// <summary>Unplugs <paramref name="disk"/> (nothing to do once QEMU is gone).</summary>
    public Task DetachDiskAsync(ScsiDisk disk) => _qemu.Exited.IsCompleted ? Task.CompletedTask : _disks.DetachAsync(disk);

    /// <summary>Kills QEMU if it still runs and reaps it. Idempotent.</summary>
    public Task KillAsync()
    {
        lock (_killGate)
        {
            return _kill ??= _qemu.DisposeAsync().AsTask();
        }
    }

    /// <summary>Kills QEMU, closes the QMP link and removes the state folder.</summary>
    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        await _disks.DisposeAsync().ConfigureAwait(false);
        TryRemoveState(Layout, _log);
    }

    private static void PrepareStateDirectory(PodStateLayout layout, bool share)
    {
        if (Directory.Exists(layout.Directory))
        {
            // Still there after the stale-state cleanup: something under it could not be unmounted.
            HostMounter.RemoveDirectory(layout.Directory);
        }

        const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Directory.CreateDirectory(Path.GetDirectoryName(layout.Directory)!, Owner);
        Directory.CreateDirectory(layout.Directory, Owner);
        if (share)
        {
            Directory.CreateDirectory(layout.ShareDirectory, Owner);
        }
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
