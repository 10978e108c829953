using System.Text.Json.Nodes;
using SevShim.Errors;
using SevShim.Sandbox;

namespace SevShim.Tests.Pod;

public sealed class PodNamespacesTests
{
    private const int QemuPid = 4711;

    private static JsonObject Spec(params string[] namespaces) => new()
    {
        ["linux"] = new JsonObject
        {
            ["namespaces"] = new JsonArray(namespaces.Select(n =>
            {
                var parts = n.Split('=', 2);
                var entry = new JsonObject { ["type"] = parts[0] };
                if (parts.Length == 2)
                {
                    entry["path"] = parts[1];
                }

                return (JsonNode)entry;
            }).ToArray()),
        },
    };

    private static Dictionary<string, string?> Namespaces(JsonObject spec) =>
        spec["linux"]!["namespaces"]!.AsArray().ToDictionary(n => (string)n!["type"]!, n => (string?)n!["path"]);

    [Fact]
    public void The_cri_pause_spec_loses_its_host_netns_and_keeps_new_namespaces()
    {
        var spec = Spec("pid", "ipc", "uts", "mount", "network=/var/run/netns/cni-0f3a");

        var joins = PodNamespaces.Translate(spec, "pause", QemuPid, "pause");

        Assert.Empty(joins);
        var ns = Namespaces(spec);
        Assert.False(ns.ContainsKey("network"));
        Assert.All(ns.Values, Assert.Null);
        Assert.Equal(["pid", "ipc", "uts", "mount", "cgroup"], ns.Keys.ToArray());
    }

    [Fact]
    public void An_app_containers_proc_paths_of_the_sandbox_pid_become_joins_of_the_sandbox()
    {
        var spec = Spec("mount", $"network=/proc/{QemuPid}/ns/net", $"ipc=/proc/{QemuPid}/ns/ipc", $"uts=/proc/{QemuPid}/ns/uts", $"pid=/proc/{QemuPid}/ns/pid", "cgroup");

        var joins = PodNamespaces.Translate(spec, "app", QemuPid, "pause");

        Assert.Equal([("pid", "pause"), ("uts", "pause"), ("ipc", "pause")], joins);
        var ns = Namespaces(spec);
        Assert.False(ns.ContainsKey("network"));
        Assert.All(ns.Values, Assert.Null);
    }

    [Theory]
    [InlineData("ipc=/proc/1/ns/ipc", "/proc/1/ns/ipc")]
    [InlineData("ipc=/var/run/ipc/x", "/var/run/ipc/x")]
    [InlineData("pid=/proc/4711/../1/ns/pid", "/proc/4711/../1/ns/pid")]
    public void A_namespace_path_outside_the_pod_is_refused_naming_it(string entry, string path)
    {
        var spec = Spec("mount", "network", "pid", "ipc", "uts");
        var type = entry.Split('=')[0];
        var ns = spec["linux"]!["namespaces"]!.AsArray().First(n => (string)n!["type"]! == type)!.AsObject();
        ns["path"] = path;

        var e = Assert.Throws<ShimException>(() => PodNamespaces.Translate(spec, "app", QemuPid, "pause"));

        Assert.Equal(ShimErrorKind.InvalidArgument, e.Kind);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains($"/proc/{QemuPid}/ns", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("network", "hostNetwork")]
    [InlineData("pid", "hostPID")]
    [InlineData("ipc", "hostIPC")]
    [InlineData("uts", "uts")]
    [InlineData("mount", "mount")]
    public void A_spec_sharing_a_host_namespace_is_refused_naming_the_field(string missing, string field)
    {
        var spec = Spec(new[] { "mount", "network", "pid", "ipc", "uts" }.Where(t => t != missing).ToArray());

        var e = Assert.Throws<ShimException>(() => PodNamespaces.RequireOwnNamespaces(spec, "pause"));

        Assert.Equal(ShimErrorKind.InvalidArgument, e.Kind);
        Assert.Contains($"host's {missing} namespace", e.Message, StringComparison.Ordinal);
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sandbox_cannot_join_itself()
    {
        var spec = Spec("mount", "network", "pid", $"ipc=/proc/{QemuPid}/ns/ipc", "uts");

        var e = Assert.Throws<ShimException>(() => PodNamespaces.Translate(spec, "pause", QemuPid, "pause"));

        Assert.Contains("its own ipc namespace", e.Message, StringComparison.Ordinal);
    }
}
