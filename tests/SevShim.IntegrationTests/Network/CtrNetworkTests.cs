using System.Security.Cryptography;
using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Network;

/// <summary>
/// Pod networking without the CRI (issue 12 item 5 and 6): `ctr run --with-ns network:PATH`
/// gives the container that namespace's interfaces (name, address, MTU, a working link to a
/// peer namespace); without a namespace there is only lo; a namespace with an interface a VM
/// cannot carry is refused by name, leaving the namespace as it was. Each namespace is the
/// test's own (`ip netns add`), so traffic stays between it and its peer.
/// </summary>
[Collection(CtrCollection.Name)]
public sealed class CtrNetworkTests(CtrFixture fixture)
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(4);

    [E2ETheory(Requirement.Root, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    [InlineData(CtrRuntime.Runc)]
    [InlineData(CtrRuntime.Sevshim)]
    public async Task A_container_in_a_network_namespace_gets_its_interfaces(string runtime)
    {
        var c = await fixture.GetAsync();
        var id = c.NewId("netns-" + (runtime == CtrRuntime.Runc ? "runc" : "sev"));
        await using var pod = await TestNetns.CreateAsync();
        await using var peer = await TestNetns.CreateAsync();
        // A veth pair between the two, named net0 in the pod's (not eth0: the guest NIC is renamed).
        await TestNetns.IpAsync("link", "add", "net0", "netns", pod.Name, "mtu", "1400", "type", "veth", "peer", "name", "peer0", "netns", peer.Name, "mtu", "1400");
        await TestNetns.IpAsync("-n", pod.Name, "addr", "add", "10.251.0.2/24", "dev", "net0");
        await TestNetns.IpAsync("-n", pod.Name, "link", "set", "net0", "up");
        await TestNetns.IpAsync("-n", peer.Name, "addr", "add", "10.251.0.1/24", "dev", "peer0");
        await TestNetns.IpAsync("-n", peer.Name, "link", "set", "peer0", "up");
        await TestNetns.IpAsync("-n", pod.Name, "route", "add", "10.252.0.0/16", "via", "10.251.0.1");
        var mac = (await TestNetns.IpAsync("-n", pod.Name, "-o", "link", "show", "net0")).Stdout.Split("link/ether ")[1][..17];
        try
        {
            await CtrDiagnostics.RunAsync(c, [id], async () =>
            {
                var run = await c.CtrAsync(Long, [.. c.RunArgs(runtime, id, ["--rm", "--with-ns", "network:" + pod.Path], "sh", "-c",
                    "cat /sys/class/net/net0/address /sys/class/net/net0/mtu; ls /sys/class/net; ip addr show dev net0; ip route; ping -c 2 -W 5 10.251.0.1")]);
                Assert.True(run.ExitCode == 0, run.Describe());
                var lines = run.Stdout.Split('\n');
                Assert.Equal(mac, lines[0]);
                Assert.Equal("1400", lines[1]);
                Assert.Contains("inet 10.251.0.2/24", run.Stdout, StringComparison.Ordinal);
                Assert.Contains("10.252.0.0/16 via 10.251.0.1 dev net0", run.Stdout, StringComparison.Ordinal);
                Assert.Contains("0% packet loss", run.Stdout, StringComparison.Ordinal);
            });

            // Nothing of the VM's wiring is left in the namespace: no tap, no qdisc on net0.
            Assert.DoesNotContain("sevtap", (await TestNetns.IpAsync("-n", pod.Name, "link")).Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("ingress", (await TestNetns.RunAsync("ip", "netns", "exec", pod.Name, "tc", "qdisc", "show", "dev", "net0")).Stdout, StringComparison.Ordinal);
        }
        finally
        {
            await c.RemoveContainerAsync(id);
        }
    }

    [E2ETheory(Requirement.Root, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    [InlineData(CtrRuntime.Runc)]
    [InlineData(CtrRuntime.Sevshim)]
    public async Task Without_a_network_namespace_a_container_has_only_lo(string runtime)
    {
        var c = await fixture.GetAsync();
        var id = c.NewId("no-netns-" + (runtime == CtrRuntime.Runc ? "runc" : "sev"));
        try
        {
            await CtrDiagnostics.RunAsync(c, [id], async () =>
            {
                var run = await c.CtrAsync(Long, [.. c.RunArgs(runtime, id, ["--rm"], "ls", "/sys/class/net")]);
                Assert.True(run.ExitCode == 0, run.Describe());
                Assert.Equal("lo\n", run.Stdout);
            });
        }
        finally
        {
            await c.RemoveContainerAsync(id);
        }
    }

    [E2EFact(Requirement.Root, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    public async Task An_interface_a_vm_cannot_carry_is_refused_by_name_and_kind()
    {
        var c = await fixture.GetAsync();
        var id = c.NewId("netns-dummy");
        await using var pod = await TestNetns.CreateAsync();
        // A tap someone else made (and would read): its frames cannot be redirected into the VM.
        await TestNetns.IpAsync("-n", pod.Name, "tuntap", "add", "odd0", "mode", "tap");
        await TestNetns.IpAsync("-n", pod.Name, "addr", "add", "192.168.77.2/24", "dev", "odd0");
        await TestNetns.IpAsync("-n", pod.Name, "link", "set", "odd0", "up");
        var before = (await TestNetns.IpAsync("-n", pod.Name, "-o", "link")).Stdout;
        try
        {
            var run = await c.CtrAsync(Long, [.. c.RunArgs(CtrRuntime.Sevshim, id, ["--rm", "--with-ns", "network:" + pod.Path], "true")]);
            Assert.True(run.ExitCode != 0, "a pod whose network cannot be carried must not start: " + run.Describe());
            Assert.Contains("interface odd0 with kind \"tun\"", run.Stderr, StringComparison.Ordinal);
            Assert.Empty(CtrPods.QemuPids(id));
            Assert.Equal(before, (await TestNetns.IpAsync("-n", pod.Name, "-o", "link")).Stdout);
        }
        finally
        {
            await c.RemoveContainerAsync(id);
        }
    }

    /// <summary>A network namespace of the test's own, deleted (with its links) on dispose.</summary>
    private sealed class TestNetns : IAsyncDisposable
    {
        private TestNetns(string name) => Name = name;

        public string Name { get; }

        public string Path => "/var/run/netns/" + Name;

        public static async Task<TestNetns> CreateAsync()
        {
            var name = "sevnet-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
            await IpAsync("netns", "add", name);
            var netns = new TestNetns(name);
            await IpAsync("-n", name, "link", "set", "lo", "up");
            return netns;
        }

        public static async Task<CtrResult> IpAsync(params string[] args) => (await RunAsync("ip", args)).EnsureSuccess();

        public static async Task<CtrResult> RunAsync(string file, params string[] args)
        {
            await using var command = CtrCommand.Start(file, args);
            command.CloseStdin();
            return await command.WaitAsync(TimeSpan.FromSeconds(30));
        }

        public async ValueTask DisposeAsync() => await RunAsync("ip", "netns", "delete", Name);
    }
}
