using Sev;
using Sev.Check;
using Sev.Launch;
using SevShim.Config;
using SevShim.Errors;

namespace SevShim.Qemu;

/// <summary>
/// Gets a confidential pod's QEMU fragments from src/Sev: runs the host check (kvm_amd
/// parameters, /dev/sev, QEMU's query-sev-capabilities, the firmware's hashes table) and lets
/// <see cref="SevLaunchPlanner"/> refuse a mode the host cannot give, so a pod is never started
/// unencrypted in its place (ARCHITECTURE decision 8). The refusal keeps src/Sev's reasons and fixes.
/// </summary>
internal static class ConfidentialPlanner
{
    /// <summary>The fragments for <paramref name="config"/>'s mode, or null for mode "none".</summary>
    public static async Task<ConfidentialLaunch?> PlanAsync(ShimConfig config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Confidential == ConfidentialMode.None)
        {
            return null;
        }

        var options = new SevCheckOptions { QemuBinary = config.QemuPath, FirmwarePath = config.FirmwarePath };
        var report = await HostCheck.RunAsync(new LinuxHostProbe(options.QemuTimeout), options, cancellationToken).ConfigureAwait(false);
        try
        {
            var plan = SevLaunchPlanner.Build(
                new SevLaunchRequest
                {
                    Mode = ToSevMode(config.Confidential),
                    Policy = config.SevPolicyOverride,
                    FirmwarePath = config.FirmwarePath,
                    GuestMemoryMiB = config.MemoryMib,
                    SwiotlbSlabs = config.SwiotlbSlabsOverride,
                    DhCertFile = config.Attestation == AttestationMode.Pre ? config.DhCertFile : null,
                    SessionFile = config.Attestation == AttestationMode.Pre ? config.SessionFile : null,
                    StartPaused = config.Attestation == AttestationMode.Pre,
                },
                report);
            return From(plan);
        }
        catch (SevUnavailableException ex)
        {
            throw new ShimException(
                ShimErrorKind.FailedPrecondition,
                $"sevshim: confidential.mode = \"{ex.Mode.Name()}\" is not available on this host: {string.Join("; ", ex.Reasons)}",
                ex);
        }
    }

    /// <summary>The builder's view of a launch plan.</summary>
    public static ConfidentialLaunch From(SevLaunchPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new ConfidentialLaunch(plan.MachineProperties, plan.Arguments, plan.KernelParameters, plan.VirtioDeviceProperties.Length > 0);
    }

    /// <summary>Config mode to src/Sev's mode.</summary>
    public static SevMode ToSevMode(ConfidentialMode mode) => mode switch
    {
        ConfidentialMode.Sev => SevMode.Sev,
        ConfidentialMode.SevEs => SevMode.SevEs,
        ConfidentialMode.SevSnp => SevMode.SevSnp,
        _ => SevMode.None,
    };
}
