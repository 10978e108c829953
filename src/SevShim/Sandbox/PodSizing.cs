using System.Globalization;
using SevShim.Errors;

namespace SevShim.Sandbox;

/// <summary>
/// The pod VM's size (issue 11 item 4): the configured base (<c>vm.vcpus</c>, <c>vm.memory_mib</c>:
/// the guest kernel, agent and pause) plus the pod's containers' limits, which containerd's CRI
/// writes into the sandbox spec as annotations (sums over the containers, without the
/// RuntimeClass overhead; CRI.md 1.3, 3). As Kata's static sizing for TEEs: vCPUs =
/// base + ceil(quota / period), or ceil(shares / 1024) when no quota is set; memory = base +
/// the memory limit. Sized once at boot (no hot-plug: an SEV guest's memory is pinned and
/// measured), so a later UpdateContainerResources changes cgroups in the guest, not the VM.
/// </summary>
internal static class PodSizing
{
    /// <summary>CRI's annotation keys (containerd 1.6 to 2.x, pkg/cri/annotations).</summary>
    public const string CpuPeriod = "io.kubernetes.cri.sandbox-cpu-period";

    /// <summary>CFS quota in microseconds per period; 0 or negative: none.</summary>
    public const string CpuQuota = "io.kubernetes.cri.sandbox-cpu-quota";

    /// <summary>CPU shares.</summary>
    public const string CpuShares = "io.kubernetes.cri.sandbox-cpu-shares";

    /// <summary>Memory limit in bytes; 0: none.</summary>
    public const string Memory = "io.kubernetes.cri.sandbox-memory";

    // Kubernetes gives a container without a CPU request 2 shares (the minimum): that is not a CPU.
    private const long SharesPerCpu = 1024;

    /// <summary>The VM's vCPUs and memory for a pod with these annotations.</summary>
    public static (int Vcpus, int MemoryMib) Size(IReadOnlyDictionary<string, string> annotations, int baseVcpus, int baseMemoryMib, int hostCpus)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        var period = Number(annotations, CpuPeriod);
        var quota = Number(annotations, CpuQuota);
        var shares = Number(annotations, CpuShares);
        var memory = Number(annotations, Memory);

        long extraCpus = 0;
        if (quota > 0 && period > 0)
        {
            extraCpus = (quota + period - 1) / period;
        }
        else if (shares > SharesPerCpu)
        {
            extraCpus = shares / SharesPerCpu;
        }

        // More vCPUs than host CPUs only adds scheduling overhead; the guest's cgroups still cap
        // each container at its own quota.
        var vcpus = (int)Math.Clamp(baseVcpus + extraCpus, 1, Math.Max(baseVcpus, hostCpus));
        var memoryMib = baseMemoryMib + (int)Math.Min((memory + (1 << 20) - 1) >> 20, int.MaxValue - baseMemoryMib);
        return (vcpus, memoryMib);
    }

    private static long Number(IReadOnlyDictionary<string, string> annotations, string key)
    {
        if (!annotations.TryGetValue(key, out var text) || text.Length == 0)
        {
            return 0;
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw new ShimException(ShimErrorKind.InvalidArgument, $"sevshim: annotation {key} = '{text}' is not an integer: containerd's CRI writes a number there");
        }

        return Math.Max(value, 0);
    }
}
