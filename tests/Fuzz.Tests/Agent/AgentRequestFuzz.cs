using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CsCheck;
using Fuzz.Tests.Harness;
using SevAgent.Containers;
using SevAgent.Errors;
using Xunit.Abstractions;

namespace Fuzz.Tests.Agent;

/// <summary>
/// Target 6: the agent's pure handling of what the shim sends (the host is not trusted,
/// ARCHITECTURE.md decision 6), in the order CreateContainer runs it: namespace_joins through
/// <see cref="NamespaceJoins"/>, the OCI spec through <see cref="SpecRewriter"/> and then
/// <see cref="PodNetworkSysctls"/>; exec's process JSON and Update's resources; ids and share paths
/// through <see cref="PathGuard"/> (ResolveUnder on a temporary tree with symlinks that leave it);
/// ConfigureNetwork's NICs and routes through <see cref="GuestNetwork.Validate"/>; and the guest
/// kernel's TCP tables through <see cref="GuestListeners.Parse"/>. Allowed: AgentException. The
/// invariants are the ones the agent's safety rests on: the rewritten spec has the agent's root,
/// cgroup, terminal and namespace paths and no hooks, keeps only mapped or kernel mounts, and no
/// net.* sysctl leaves /proc/sys/net; an accepted id is one plain path segment; a resolved share
/// path lies under the share; a validated NIC name is one the kernel takes, each MAC is one NIC's,
/// and every number reaches netlink as given.
/// </summary>
public sealed partial class AgentRequestFuzz(ITestOutputHelper output)
{
    private const string ContainerId = "c1";
    private const string Rootfs = "/run/sevagent/share/c1/rootfs";
    private const string CgroupsPath = "/sevagent/c1";

    private static readonly string[] KernelFileSystems =
        ["proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup", "cgroup2", "shm", "ramfs", "securityfs", "binfmt_misc"];

    private static readonly string[] SpecKeys =
        ["ociVersion", "process", "args", "cwd", "env", "terminal", "user", "root", "path", "readonly", "hostname", "mounts", "destination",
         "type", "source", "options", "hooks", "prestart", "linux", "namespaces", "cgroupsPath", "sysctl", "resources", "memory", "limit",
         "net.ipv4.ip_unprivileged_port_start", "net.core.somaxconn", "kernel.shm_rmid_forced", "net./../x", "net.ipv4.ping_group_range"];

    private static readonly string[] SpecStrings =
        ["proc", "tmpfs", "bind", "rbind", "ro", "cgroup", "devpts", "none", "pid", "ipc", "uts", "mount", "network", "user", "cgroup", "time",
         "/proc", "/dev/shm", "/etc/hosts", "/data", "/tmp", "/", "", "..", "/../../etc", "/proc/1/ns/pid", "/var/run/netns/cni-1", "0", "1",
         "0 2147483647", "a\nb", "sh", "net.ipv4.ip_forward", "\ud800", "a\u0000b"];

    private static readonly Gen<string> Specs = Gen.Frequency(
        (1, Gen.OneOf(Corpus.Text("agent"))),
        (3, Mutations.Text(Corpus.Text("agent"), [.. JsonGen.Tokens, "\"net.", "\"sysctl\"", "\"namespaces\"", "\"bind\"", "\"destination\""], maxEdits: 3)),
        (2, JsonGen.Object(SpecKeys, SpecStrings)));

    // The OCI destinations the shim may map and the guest sources it maps them to.
    private static readonly string[] Destinations = ["/data", "/etc/hosts", "/dev/shm", "/proc", "/tmp", "", "/data/"];

    private static readonly string[] NamespaceTypes = ["pid", "ipc", "uts", "mount", "cgroup", "user", "time", "network", "mnt", "", "PID", "net"];

    private static readonly string[] JoinIds = ["c0", ContainerId, "sandbox", "gone", "abc\n", "../c0", "", ".c0", "-c0", new string('a', 129), "c0/x", "é"];

