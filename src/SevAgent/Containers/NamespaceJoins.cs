using SevAgent.Errors;

namespace SevAgent.Containers;

/// <summary>
/// Turns CreateContainer's namespace_joins into guest namespace paths. The host names
/// namespaces by its own paths (/proc/&lt;pid&gt;/ns/ipc of the CRI sandbox task, SHIM-PROTOCOL
/// 4.6), which mean nothing in the guest and must never be followed here: the shim translates
/// them into "join container X's namespace", and only this class writes a path, that of X's init
/// process in the guest.
/// </summary>
internal static class NamespaceJoins
{
    // OCI namespace type -> the name of its link under /proc/<pid>/ns (the runtime-spec's list;
    // network is absent: a pod's containers share the guest's network, the pod's own).
    private static readonly Dictionary<string, string> ProcLinks = new(StringComparer.Ordinal)
    {
        ["pid"] = "pid",
        ["ipc"] = "ipc",
        ["uts"] = "uts",
        ["mount"] = "mnt",
        ["cgroup"] = "cgroup",
        ["user"] = "user",
        ["time"] = "time",
    };

    /// <summary>
    /// The guest path per namespace type. <paramref name="initPidOf"/> gives the live init pid of
    /// a container of this pod, or throws NOT_FOUND / FAILED_PRECONDITION naming it.
    /// </summary>
    public static Dictionary<string, string> Resolve(string containerId, IEnumerable<NamespaceJoinSpec> joins, Func<string, int> initPidOf)
    {
        ArgumentNullException.ThrowIfNull(joins);
        ArgumentNullException.ThrowIfNull(initPidOf);
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var join in joins)
        {
            if (!ProcLinks.TryGetValue(join.Type, out var link))
            {
                throw AgentException.InvalidArgument($"container {containerId}: namespace_joins type '{join.Type}' cannot be joined: use one of {string.Join(", ", ProcLinks.Keys)}");
            }

            if (join.ContainerId == containerId)
            {
                throw AgentException.InvalidArgument($"container {containerId}: namespace_joins names the container itself for {join.Type}: name another container of the pod");
            }

            PathGuard.CheckId(join.ContainerId, "namespace_joins container_id");
            paths[join.Type] = $"/proc/{initPidOf(join.ContainerId)}/ns/{link}";
        }

        return paths;
    }
}
