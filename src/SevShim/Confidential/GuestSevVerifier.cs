using Sev;
using Serilog;
using SevShim.Agent;
using SevShim.Config;
using SevShim.Errors;

namespace SevShim.Confidential;

/// <summary>
/// Issue 5 part 3, ARCHITECTURE decision 8: after the agent answers, the shim checks that the
/// guest really runs with the requested mode, and refuses the pod otherwise (the caller stops the
/// VM). Two sources, both reported by the agent (SevAgent GuestInfoReader): the SEV_STATUS MSR
/// and the kernel's boot line. The rule is strict so that a confidential pod never runs
/// unverified: every source present must show the mode, and at least one must be present; an
/// unreadable MSR with no kernel line is "unknown", which counts as not active.
/// Requesting "sev" is met by SEV-ES and SNP guests too (both set the SEV bit).
/// </summary>
internal static class GuestSevVerifier
{
    /// <summary>The feature that <paramref name="mode"/> needs, or None for mode "none".</summary>
    public static GuestSevFeatures Required(SevMode mode) => mode switch
    {
        SevMode.Sev => GuestSevFeatures.Sev,
        SevMode.SevEs => GuestSevFeatures.SevEs,
        SevMode.SevSnp => GuestSevFeatures.Snp,
        _ => GuestSevFeatures.None,
    };

    /// <summary>Judges <paramref name="status"/> (null when the agent sent none) against <paramref name="mode"/>.</summary>
    public static GuestSevVerdict Evaluate(SevMode mode, GuestSevStatus? status)
    {
        var required = Required(mode);
        GuestSevFeatures? msr = status is { MsrKnown: true } known ? FromMsr(known.MsrValue) : null;
        var kernel = KernelEncryptionLine.Parse(status?.KernelMessage);
        var evidence = string.Join("; ", Describe(status, msr, kernel));
        if (msr is null && kernel is null)
        {
            return new GuestSevVerdict(required == GuestSevFeatures.None, "unknown", evidence);
        }

        var seen = (msr ?? GuestSevFeatures.None) | (kernel ?? GuestSevFeatures.None);
        var active = (msr is not { } m || m.HasFlag(required)) && (kernel is not { } k || k.HasFlag(required));
        var seenText = msr is { } a && kernel is { } b && a != b
            ? $"{Name(a)} (SEV_STATUS) but {Name(b)} (kernel line)"
            : Name(seen);
        return new GuestSevVerdict(active, seenText, evidence);
    }

    /// <summary>
    /// Throws a FailedPrecondition <see cref="ShimException"/> naming the requested and the seen
    /// mode when a confidential pod's guest does not run with its mode; logs the evidence when it does.
    /// </summary>
    public static void Require(ShimConfig config, GuestInfo info, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(log);
        if (config.Confidential == SevMode.None)
        {
            return;
        }

        var requested = ConfigSchema.Format(config.Confidential);
        var verdict = Evaluate(config.Confidential, info.Sev);
        if (verdict.Active)
        {
            log.Information("guest verified: confidential.mode = {Requested} is active in the guest ({Evidence})", requested, verdict.Evidence);
            return;
        }

        throw new ShimException(
            ShimErrorKind.FailedPrecondition,
            $"sevshim: confidential.mode = \"{requested}\" was requested but the guest runs with {verdict.Seen} ({verdict.Evidence}); " +
            "the pod VM was stopped and no container was started. Check the host with `containerd-shim-sevshim-v2 check`, " +
            "the firmware (vm.firmware) and the guest kernel (vm.kernel, which must support AMD memory encryption)");
    }

    private static GuestSevFeatures FromMsr(ulong value) =>
        ((value & 1) != 0 ? GuestSevFeatures.Sev : 0)
        | ((value & 2) != 0 ? GuestSevFeatures.SevEs : 0)
        | ((value & 4) != 0 ? GuestSevFeatures.Snp : 0);

    private static IEnumerable<string> Describe(GuestSevStatus? status, GuestSevFeatures? msr, GuestSevFeatures? kernel)
    {
        if (status is null)
        {
            yield return "the agent reported no SEV status";
            yield break;
        }

        yield return msr is null
            ? $"SEV_STATUS MSR unreadable: {(status.Reason.Length > 0 ? status.Reason : "no reason given")}"
            : $"SEV_STATUS MSR 0xc0010131 = 0x{status.MsrValue:x}";
        yield return kernel is null
            ? "the kernel printed no memory-encryption line"
            : $"kernel: \"{status.KernelMessage}\"";
    }

    private static string Name(GuestSevFeatures f) => f == GuestSevFeatures.None
        ? "no memory encryption"
        : string.Join(' ', new[] { (GuestSevFeatures.Sev, "SEV"), (GuestSevFeatures.SevEs, "SEV-ES"), (GuestSevFeatures.Snp, "SEV-SNP") }
            .Where(p => f.HasFlag(p.Item1)).Select(p => p.Item2));
}