    private static readonly Gen<SpecInput> SpecInputs = Gen.Select(
        Specs,
        Gen.Select(Gen.Bool, Gen.Bool),
        Gen.OneOf(Destinations).Array[0, 4],
        Gen.Frequency(
            (2, Gen.Const(Array.Empty<NamespaceJoinSpec>())),
            (2, Gen.Select(Gen.OneOf("pid", "ipc", "uts", "mount", "cgroup"), Gen.OneOf("c0", "sandbox"), (t, c) => new NamespaceJoinSpec(t, c)).Array[1, 3]),
            (1, Gen.Select(Gen.OneOf(NamespaceTypes), Gen.OneOf(JoinIds), (t, c) => new NamespaceJoinSpec(t, c)).Array[1, 4])),
        Gen.Frequency((2, Specs), (1, Gen.OneOf(Corpus.Text("agent")))),
        (spec, flags, destinations, joins, other) => new SpecInput(spec, flags.Item1, flags.Item2, destinations, joins, other));

    [Fact]
    public Task A_rewritten_spec_or_the_agents_error() => Fuzzer.RunAsync(
        new FuzzTarget<SpecInput>(
            "agent spec rewrite",
            SpecInputs,
            RewriteAll,
            ex => ex is AgentException,
            input => input.ToString())
        {
            AllocationCap = input => (2L << 20) + ((input.Spec.Length + input.Other.Length) * 600L),
        },
        output);

    private static void RewriteAll(SpecInput input)
    {
        // Independent calls on the same input (exec's process, Update's resources, the raw spec's
        // sysctls): each may refuse it, and the pipeline below still runs.
        Part(() => CheckProcess(SpecRewriter.RewriteProcess(input.Other, input.Terminal), input.Terminal));
        Part(() => CheckResources(SpecRewriter.CheckResources(input.Other)));
        Part(() => CheckSysctls(PodNetworkSysctls.Extract(input.Spec)));

        var joins = NamespaceJoins.Resolve(ContainerId, input.Joins, PidOf);
        foreach (var (type, path) in joins)
        {
            Fuzzer.Require(ProcNamespacePath().IsMatch(path), $"namespace {type} joins '{path}', not a guest /proc/<pid>/ns path");
            Fuzzer.Require(input.Joins.Any(j => j.Type == type && j.ContainerId != ContainerId), $"namespace {type} is joined but was not asked for");
        }

        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < input.Destinations.Length; i++)
        {
            sources[input.Destinations[i]] = $"/run/sevagent/share/c1/m{i}";
        }

