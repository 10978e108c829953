using System.Security.Cryptography;
using Runtime.V1;
using SevShim.IntegrationTests.Support;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// What the containers of one pod share, through the CRI as kubelet drives it, with each
/// handler: the network (localhost and the pod IP on eth0), IPC (the same ipc namespace, a POSIX
/// message queue one creates and the other sees), UTS (the pod's hostname), /dev/shm (a file one
/// writes the other reads), the DNS config, and kubelet's init-container order.
/// </summary>
[Collection(CtrCollection.Name)]
public sealed class CriPodSharingTests(CriFixture fixture)
{
    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task Containers_of_a_pod_share_localhost_ipc_uts_and_dev_shm(string handler)
    {
        CriHandler.Ensure(handler);
        var shared = await fixture.SharedPodAsync(handler);
        var pod = shared.Pod;
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            // peer's httpd listens on 127.0.0.1 only: app reaches it only through a shared loopback.
            // (nc, not busybox-static's wget, which segfaults on Debian 12.)
            var reply = await pod.ShAsync(shared.AppId, $"printf 'GET /hello HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 {CriSharedPod.PeerPort}", default);
            Assert.StartsWith("HTTP/1.1 200 OK", reply, StringComparison.Ordinal);
            Assert.EndsWith("\r\n\r\n" + CriSharedPod.PeerReply + "\n", reply, StringComparison.Ordinal);

            const string Namespaces = "for n in net ipc uts; do readlink /proc/self/ns/$n; done";
            var appNs = await pod.ShAsync(shared.AppId, Namespaces, default);
            var peerNs = await pod.ShAsync(shared.PeerId, Namespaces, default);
            Assert.Equal(appNs, peerNs);
            Assert.Equal(3, appNs.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

            // A message queue lives in its IPC namespace's mqueue instance.
            var queue = "cri-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
            await pod.ShAsync(shared.AppId, $"touch /dev/mqueue/{queue}", default);
            Assert.Contains(queue, await pod.ShAsync(shared.PeerId, "ls /dev/mqueue", default), StringComparison.Ordinal);

            var text = "shm-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            await pod.ShAsync(shared.AppId, $"echo {text} > /dev/shm/from-app", default);
            Assert.Equal(text + "\n", await pod.ShAsync(shared.PeerId, "cat /dev/shm/from-app", default));
            Assert.Equal("tmpfs\n", await pod.ShAsync(shared.PeerId, "stat -f -c %T /dev/shm", default));

            Assert.Equal(shared.Hostname + "\n", await pod.ShAsync(shared.PeerId, "hostname", default));
        });
    }

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task Hostname_and_resolv_conf_come_from_the_pod_config(string handler)
    {
        CriHandler.Ensure(handler);
        var shared = await fixture.SharedPodAsync(handler);
        var pod = shared.Pod;
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            Assert.Equal(shared.Hostname + "\n", await pod.ShAsync(shared.AppId, "hostname", default));
            Assert.Equal(shared.Hostname + "\n", await pod.ShAsync(shared.AppId, "cat /etc/hostname", default));

            var resolv = (await pod.ShAsync(shared.AppId, "cat /etc/resolv.conf", default))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            string[] expected =
            [
                "search " + string.Join(' ', CriPodSpec.DnsSearches),
                "nameserver " + CriPodSpec.DnsServer,
                "options " + string.Join(' ', CriPodSpec.DnsOptions),
            ];
            Assert.Equal(expected.Order(StringComparer.Ordinal), resolv.Order(StringComparer.Ordinal));
        });
    }

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task An_init_container_runs_to_completion_before_the_next_starts(string handler)
    {
        CriHandler.Ensure(handler);
        var shared = await fixture.SharedPodAsync(handler);
        var pod = shared.Pod;
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            Assert.Equal(ContainerState.ContainerExited, shared.Init.State);
            Assert.Equal(0, shared.Init.ExitCode);
            Assert.Equal("Completed", shared.Init.Reason);
            Assert.True(shared.Init.FinishedAt > shared.Init.StartedAt, $"init: started {shared.Init.StartedAt}, finished {shared.Init.FinishedAt}");
            Assert.True(
                shared.AppAtStart.StartedAt >= shared.Init.FinishedAt,
                $"app started at {shared.AppAtStart.StartedAt}, before init finished at {shared.Init.FinishedAt}");

            // app read what init left in the pod's /dev/shm; init's own output is in its log.
            await pod.WaitForLogAsync("app", " stdout F " + CriSharedPod.InitMarker, TimeSpan.FromSeconds(30));
            await pod.WaitForLogAsync("init", " stdout F init-done", TimeSpan.FromSeconds(30));
        });
    }
}
