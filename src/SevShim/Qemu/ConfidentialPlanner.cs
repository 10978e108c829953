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
    /// <summary>
    /// The plan for <paramref name="config"/>'s mode, or null for mode "none": the fragments
    /// QemuCommandLine places and the policy pre-attestation expects.
    /// </summary>
    public static async Task<SevLaunchPlan?> PlanAsync(ShimConfig config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Confidential == SevMode.None)
        {
            return null;
        }

        var options = new SevCheckOptions { QemuBinary = config.QemuPath, FirmwarePath = config.FirmwarePath, ProbeOtherQemus = false };
        var report = await HostCheck.RunAsync(new LinuxHostProbe(options.QemuTimeout), options, cancellationToken).ConfigureAwait(false);
        try
        {
            return SevLaunchPlanner.Build(
                new SevLaunchRequest
                {
                    Mode = config.Confidential,
                    Policy = config.SevPolicyOverride,
                    FirmwarePath = config.FirmwarePath,
                    GuestMemoryMiB = config.MemoryMib,
                    SwiotlbSlabs = config.SwiotlbSlabsOverride,
                    DhCertFile = config.Attestation == AttestationMode.Pre ? config.DhCertFile : null,
                    SessionFile = config.Attestation == AttestationMode.Pre ? config.SessionFile : null,
                    StartPaused = config.Attestation == AttestationMode.Pre,
                },
                report);
        }
        catch (SevUnavailableException ex)
        {
            throw new ShimException(
                ShimErrorKind.FailedPrecondition,
                $"sevshim: confidential.mode = \"{ex.Mode.Name()}\" is not available on this host: {string.Join("; ", ex.Reasons)}",
                ex);
        }
    }
}