        var rewrite = new SpecRewrite(Rootfs, input.Readonly, input.Terminal, CgroupsPath, sources, joins);
        var (json, dropped) = SpecRewriter.Rewrite(input.Spec, rewrite);
        CheckRewritten(json, dropped, rewrite);
        var (final, sysctls) = PodNetworkSysctls.Extract(json);
        CheckSysctls((final, sysctls));
        if (sysctls.Count > 0)
        {
            CheckRewritten(final, dropped, rewrite);
        }
    }

    private static void Part(Action part)
    {
        try
        {
            part();
        }
        catch (AgentException)
        {
            // Refused, as it may be.
        }
    }

    // The init pid of another container of the pod: "gone" has stopped (the agent's own refusal).
    private static int PidOf(string id) =>
        id == "gone" ? throw AgentException.FailedPrecondition("container gone is stopped") : 100 + (StringComparer.Ordinal.GetHashCode(id) & 0xFFFF);

    private static JsonObject ParseObject(string json, string what)
    {
        var node = JsonNode.Parse(json) as JsonObject;
        Fuzzer.Require(node is not null, $"{what} is not a JSON object: {Mutations.Show(json)}");
        return node!;
    }

    private static string? StringOf(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;

    private static void CheckArgs(JsonObject process, string what) =>
        Fuzzer.Require(
            process["args"] is JsonArray { Count: > 0 } args && args.All(a => a?.GetValueKind() == JsonValueKind.String),
            $"{what} has no args array of strings");

    private static void CheckProcess(string json, bool terminal)
    {
        var process = ParseObject(json, "the rewritten process");
        CheckArgs(process, "the rewritten process");
        Fuzzer.Require(process["terminal"]?.GetValueKind() == (terminal ? JsonValueKind.True : JsonValueKind.False), "process.terminal is not the agent's");
        Fuzzer.Require(process["cwd"] is not null, "the rewritten process has no cwd");
    }

    private static void CheckResources(string json) => _ = ParseObject(json, "the checked resources");

    private static void CheckRewritten(string json, List<string> dropped, SpecRewrite rewrite)
    {
        var spec = ParseObject(json, "the rewritten spec");
        Fuzzer.Require(spec["process"] is JsonObject, "the rewritten spec has no process");
        CheckArgs(spec["process"]!.AsObject(), "the rewritten spec's process");
        Fuzzer.Require(spec["process"]!["terminal"]?.GetValueKind() == (rewrite.Terminal ? JsonValueKind.True : JsonValueKind.False), "process.terminal is not the agent's");
        Fuzzer.Require(StringOf(spec["root"]?["path"]) == Rootfs, $"root.path is not the guest rootfs: {Mutations.Show(json)}");
        Fuzzer.Require(spec["root"]!["readonly"]?.GetValueKind() == (rewrite.Readonly ? JsonValueKind.True : JsonValueKind.False), "root.readonly is not the agent's");
        Fuzzer.Require(!spec.ContainsKey("hooks"), "the rewritten spec keeps hooks");
        Fuzzer.Require(StringOf(spec["linux"]?["cgroupsPath"]) == CgroupsPath, "linux.cgroupsPath is not the agent's");

        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (spec["linux"]!["namespaces"] is JsonArray namespaces)
        {
            foreach (var ns in namespaces)
            {
                var type = StringOf(ns?["type"]);
                Fuzzer.Require(type is not null, "a namespace without a type string");
                seen.Add(type!);
                var path = ns!["path"];
                Fuzzer.Require(
                    rewrite.NamespacePaths.TryGetValue(type!, out var join) ? StringOf(path) == join : path is null,
                    $"namespace {type} has the path {path?.ToJsonString() ?? "(none)"}, not the agent's join");
            }
        }

        Fuzzer.Require(rewrite.NamespacePaths.Keys.All(seen.Contains), "a join of the agent is missing from linux.namespaces");

        if (spec["mounts"] is JsonArray mounts)
        {
            foreach (var mount in mounts)
            {
                var destination = StringOf(mount?["destination"]);
                Fuzzer.Require(destination is not null, "a kept mount has no destination string");
                var type = StringOf(mount!["type"]) ?? string.Empty;
                if (rewrite.MountSources.TryGetValue(destination!, out var source))
                {
                    Fuzzer.Require(StringOf(mount["source"]) == source, $"mount {destination} keeps a source other than the agent's");
                    Fuzzer.Require(type == "bind" || KernelFileSystems.Contains(type), $"mapped mount {destination} has type {type}");
                }
                else
                {
                    var bind = mount["options"] is JsonArray options && options.Any(o => StringOf(o) is "bind" or "rbind");
                    Fuzzer.Require(KernelFileSystems.Contains(type) && !bind, $"mount {destination} of type '{type}' keeps a host source: {mount.ToJsonString()}");
                }
            }
        }

        Fuzzer.Require(dropped.All(d => !rewrite.MountSources.ContainsKey(d)), "a mapped mount was dropped");
    }

    private static void CheckSysctls((string Json, IReadOnlyList<(string Key, string Value)> Sysctls) extracted)
    {
        foreach (var (key, value) in extracted.Sysctls)
        {
            var path = Path.GetFullPath(Path.Combine("/proc/sys", key.Replace('.', '/')));
            Fuzzer.Require(path.StartsWith("/proc/sys/net/", StringComparison.Ordinal), $"sysctl {Mutations.Show(key)} is written to {path}, outside /proc/sys/net");
            Fuzzer.Require(!value.Contains('\n', StringComparison.Ordinal), $"sysctl {key} has a value with a newline");
        }

        if (extracted.Sysctls.Count > 0)
        {
            var spec = ParseObject(extracted.Json, "the spec without its pod sysctls");
            Fuzzer.Require(
                spec["linux"]?["sysctl"] is not JsonObject sysctl || !sysctl.Any(p => p.Key.StartsWith("net.", StringComparison.Ordinal)),
                "a net.* sysctl is left for crun in the pod's network");
        }
    }

    [GeneratedRegex(@"^/proc/[1-9][0-9]*/ns/(pid|ipc|uts|mnt|cgroup|user|time)\z")]
    private static partial Regex ProcNamespacePath();
}
