using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SevAgent.Errors;

namespace SevAgent.Containers;

/// <summary>
/// The net.* sysctls of a container that runs in the pod's network. The shim drops the network
/// namespace of a pod's containers (src/SevShim/Sandbox/PodNamespaces.cs): in the VM the pod's
/// network is the guest's own namespace, so their spec has no "network" entry. crun then refuses
/// any net.* key in linux.sysctl ("requires a new network namespace"), and containerd 2.x's CRI
/// puts net.ipv4.ip_unprivileged_port_start=0 (enable_unprivileged_ports, on by default) into
/// every sandbox spec. runc applies such keys to the pod's network namespace; here that is the
/// guest's, so the agent writes them under /proc/sys itself and hands crun the spec without them.
/// A container with a network namespace of its own keeps them for crun.
/// </summary>
internal static partial class PodNetworkSysctls
{
    /// <summary>
    /// The spec without the net.* sysctls it asks of the pod's network, and those keys and values
    /// (empty when it has none or a network namespace of its own). Pure: unit-tested as is.
    /// </summary>
    public static (string Json, IReadOnlyList<(string Key, string Value)> Sysctls) Extract(string specJson)
    {
        var spec = SpecJson.ParseObject(specJson, "oci_spec_json");
        if (spec["linux"] is not JsonObject linux || linux["sysctl"] is not JsonObject sysctl || HasNetworkNamespace(linux))
        {
            return (specJson, []);
        }

        var found = new List<(string, string)>();
        foreach (var (key, node) in sysctl.ToList())
        {
            if (!key.StartsWith("net.", StringComparison.Ordinal))
            {
                continue;
            }

            if (!SysctlKey().IsMatch(key) || node?.GetValueKind() != JsonValueKind.String)
            {
                throw Invalid($"oci_spec_json linux.sysctl has '{key}', which is not a net.* key with a string value");
            }

            var value = node.GetValue<string>();
            if (value.Contains('\n', StringComparison.Ordinal))
            {
                throw Invalid($"oci_spec_json linux.sysctl {key} has a value with a newline");
            }

            found.Add((key, value));
            sysctl.Remove(key);
        }

        return found.Count == 0 ? (specJson, []) : (spec.ToJsonString(), found);
    }

    /// <summary>Writes each key to /proc/sys (dots become slashes) in the agent's network namespace, the pod's.</summary>
    public static async Task ApplyAsync(IReadOnlyList<(string Key, string Value)> sysctls, string procSys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sysctls);
        foreach (var (key, value) in sysctls)
        {
            var path = Path.Combine(procSys, key.Replace('.', '/'));
            try
            {
                await File.WriteAllTextAsync(path, value, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw AgentException.InvalidArgument($"sysctl {key}={value} for the pod's network could not be set in the guest ({path}: {e.Message}): remove it from the pod");
            }
        }
    }

    private static bool HasNetworkNamespace(JsonObject linux) =>
        linux["namespaces"] is JsonArray namespaces
        && namespaces.OfType<JsonObject>().Any(n => n["type"]?.GetValueKind() == JsonValueKind.String && n["type"]!.GetValue<string>() == "network");

    private static AgentException Invalid(string message) => AgentException.InvalidArgument(message);

    // net. then dot-separated names of letters, digits, '_' and '-': no '/', no "..", nothing
    // that could leave /proc/sys/net.
    [GeneratedRegex(@"^net(\.[A-Za-z0-9_-]+)+\z", RegexOptions.CultureInvariant)]
    private static partial Regex SysctlKey();
}
