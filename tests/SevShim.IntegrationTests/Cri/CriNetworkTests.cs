using System.Net;
using System.Text.RegularExpressions;
using Runtime.V1;
using SevShim.IntegrationTests.Support;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// A pod on the network through the CRI, with each handler (issue 12): the guest's eth0 is
/// CNI's (IPv4 and IPv6 addresses, MAC, MTU, default routes), the pod answers TCP from the node and from a pod of the
/// other handler, a second pod of the same handler resolves a name through the DNS server of its
/// config and reaches it, and a hostPort (CNI's portmap DNAT on the node) reaches it. Everything stays in
/// the fixture's network namespace; "the node" is that namespace.
/// </summary>
[Collection(CtrCollection.Name)]
public sealed partial class CriNetworkTests(CriFixture fixture)
{
    private const int PublicPort = 8081;
    private const int ContainerPort = 8082;
    private static readonly TimeSpan NcTimeout = TimeSpan.FromSeconds(30);

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task The_pod_interface_is_cnis_interface(string handler)
    {
        CriHandler.Ensure(handler);
        var shared = await fixture.SharedPodAsync(handler);
        var pod = shared.Pod;
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            Assert.StartsWith("10.250.0.", pod.Ip, StringComparison.Ordinal);
            Assert.NotEmpty(pod.NetnsPath);

            // CNI's eth0 as netlink shows it in the pod's namespace (ip, not /sys, which shows the
            // mounter's namespace).
            var cni = (await RunAsync("nsenter", "--net=" + pod.NetnsPath, "ip", "-o", "link", "show", "dev", "eth0")).EnsureSuccess().Stdout;
            var cniMac = LinkMac().Match(cni).Groups[1].Value;
            var cniMtu = Mtu().Match(cni).Groups[1].Value;
            Assert.NotEmpty(cniMac);

            var inPod = await pod.ShAsync(shared.AppId, "cat /sys/class/net/eth0/address /sys/class/net/eth0/mtu; ip addr show dev eth0; ip route", default);
            var lines = inPod.Split('\n');
            Assert.Equal(cniMac, lines[0]);
            Assert.Equal(cniMtu, lines[1]);
            Assert.Contains($"inet {pod.Ip}/24", inPod, StringComparison.Ordinal);
            Assert.Contains("default via 10.250.0.1 dev eth0", inPod, StringComparison.Ordinal);
            Assert.Contains("10.250.0.0/24 dev eth0", inPod, StringComparison.Ordinal);
            Assert.Contains("0% packet loss", await pod.ShAsync(shared.AppId, "ping -c 2 -W 5 10.250.0.1", default), StringComparison.Ordinal);

            // IPv6: the address CNI gave eth0 (global scope), the default route, the gateway.
            var cni6 = (await RunAsync("nsenter", "--net=" + pod.NetnsPath, "ip", "-o", "-6", "addr", "show", "dev", "eth0", "scope", "global")).EnsureSuccess().Stdout;
            var address6 = Inet6().Match(cni6).Groups[1].Value;
            Assert.StartsWith(CriConfigFiles.Gateway6[..^1], address6, StringComparison.Ordinal);
            var inPod6 = await pod.ShAsync(shared.AppId, "ip -6 addr show dev eth0 scope global; ip -6 route", default);
            Assert.Contains($"inet6 {address6}", inPod6, StringComparison.Ordinal);
            Assert.Contains($"default via {CriConfigFiles.Gateway6} dev eth0", inPod6, StringComparison.Ordinal);
            Assert.Contains("0% packet loss", await pod.ShAsync(shared.AppId, $"ping6 -c 2 -W 5 {CriConfigFiles.Gateway6}", default), StringComparison.Ordinal);
        });
    }

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task The_node_and_a_pod_of_the_other_runtime_reach_the_pod_over_tcp(string handler)
    {
        CriHandler.Ensure(handler);
        var shared = await fixture.SharedPodAsync(handler);
        var other = await fixture.SharedPodAsync(handler == CriHandler.Runc ? CriHandler.Sevshim : CriHandler.Runc);
        var pod = shared.Pod;
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            var marker = await StartPublicServerAsync(shared, handler);

            var request = $"printf 'GET /id HTTP/1.0\\r\\n\\r\\n' | nc -w 10 {pod.Ip} {PublicPort}";
            var fromNode = (await RunAsync("nsenter", "--net=" + pod.Containerd.Netns!.Path, "/bin/busybox", "sh", "-c", request)).EnsureSuccess().Stdout;
            Assert.StartsWith("HTTP/1.1 200 OK", fromNode, StringComparison.Ordinal);
            Assert.EndsWith(marker + "\n", fromNode, StringComparison.Ordinal);

            var fromPod = await other.Pod.ShAsync(other.AppId, request, default);
            Assert.EndsWith(marker + "\n", fromPod, StringComparison.Ordinal);
        });
    }

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task A_host_port_reaches_the_pod_and_leaves_no_rule_behind(string handler)
    {
        CriHandler.Ensure(handler);
        var c = await fixture.GetAsync();
        var hostPort = handler == CriHandler.Runc ? 30081 : 30082;
        var config = CriPodSpec.Pod(c, "hostport-" + handler, "hostport-" + handler);
        config.PortMappings.Add(new PortMapping { Protocol = Protocol.Tcp, ContainerPort = ContainerPort, HostPort = hostPort });
        var pod = await CriPod.RunAsync(c, handler, config, default);
        var removed = false;
        try
        {
            await CriDiagnostics.RunAsync(pod, async () =>
            {
                await pod.StartContainerAsync(
                    CriPodSpec.Shell("web", $"mkdir -p /tmp/w && echo via-host-port > /tmp/w/id && exec httpd -f -p 0.0.0.0:{ContainerPort} -h /tmp/w"),
                    default);

                // portmap DNATs the node's own addresses (here the bridge's) in OUTPUT and PREROUTING.
                var request = $"printf 'GET /id HTTP/1.0\\r\\n\\r\\n' | nc -w 10 10.250.0.1 {hostPort}";
                string reply = "";
                var answered = await CtrWait.UntilAsync(
                    async () => (reply = (await RunAsync("nsenter", "--net=" + c.Netns!.Path, "/bin/busybox", "sh", "-c", request)).Stdout).Contains("via-host-port", StringComparison.Ordinal),
                    TimeSpan.FromSeconds(30));
                Assert.True(answered, $"no answer through host port {hostPort}: '{reply}'");
                Assert.Contains(hostPort.ToString(System.Globalization.CultureInfo.InvariantCulture), await NatRulesAsync(c), StringComparison.Ordinal);
            });

            await pod.StopAndRemoveAsync(default);
            removed = true;
            Assert.DoesNotContain($"--dport {hostPort}", await NatRulesAsync(c), StringComparison.Ordinal);
        }
        finally
        {
            if (!removed)
            {
                await pod.StopAndRemoveAsync(default);
            }
        }
    }

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task A_second_pod_resolves_a_name_through_its_dns_config_and_reaches_the_first(string handler)
    {
        CriHandler.Ensure(handler);
        var shared = await fixture.SharedPodAsync(handler);
        var c = shared.Pod.Containerd;
        var marker = await StartPublicServerAsync(shared, handler);

        // The pod's DNS config names a server on the node (the bridge's address); the search
        // list turns the short name into the one the server knows.
        var bridge = IPAddress.Parse("10.250.0.1");
        var fqdn = $"web-{handler}.{CriPodSpec.DnsSearches[0]}";
        await using var dns = CriDnsResponder.Start(c.Netns!.Path, bridge, new Dictionary<string, IPAddress> { [fqdn] = IPAddress.Parse(shared.Pod.Ip) });
        var config = CriPodSpec.Pod(c, "dns-" + handler, "dns-" + handler);
        config.DnsConfig.Servers.Clear();
        config.DnsConfig.Servers.Add(bridge.ToString());
        var client = await CriPod.RunAsync(c, handler, config, default);
        try
        {
            await CriDiagnostics.RunAsync(client, async () =>
            {
                var id = await client.StartContainerAsync(CriPodSpec.Shell("client", "exec sleep 2147483647"), default);
                Assert.Contains($"nameserver {bridge}", await client.ShAsync(id, "cat /etc/resolv.conf", default), StringComparison.Ordinal);
                // busybox's nslookup tries every search domain and exits 1 when any is unknown.
                var lookup = await client.ShAsync(id, $"nslookup web-{handler} || true", default);
                Assert.Matches($@"Name:\s+{Regex.Escape(fqdn)}\nAddress: {Regex.Escape(shared.Pod.Ip)}\n", lookup);
                Assert.True(dns.Queries > 0, "the pod's lookup never reached the DNS server of its config");

                // Pod to pod of the same runtime (two VMs, for sevshim).
                var reply = await client.ShAsync(id, $"printf 'GET /id HTTP/1.0\\r\\n\\r\\n' | nc -w 10 {shared.Pod.Ip} {PublicPort}", default);
                Assert.EndsWith(marker + "\n", reply, StringComparison.Ordinal);
            });
        }
        finally
        {
            await client.StopAndRemoveAsync(default);
        }
    }

    // A server on every address of the pod (busybox httpd daemonizes); started once per pod (a
    // marker file says so: busybox 1.35's nc has no -z to probe the port).
    private static async Task<string> StartPublicServerAsync(CriSharedPod shared, string handler)
    {
        var marker = "pub-" + handler;
        await shared.Pod.ShAsync(
            shared.AppId,
            $"mkdir -p /tmp/pub && echo {marker} > /tmp/pub/id && (test -e /tmp/pub.up || {{ httpd -p 0.0.0.0:{PublicPort} -h /tmp/pub && touch /tmp/pub.up; }})",
            default);
        return marker;
    }

    private static async Task<string> NatRulesAsync(CriContainerd c) =>
        (await RunAsync("nsenter", "--net=" + c.Netns!.Path, "iptables-save", "-t", "nat")).EnsureSuccess().Stdout;

    private static async Task<CtrResult> RunAsync(string file, params string[] args)
    {
        await using var command = CtrCommand.Start(file, args);
        command.CloseStdin();
        return await command.WaitAsync(NcTimeout);
    }

    [GeneratedRegex(@"link/ether ([0-9a-f:]{17})")]
    private static partial Regex LinkMac();

    [GeneratedRegex(@"inet6 ([0-9a-f:]+/[0-9]+)")]
    private static partial Regex Inet6();

    [GeneratedRegex(@" mtu ([0-9]+) ")]
    private static partial Regex Mtu();
}
