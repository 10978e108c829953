using System.Text.Json;
using System.Text.Json.Nodes;
using SevAgent.Errors;

namespace SevAgent.Containers;

/// <summary>
/// Turns the shim's OCI spec into the bundle's config.json for the guest (ARCHITECTURE.md
/// decision 6: never trust a host path). root.path becomes the guest rootfs; mounts whose source
/// is a host path are rewritten to the guest source the shim mapped, or dropped; hooks are removed
/// (they would run guest binaries with the agent's privileges outside the container);
/// linux.cgroupsPath is the agent's. Uses JsonNode (no reflection, Native AOT safe).
/// </summary>
internal static class SpecRewriter
{
    // Mount types that need no source from the host: the kernel provides them in the guest.
    private static readonly HashSet<string> KernelFileSystems =
        ["proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup", "cgroup2", "shm", "ramfs", "securityfs", "binfmt_misc"];

    /// <summary>The rewritten spec and the mounts it dropped (for the log).</summary>
    public static (string Json, List<string> Dropped) Rewrite(string specJson, SpecRewrite rewrite)
    {
        ArgumentNullException.ThrowIfNull(rewrite);
        var spec = SpecJson.ParseObject(specJson, "oci_spec_json");
        if (spec["process"] is not JsonObject process)
        {
            throw Invalid("oci_spec_json has no \"process\" object: the spec must say what to run");
        }

        CheckArgs(process, "oci_spec_json process");
        process["terminal"] = rewrite.Terminal;
        spec["root"] = new JsonObject { ["path"] = rewrite.RootfsPath, ["readonly"] = rewrite.Readonly };
        spec.Remove("hooks");

        if (spec["linux"] is not JsonObject linux)
        {
            linux = [];
            spec["linux"] = linux;
        }

        linux["cgroupsPath"] = rewrite.CgroupsPath;
        RewriteNamespaces(linux, rewrite.NamespacePaths);

        var dropped = new List<string>();
        if (spec["mounts"] is JsonArray mounts)
        {
            var kept = new JsonArray();
            foreach (var node in mounts)
            {
                if (node is not JsonObject mount || mount["destination"]?.GetValueKind() != JsonValueKind.String)
                {
                    throw Invalid("oci_spec_json has a mount without a \"destination\" string");
                }

                var destination = mount["destination"]!.GetValue<string>();
                var type = mount["type"]?.GetValueKind() == JsonValueKind.String ? mount["type"]!.GetValue<string>() : string.Empty;
                if (rewrite.MountSources.TryGetValue(destination, out var guestSource))
                {
                    mount["source"] = guestSource;
                    if (type.Length == 0 || !KernelFileSystems.Contains(type))
                    {
                        mount["type"] = "bind";
                    }

                    kept.Add(mount.DeepClone());
                }
                else if (KernelFileSystems.Contains(type) && !IsBind(mount))
                {
                    kept.Add(mount.DeepClone());
                }
                else
                {
                    dropped.Add(destination);
                }
            }

            spec["mounts"] = kept;
        }

        return (spec.ToJsonString(), dropped);
    }

    // A namespace path in the host's spec names a host object (/var/run/netns/..., /proc/<host
    // pid>/ns/...): following it in the guest could enter the agent's own namespaces. Every path
    // is dropped (the namespace is then made new) and only the agent's resolved joins are written.
    private static void RewriteNamespaces(JsonObject linux, IReadOnlyDictionary<string, string> joins)
    {
        if (linux["namespaces"] is not JsonArray namespaces)
        {
            if (joins.Count == 0)
            {
                return;
            }

            namespaces = [];
            linux["namespaces"] = namespaces;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in namespaces)
        {
            if (node is not JsonObject ns || ns["type"]?.GetValueKind() != JsonValueKind.String)
            {
                throw Invalid("oci_spec_json has a linux.namespaces entry without a \"type\" string");
            }

            var type = ns["type"]!.GetValue<string>();
            seen.Add(type);
            if (joins.TryGetValue(type, out var path))
            {
                ns["path"] = path;
            }
            else
            {
                ns.Remove("path");
            }
        }

        foreach (var (type, path) in joins)
        {
            if (!seen.Contains(type))
            {
                namespaces.Add((JsonNode)new JsonObject { ["type"] = type, ["path"] = path });
            }
        }
    }

    /// <summary>The exec process JSON for `crun exec --process`, with terminal set and cwd defaulted.</summary>
    public static string RewriteProcess(string processJson, bool terminal)
    {
        var process = SpecJson.ParseObject(processJson, "process_json");
        CheckArgs(process, "process_json");
        process["terminal"] = terminal;
        if (process["cwd"] is null)
        {
            process["cwd"] = "/";
        }

        return process.ToJsonString();
    }

    /// <summary>Checks that a resources JSON is an object and returns it re-serialised.</summary>
    public static string CheckResources(string resourcesJson) => SpecJson.ParseObject(resourcesJson, "resources_json").ToJsonString();

    private static bool IsBind(JsonObject mount) =>
        mount["options"] is JsonArray options &&
        options.Any(o => o?.GetValueKind() == JsonValueKind.String && o.GetValue<string>() is "bind" or "rbind");

    private static void CheckArgs(JsonObject process, string what)
    {
        if (process["args"] is not JsonArray args || args.Count == 0 ||
            args.Any(a => a?.GetValueKind() != JsonValueKind.String))
        {
            throw Invalid($"{what} has no \"args\" array of strings: give the program and its arguments");
        }
    }

    private static AgentException Invalid(string message) => AgentException.InvalidArgument(message);
}
