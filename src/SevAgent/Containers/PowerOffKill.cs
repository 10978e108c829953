using Microsoft.Extensions.Logging;
using SevAgent.Stats;

namespace SevAgent.Containers;

/// <summary>
/// Stops every container process at once when the VM is about to be destroyed.
/// </summary>
/// <remarks>
/// At Shutdown the shim kills QEMU as soon as the agent answers, so deleting each container first
/// (crun delete, unmounts, bundle removal: about 0.3 s per container under TCG) is work thrown away.
/// What matters is that no container process writes after the final sync, which makes the
/// writes on block volumes durable on the host: one write of "1" to cgroup.kill of the agent's
/// cgroup parent SIGKILLs every process below it (cgroup v2, Linux 5.14+; kernel
/// Documentation/admin-guide/cgroup-v2.rst, "cgroup.kill"). It does not wait for the processes to
/// die: a write racing the kill is as good as lost on power-off, and the sync follows anyway.
/// </remarks>
internal static class PowerOffKill
{
    /// <summary>
    /// Kills everything under <paramref name="cgroupParent"/>; false when that is not possible
    /// (cgroup v1, an old kernel, no container ever created), and the caller deletes the
    /// containers one by one instead.
    /// </summary>
    public static bool TryKillAll(CgroupLayout layout, string cgroupParent, ILogger log)
    {
        var kill = Path.Combine(layout.Root, cgroupParent, "cgroup.kill");
        if (!layout.IsV2 || !File.Exists(kill))
        {
            return false;
        }

        try
        {
            File.WriteAllText(kill, "1");
            log.LogInformation("power-off: killed every container process (wrote 1 to {Path})", kill);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning("power-off: writing {Path} failed ({Error}); deleting the containers one by one", kill, e.Message);
            return false;
        }
    }
}
