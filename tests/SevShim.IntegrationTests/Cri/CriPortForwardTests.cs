using Runtime.V1;
using SevShim.IntegrationTests.Support;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// `kubectl port-forward` as kubelet relays it (issue 12 item 3): CRI PortForward, then
/// containerd's streaming server, which dials localhost:port (tcp4, then tcp6) inside the pod's
/// network namespace. With runc the pod's listener is in that namespace; with sevshim the shim
/// mirrors the guest's localhost listeners there (ARCHITECTURE decision 18). Both handlers: a
/// server on every address, one on 127.0.0.1 only, one on ::1 only (reached by a tcp6 dial in
/// the namespace: this machine's /etc/hosts gives containerd no IPv6 "localhost"), and a port
/// nobody listens on, which fails the same way.
/// </summary>
[Collection(CtrCollection.Name)]
public sealed class CriPortForwardTests(CriFixture fixture)
{
    private const int AnyPort = 8091;
    private const int LoopbackPort = 8092;
    private const int V6LoopbackPort = 8093;
    private const int UnusedPort = 8094;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task Port_forward_reaches_servers_on_any_and_loopback_addresses_and_fails_for_a_closed_port(string handler)
    {
        CriHandler.Ensure(handler);
        var shared = await fixture.SharedPodAsync(handler);
        var pod = shared.Pod;
        var c = pod.Containerd;
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            var marker = "pf-" + handler;
            await pod.ShAsync(
                shared.AppId,
                $"mkdir -p /tmp/pf && echo {marker} > /tmp/pf/id && (test -e /tmp/pf.up || {{ "
                + $"httpd -p 0.0.0.0:{AnyPort} -h /tmp/pf && httpd -p 127.0.0.1:{LoopbackPort} -h /tmp/pf && "
                + $"httpd -p [::1]:{V6LoopbackPort} -h /tmp/pf && touch /tmp/pf.up; }})",
                default);

            foreach (var port in new[] { AnyPort, LoopbackPort })
            {
                var reply = "";
                var reached = await CtrWait.UntilAsync(
                    async () =>
                    {
                        var forward = await c.Runtime.PortForwardAsync(new PortForwardRequest { PodSandboxId = pod.Id, Port = { port } });
                        var (data, error) = await CriPortForward.RoundTripAsync(forward.Url, c.Netns!.Path, port, "GET /id HTTP/1.0\r\n\r\n", Wait);
                        reply = data + error;
                        return data.EndsWith(marker + "\n", StringComparison.Ordinal);
                    },
                    Wait);
                Assert.True(reached, $"port-forward to {port} did not reach the pod: '{reply}'");
                Assert.StartsWith("HTTP/1.1 200 OK", reply, StringComparison.Ordinal);
            }

            // containerd's tcp6 fallback, as it dials: ::1 in the pod's namespace.
            var v6 = "";
            var v6Reached = await CtrWait.UntilAsync(
                async () => (v6 = (await NcAsync(pod.NetnsPath, "::1", V6LoopbackPort)).Stdout).EndsWith(marker + "\n", StringComparison.Ordinal),
                Wait);
            Assert.True(v6Reached, $"[::1]:{V6LoopbackPort} in the pod's namespace did not reach the pod: '{v6}'");

            var closed = await c.Runtime.PortForwardAsync(new PortForwardRequest { PodSandboxId = pod.Id, Port = { UnusedPort } });
            var (data, failure) = await CriPortForward.RoundTripAsync(closed.Url, c.Netns!.Path, UnusedPort, "GET / HTTP/1.0\r\n\r\n", Wait);
            Assert.Empty(data);
            Assert.Contains($"failed to connect to localhost:{UnusedPort}", failure, StringComparison.Ordinal);
        });
    }

    private static async Task<CtrResult> NcAsync(string netnsPath, string address, int port)
    {
        await using var command = CtrCommand.Start(
            "nsenter", ["--net=" + netnsPath, "/bin/busybox", "sh", "-c", $"printf 'GET /id HTTP/1.0\\r\\n\\r\\n' | /bin/busybox nc -w 10 {address} {port}"]);
        command.CloseStdin();
        return await command.WaitAsync(Wait);
    }
}
