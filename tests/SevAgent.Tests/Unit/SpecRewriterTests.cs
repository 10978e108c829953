using System.Text.Json.Nodes;
using SevAgent.Containers;
using SevAgent.Errors;

namespace SevAgent.Tests.Unit;

public sealed class SpecRewriterTests
{
    private const string Spec = """
        {
          "ociVersion": "1.0.2",
          "process": { "args": ["sh"], "terminal": true, "cwd": "/" },
          "root": { "path": "/host/rootfs", "readonly": false },
          "hooks": { "prestart": [ { "path": "/usr/bin/evil" } ] },
          "mounts": [
            { "destination": "/proc", "type": "proc", "source": "proc" },
            { "destination": "/etc/hosts", "type": "bind", "source": "/var/lib/host/hosts", "options": ["rbind", "ro"] },
            { "destination": "/data", "type": "bind", "source": "/host/data", "options": ["rbind"] },
            { "destination": "/tmp", "type": "tmpfs", "source": "tmpfs" },
            { "destination": "/odd", "type": "tmpfs", "source": "/host/x", "options": ["bind"] }
          ],
          "linux": { "cgroupsPath": "/kubepods/pod1/c1", "namespaces": [ { "type": "pid" } ] }
        }
        """;

    private static SpecRewrite Rewrite(bool terminal = false, Dictionary<string, string>? namespaces = null) => new(
        "/run/sevagent/share/c1/rootfs", true, terminal, "/sevagent/c1",
        new Dictionary<string, string> { ["/data"] = "/run/sevagent/share/c1/data" },
        namespaces ?? []);

    [Fact]
    public void Host_namespace_paths_are_dropped_and_only_the_agents_joins_are_written()
    {
        const string withPaths = """
            {
              "process": { "args": ["sh"] },
              "linux": { "namespaces": [
                { "type": "pid", "path": "/proc/1/ns/pid" },
                { "type": "ipc", "path": "/proc/4242/ns/ipc" },
                { "type": "network", "path": "/var/run/netns/cni-1" },
                { "type": "mount" }
              ] }
            }
            """;
        var (json, _) = SpecRewriter.Rewrite(withPaths, Rewrite(namespaces: new() { ["ipc"] = "/proc/77/ns/ipc", ["uts"] = "/proc/77/ns/uts" }));
        var namespaces = JsonNode.Parse(json)!["linux"]!["namespaces"]!.AsArray()
            .ToDictionary(n => (string)n!["type"]!, n => (string?)n!["path"]);

        Assert.Null(namespaces["pid"]);
        Assert.Null(namespaces["network"]);
        Assert.Null(namespaces["mount"]);
        Assert.Equal("/proc/77/ns/ipc", namespaces["ipc"]);
        Assert.Equal("/proc/77/ns/uts", namespaces["uts"]);
    }

    [Fact]
    public void Rewrites_root_cgroup_and_terminal_and_removes_hooks()
    {
        var (json, _) = SpecRewriter.Rewrite(Spec, Rewrite());
        var spec = JsonNode.Parse(json)!;

        Assert.Equal("/run/sevagent/share/c1/rootfs", (string?)spec["root"]!["path"]);
        Assert.True((bool)spec["root"]!["readonly"]!);
        Assert.False((bool)spec["process"]!["terminal"]!);
        Assert.Equal("/sevagent/c1", (string?)spec["linux"]!["cgroupsPath"]);
        Assert.Null(spec["hooks"]);
        Assert.Equal("pid", (string?)spec["linux"]!["namespaces"]![0]!["type"]);
    }

    [Fact]
    public void Maps_listed_mounts_keeps_kernel_mounts_and_drops_host_paths()
    {
        var (json, dropped) = SpecRewriter.Rewrite(Spec, Rewrite());
        var mounts = JsonNode.Parse(json)!["mounts"]!.AsArray();

        Assert.Equal(["/proc", "/data", "/tmp"], mounts.Select(m => (string)m!["destination"]!).ToArray());
        Assert.Equal("/run/sevagent/share/c1/data", (string?)mounts[1]!["source"]);
        Assert.Equal(["/etc/hosts", "/odd"], dropped);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"process\": {\"args\": []}}")]
    [InlineData("{\"process\": {\"args\": [1]}}")]
    [InlineData("{\"process\": {\"args\": [\"sh\"]}, \"mounts\": [ {\"type\": \"proc\"} ]}")]
    public void Bad_specs_are_invalid_argument(string json)
    {
        var e = Assert.Throws<AgentException>(() => SpecRewriter.Rewrite(json, Rewrite()));
        Assert.Equal(AgentErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("oci_spec_json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exec_process_gets_terminal_and_default_cwd()
    {
        var process = JsonNode.Parse(SpecRewriter.RewriteProcess("{\"args\": [\"echo\", \"hi\"]}", terminal: true))!;
        Assert.True((bool)process["terminal"]!);
        Assert.Equal("/", (string?)process["cwd"]);
    }

    [Fact]
    public void Resources_must_be_an_object()
    {
        Assert.Equal(AgentErrorKind.InvalidArgument, Assert.Throws<AgentException>(() => SpecRewriter.CheckResources("[1]")).Kind);
        Assert.Contains("memory", SpecRewriter.CheckResources("{\"memory\": {\"limit\": 1}}"), StringComparison.Ordinal);
    }

    // Fuzz findings (Fuzz.Tests AgentRequestFuzz): JsonNode decodes lazily, so a name set twice
    // (ArgumentException) or an unpaired surrogate escape (InvalidOperationException) escaped all
    // three readers instead of INVALID_ARGUMENT.
    [Theory]
    [InlineData("""{"process": {"args": ["sh"]}, "process": {"args": ["sh"]}}""")]
    [InlineData("""{"process": {"args": ["sh"], "args": ["sh"]}}""")]
    [InlineData("""{"process": {"args": ["\ud800"]}}""")]
    [InlineData("""{"process": {"args": ["sh"]}, "mounts": [{"destination": "/a\udc00"}]}""")]
    [InlineData("""{"process": {"args": ["sh"]}, "\ud800": 1}""")]
    public void Names_set_twice_and_unpaired_surrogates_are_invalid_argument(string json)
    {
        Assert.Equal(AgentErrorKind.InvalidArgument, Assert.Throws<AgentException>(() => SpecRewriter.Rewrite(json, Rewrite())).Kind);
        Assert.Equal(AgentErrorKind.InvalidArgument, Assert.Throws<AgentException>(() => SpecRewriter.RewriteProcess(json, terminal: false)).Kind);
        Assert.Equal(AgentErrorKind.InvalidArgument, Assert.Throws<AgentException>(() => SpecRewriter.CheckResources(json)).Kind);
    }

    [Fact]
    public void A_surrogate_pair_escape_is_text()
    {
        var (json, _) = SpecRewriter.Rewrite("""{"process": {"args": ["\ud83d\ude00"]}}""", Rewrite());

        Assert.Equal("\U0001F600", (string?)JsonNode.Parse(json)!["process"]!["args"]![0]);
    }
}
