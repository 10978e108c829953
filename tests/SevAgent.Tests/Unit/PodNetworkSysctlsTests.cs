using System.Text.Json.Nodes;
using SevAgent.Containers;
using SevAgent.Errors;

namespace SevAgent.Tests.Unit;

public sealed class PodNetworkSysctlsTests
{
    // What containerd 2.1's CRI writes into a sandbox spec (enable_unprivileged_ports and _icmp),
    // after the shim dropped the pod's network namespace.
    private const string PodSandbox = """
        {
          "process": { "args": ["/pause"] },
          "linux": {
            "namespaces": [ { "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" } ],
            "sysctl": { "net.ipv4.ip_unprivileged_port_start": "0", "net.ipv4.ping_group_range": "0 2147483647", "kernel.shm_rmid_forced": "1" }
          }
        }
        """;

    [Fact]
    public void Net_keys_of_a_container_in_the_pods_network_are_taken_out_for_the_agent()
    {
        var (json, sysctls) = PodNetworkSysctls.Extract(PodSandbox);

        Assert.Equal([("net.ipv4.ip_unprivileged_port_start", "0"), ("net.ipv4.ping_group_range", "0 2147483647")], sysctls);
        var left = (JsonObject)JsonNode.Parse(json)!["linux"]!["sysctl"]!;
        Assert.Equal(["kernel.shm_rmid_forced"], left.Select(p => p.Key));
    }

    [Fact]
    public void A_container_with_its_own_network_namespace_keeps_them_for_crun()
    {
        var own = PodSandbox.Replace("{ \"type\": \"pid\" },", "{ \"type\": \"pid\" }, { \"type\": \"network\" },", StringComparison.Ordinal);

        var (json, sysctls) = PodNetworkSysctls.Extract(own);

        Assert.Empty(sysctls);
        Assert.Equal(own, json);
    }

    [Theory]
    [InlineData("net.ipv4/../../kernel/core_pattern")]
    [InlineData("net..x")]
    public void A_key_that_could_leave_proc_sys_net_is_refused(string key)
    {
        var spec = $$"""{ "process": { "args": ["sh"] }, "linux": { "sysctl": { "{{key}}": "1" } } }""";

        var e = Assert.Throws<AgentException>(() => PodNetworkSysctls.Extract(spec));

        Assert.Equal(AgentErrorKind.InvalidArgument, e.Kind);
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_writes_each_key_under_proc_sys_with_dots_as_slashes()
    {
        var root = Directory.CreateTempSubdirectory("sysctl-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "net", "ipv4"));

            await PodNetworkSysctls.ApplyAsync([("net.ipv4.ip_unprivileged_port_start", "0")], root, default);

            Assert.Equal("0", await File.ReadAllTextAsync(Path.Combine(root, "net", "ipv4", "ip_unprivileged_port_start")));
            var missing = await Assert.ThrowsAsync<AgentException>(() => PodNetworkSysctls.ApplyAsync([("net.nope.x", "1")], root, default));
            Assert.Contains("net.nope.x=1", missing.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    // Fuzz findings (Fuzz.Tests AgentRequestFuzz): Extract parsed without a catch, so text that is
    // not JSON escaped as JsonException, and a name set twice or an unpaired surrogate escape as
    // ArgumentException or InvalidOperationException; all are INVALID_ARGUMENT naming the spec.
    [Theory]
    [InlineData("{")]
    [InlineData("")]
    [InlineData("""{"linux": {"sysctl": {"net.core.somaxconn": "1", "net.core.somaxconn": "2"}}}""")]
    [InlineData("""{"linux": {"sysctl": {"net.core.somaxconn": "\ud800"}}}""")]
    public void A_spec_that_cannot_be_read_is_invalid_argument(string json)
    {
        var e = Assert.Throws<AgentException>(() => PodNetworkSysctls.Extract(json));

        Assert.Equal(AgentErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("oci_spec_json", e.Message, StringComparison.Ordinal);
    }
}
