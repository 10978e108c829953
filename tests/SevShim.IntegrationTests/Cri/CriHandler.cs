using TestSupport;

namespace SevShim.IntegrationTests.Cri;

/// <summary>The CRI runtime handlers the suite compares (RunPodSandboxRequest.runtime_handler).</summary>
public static class CriHandler
{
    /// <summary>containerd's runc shim: the reference behaviour.</summary>
    public const string Runc = "runc";

    /// <summary>The shim under test, a QEMU VM per pod (TCG, no SEV here).</summary>
    public const string Sevshim = "sevshim";

    /// <summary>What every CRI test needs, whichever the handler.</summary>
    public static readonly string[] Common =
        [Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.CniPlugins, Requirement.Iproute];

    /// <summary>What <paramref name="handler"/> needs besides <see cref="Common"/>.</summary>
    public static IReadOnlyList<string> RequirementsOf(string handler) => handler switch
    {
        Runc => [Requirement.Runc],
        Sevshim => [Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage],
        _ => throw new ArgumentException($"unknown handler '{handler}'; use {Runc} or {Sevshim}", nameof(handler)),
    };

    /// <summary>Throws with the reason when a prerequisite of <paramref name="handler"/> is missing; first call in every CRI test.</summary>
    public static void Ensure(string handler) => Prerequisites.Ensure([.. Common, .. RequirementsOf(handler)]);
}
