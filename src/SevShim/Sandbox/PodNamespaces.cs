using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SevShim.Errors;

namespace SevShim.Sandbox;

/// <summary>
/// Translates a container's linux.namespaces from the host's view to the pod VM's (issue 11
/// item 1, CRI.md 1.2). containerd names namespaces by host paths: the CRI pause spec's network
/// namespace is <c>/var/run/netns/cni-…</c>, and every app container of the pod gets
/// <c>/proc/&lt;sandbox task pid&gt;/ns/{net,ipc,uts[,pid]}</c>, where that pid is the one this
/// shim returned for the sandbox task: QEMU's (ARCHITECTURE decision 14). In the VM:
/// <list type="bullet">
/// <item>network with a path: the entry goes, so the container runs in the guest's own network
/// namespace, which is the pod's network (its NICs are CNI's interfaces carried into the VM);</item>
/// <item>any other type whose path is <c>/proc/&lt;QEMU pid&gt;/ns/…</c>: a join of the pod's
/// sandbox container's namespace of that type, resolved by the agent in the guest;</item>
/// <item>any other path names something outside the pod and is refused, naming it.</item>
/// </list>
/// A spec without a mount, network, pid, ipc or uts namespace asks to share the host's (CRI's
/// hostNetwork, hostPID, hostIPC; ctr --net-host): a VM cannot, and in the guest it would mean
/// the agent's own namespaces, so it is refused rather than run otherwise.
/// Pure (no I/O): unit-tested as is.
/// </summary>
internal static partial class PodNamespaces
{
    // The namespaces a container in the VM must have: absent, runc would share the host's.
    private static readonly (string Type, string Field)[] Required =
    [
        ("network", "hostNetwork"),
        ("pid", "hostPID"),
        ("ipc", "hostIPC"),
        ("uts", "hostNetwork (CRI shares the host's UTS with its network)"),
        ("mount", "a mount namespace"),
    ];

    /// <summary>
    /// Refuses a spec that shares a host namespace; <paramref name="containerId"/> names it.
    /// Called before the VM boots for the pod's first container, so a hostNetwork pod fails at
    /// once (RunPodSandbox) instead of after a boot.
    /// </summary>
    public static void RequireOwnNamespaces(JsonObject spec, string containerId)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var types = Entries(spec, containerId).Select(e => e.Type).ToHashSet(StringComparer.Ordinal);
        foreach (var (type, field) in Required)
        {
            if (!types.Contains(type))
            {
                throw new ShimException(
                    ShimErrorKind.InvalidArgument,
                    $"sevshim: container {containerId} shares the host's {type} namespace (its spec's linux.namespaces has no \"{type}\" entry: {field}); " +
                    "a pod VM cannot share the host's namespaces: remove that setting from the pod, or run it with runc");
            }
        }
    }

    /// <summary>
    /// Rewrites <paramref name="spec"/>'s namespaces in place (no path left) and returns the joins
    /// for the agent: namespace type to the container of the pod whose namespace it enters.
    /// </summary>
    /// <param name="spec">The container's spec.</param>
    /// <param name="containerId">The container (for messages).</param>
    /// <param name="hostPid">The pid the shim reports for every task of the pod (QEMU's).</param>
    /// <param name="sandboxContainerId">The container whose namespaces the pod shares (the CRI sandbox, else the pod's first).</param>
    public static IReadOnlyList<(string Type, string ContainerId)> Translate(JsonObject spec, string containerId, int hostPid, string sandboxContainerId)
    {
        ArgumentNullException.ThrowIfNull(spec);
        RequireOwnNamespaces(spec, containerId);
        var joins = new List<(string, string)>();
        var namespaces = (JsonArray)((JsonObject)spec["linux"]!)["namespaces"]!;
        for (var i = namespaces.Count - 1; i >= 0; i--)
        {
            var ns = (JsonObject)namespaces[i]!;
            var type = ns["type"]!.GetValue<string>();
            var path = ns["path"] is JsonValue p && p.TryGetValue<string>(out var text) ? text : string.Empty;
            if (path.Length == 0)
            {
                ns.Remove("path");
                continue;
            }

            if (type == "network")
            {
                namespaces.RemoveAt(i);
                continue;
            }

            var match = ProcNamespacePath().Match(path);
            if (!match.Success || !int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid != hostPid)
            {
                throw new ShimException(
                    ShimErrorKind.InvalidArgument,
                    $"sevshim: container {containerId} asks to join the {type} namespace {path}, which is not one of this pod's " +
                    $"(the pod's tasks all have pid {hostPid}, so only /proc/{hostPid}/ns/… names the pod's sandbox); a host namespace cannot enter the VM");
            }

            if (containerId == sandboxContainerId)
            {
                throw new ShimException(
                    ShimErrorKind.InvalidArgument,
                    $"sevshim: container {containerId} is the pod's sandbox and asks to join its own {type} namespace ({path}): give it a namespace of its own");
            }

            ns.Remove("path");
            joins.Add((type, sandboxContainerId));
        }

        // The guest is cgroup v2 whatever the host runs. containerd gives a container its own
        // cgroup namespace only on a v2 host (CRI.md 1.2), so a spec from a v1 host has none, and
        // under crun the container's /sys/fs/cgroup would then show the guest's whole tree instead
        // of its own cgroup (memory.max, cpu.max), which is what it sees under runc on v2.
        if (!namespaces.OfType<JsonObject>().Any(n => n["type"] is JsonValue t && t.GetValue<string>() == "cgroup"))
        {
            namespaces.Add((JsonNode)new JsonObject { ["type"] = "cgroup" });
        }

        return joins;
    }

    /// <summary>
    /// The path of the spec's network namespace (CRI's <c>/var/run/netns/cni-…</c>, ctr's
    /// <c>--with-ns network:PATH</c>), or null when the container gets a new, empty one. A host
    /// path: only the shim's network wiring reads it, the guest never sees it.
    /// </summary>
    public static string? NetworkPath(JsonObject spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var entry = Entries(spec, "the pod").FirstOrDefault(e => e.Type == "network").Entry;
        return entry?["path"] is JsonValue p && p.TryGetValue<string>(out var path) && path.Length > 0 ? path : null;
    }

    private static IEnumerable<(string Type, JsonObject Entry)> Entries(JsonObject spec, string containerId)
    {
        if ((spec["linux"] as JsonObject)?["namespaces"] is not JsonArray namespaces)
        {
            yield break;
        }

        foreach (var node in namespaces)
        {
            if (node is not JsonObject ns || ns["type"]?.GetValueKind() != JsonValueKind.String)
            {
                throw new ShimException(
                    ShimErrorKind.InvalidArgument,
                    $"sevshim: the OCI spec of {containerId} has a linux.namespaces entry without a \"type\" string");
            }

            yield return (ns["type"]!.GetValue<string>(), ns);
        }
    }

    [GeneratedRegex(@"^/proc/([0-9]{1,10})/ns/[a-z_]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex ProcNamespacePath();
}
