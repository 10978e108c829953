using Runtime.V1;
using SevShim.IntegrationTests.Support;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// The representative CRI subset on containerd 1.7 (config version 2) and 2.1 (config version 3,
/// the CRI plugin's new names, sandboxer "podsandbox"), each handler: what the pods' containers
/// share, ExecSync, and removal leaving nothing. The whole CRI suite runs on 1.6; these rows keep
/// the other builds honest within CI's time (each sevshim row is a VM boot under TCG).
/// </summary>
[Collection(CtrCollection.Name)]
public sealed class CriMatrixTests(CriFixture fixture)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    [CriTheory]
    [CriMatrixRow("1.7", CriHandler.Runc)]
    [CriMatrixRow("1.7", CriHandler.Sevshim)]
    [CriMatrixRow("2.1", CriHandler.Runc)]
    [CriMatrixRow("2.1", CriHandler.Sevshim)]
    public async Task Pod_containers_share_localhost_ipc_uts_and_dev_shm_and_ExecSync_answers(string containerd, string handler)
    {
        var build = CriMatrixRowAttribute.Ensure(containerd, handler);
        var shared = await fixture.SharedPodAsync(build, handler);
        var pod = shared.Pod;
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            // The init container ran to completion first: app read its marker from /dev/shm.
            Assert.Equal(0, shared.Init.ExitCode);
            var reply = await pod.ShAsync(shared.AppId, $"printf 'GET /hello HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 {CriSharedPod.PeerPort}", default);
            Assert.EndsWith("\r\n\r\n" + CriSharedPod.PeerReply + "\n", reply, StringComparison.Ordinal);

            const string Namespaces = "for n in net ipc uts; do readlink /proc/self/ns/$n; done";
            Assert.Equal(await pod.ShAsync(shared.AppId, Namespaces, default), await pod.ShAsync(shared.PeerId, Namespaces, default));
            Assert.Equal(CriSharedPod.InitMarker + "\n", await pod.ShAsync(shared.PeerId, "cat /dev/shm/init-marker", default));
            Assert.Equal(shared.Hostname + "\n", await pod.ShAsync(shared.PeerId, "hostname", default));

            // 2.x's CRI asks for unprivileged ports in the pod's network (enable_unprivileged_ports);
            // in a pod VM the agent sets it in the guest, which is the pod's network.
            if (build.IsV2)
            {
                Assert.Equal("0\n", await pod.ShAsync(shared.AppId, "cat /proc/sys/net/ipv4/ip_unprivileged_port_start", default));
            }

            var exec = await pod.ExecSyncAsync(shared.AppId, ["sh", "-c", "echo out-text; echo err-text >&2; exit 7"], 30, default);
            Assert.Equal("out-text\n", exec.Stdout.ToStringUtf8());
            Assert.Equal("err-text\n", exec.Stderr.ToStringUtf8());
            Assert.Equal(7, exec.ExitCode);
        });
    }

    [CriTheory]
    [CriMatrixRow("1.7", CriHandler.Runc)]
    [CriMatrixRow("1.7", CriHandler.Sevshim)]
    [CriMatrixRow("2.1", CriHandler.Runc)]
    [CriMatrixRow("2.1", CriHandler.Sevshim)]
    public async Task RemovePodSandbox_leaves_no_process_mount_socket_netns_link_or_state(string containerd, string handler)
    {
        var build = CriMatrixRowAttribute.Ensure(containerd, handler);
        var c = await fixture.GetAsync(build);
        var name = $"removed-{handler}-{build.Label.Replace('.', '-')}";
        var pod = await CriPod.RunAsync(c, handler, CriPodSpec.Pod(c, name, "cri-removed"), default);
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            var first = await pod.StartContainerAsync(CriPodSpec.Shell("first", "exec sleep 2147483647"), default);
            Assert.Equal("hi\n", await pod.ShAsync(first, "echo hi", default));
            var running = await CriLeaks.OfAsync(pod, default);
            Assert.Contains(running, l => l.StartsWith("folder ", StringComparison.Ordinal)); // the check sees a live pod

            await c.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = pod.Id }, deadline: DateTime.UtcNow.AddMinutes(2));
            await c.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod.Id }, deadline: DateTime.UtcNow.AddMinutes(2));
            var leaks = new List<string>();
            await CtrWait.UntilAsync(async () => (leaks = await CriLeaks.OfAsync(pod, default)).Count == 0, Settle);
            Assert.True(leaks.Count == 0, $"after RemovePodSandbox of {pod.Id} ({handler}, containerd {build.Row}) these remain:\n" + string.Join('\n', leaks));
        });
    }
}
