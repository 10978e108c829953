using System.Text.Json.Nodes;
using SevShim.Errors;
using SevShim.Sandbox;

namespace SevShim.Tests.Pod;

public sealed class HostDevicesTests
{
    // containerd's privileged rule (oci.WithAllDevicesAllowed) and its default deny.
    private const string AllowAll = """{ "allow": true, "access": "rwm" }""";
    private const string DenyAll = """{ "allow": false, "access": "rwm" }""";

    private static JsonObject Spec(string rule, params string[] devices) => (JsonObject)JsonNode.Parse($$"""
        {
          "linux": {
            "resources": { "devices": [ {{rule}} ] },
            "devices": [ {{string.Join(", ", devices)}} ]
          }
        }
        """)!;

    private static string Device(string path, string type, int major, int minor) =>
        $$"""{ "path": "{{path}}", "type": "{{type}}", "major": {{major}}, "minor": {{minor}}, "fileMode": 432, "uid": 0, "gid": 0 }""";

    private static List<string> Paths(JsonObject spec) =>
        spec["linux"]!["devices"]!.AsArray().Select(d => (string)d!["path"]!).ToList();

    [Fact]
    public void A_privileged_container_loses_the_hosts_devices_and_keeps_the_kernels_virtual_ones()
    {
        var spec = Spec(
            AllowAll,
            Device("/dev/sda", "b", 8, 0),
            Device("/dev/null", "c", 1, 3),
            Device("/dev/ttyS0", "c", 4, 64),
            Device("/dev/fuse", "c", 10, 229),
            Device("/dev/nvme0n1", "b", 259, 0));

        var dropped = HostDevices.Apply(spec, "c1");

        Assert.Equal(["/dev/sda", "/dev/ttyS0", "/dev/nvme0n1"], dropped);
        Assert.Equal(["/dev/null", "/dev/fuse"], Paths(spec));
    }

    [Fact]
    public void A_container_that_asks_for_a_host_device_is_refused_naming_it()
    {
        var spec = Spec(DenyAll, Device("/dev/null", "c", 1, 3), Device("/dev/kvm", "c", 10, 232));

        var e = Assert.Throws<ShimException>(() => HostDevices.Apply(spec, "c1"));

        Assert.Equal(ShimErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("/dev/kvm", e.Message, StringComparison.Ordinal);
        Assert.Contains("c 10:232", e.Message, StringComparison.Ordinal);
        Assert.Contains("c1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_kernels_virtual_devices_pass_without_privilege()
    {
        var spec = Spec(DenyAll, Device("/dev/fuse", "c", 10, 229), Device("/dev/net/tun", "c", 10, 200), Device("/dev/urandom", "c", 1, 9));

        Assert.Empty(HostDevices.Apply(spec, "c1"));
        Assert.Equal(3, Paths(spec).Count);
    }

    [Theory]
    [InlineData("""{ "allow": true, "type": "a", "access": "rwm" }""", true)]
    [InlineData("""{ "allow": true, "type": "a", "major": -1, "minor": -1, "access": "mrw" }""", true)]
    [InlineData("""{ "allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm" }""", false)]
    [InlineData("""{ "allow": true, "access": "r" }""", false)]
    [InlineData("""{ "allow": false, "access": "rwm" }""", false)]
    public void Privilege_is_a_rule_that_allows_every_device(string rule, bool privileged)
    {
        Assert.Equal(privileged, HostDevices.AllowsAllDevices(Spec(rule)));
    }

    [Fact]
    public void A_spec_without_devices_is_left_alone()
    {
        var spec = new JsonObject { ["linux"] = new JsonObject() };

        Assert.Empty(HostDevices.Apply(spec, "c1"));
        Assert.Null(spec["linux"]!["devices"]);
    }
}
