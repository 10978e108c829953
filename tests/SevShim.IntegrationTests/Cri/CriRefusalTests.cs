using Grpc.Core;
using Runtime.V1;
using SevShim.IntegrationTests.Support;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// What a pod VM cannot be, asked for through the CRI as kubelet asks (issue 11 item 7): runc
/// runs each pod, sevshim refuses it naming the field and the fix and leaves nothing behind:
/// host network, PID or IPC namespaces; a host device; a hostPath socket. A privileged container
/// is privileged inside the VM: it can mount, and it sees no host device.
/// </summary>
[Collection(CtrCollection.Name)]
public sealed partial class CriRefusalTests(CriFixture fixture)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    [CriTheory]
    [CriHandler(CriHandler.Runc, "network")]
    [CriHandler(CriHandler.Sevshim, "network")]
    [CriHandler(CriHandler.Runc, "pid")]
    [CriHandler(CriHandler.Sevshim, "pid")]
    [CriHandler(CriHandler.Runc, "ipc")]
    [CriHandler(CriHandler.Sevshim, "ipc")]
    public async Task A_pod_sharing_a_host_namespace_runs_on_runc_and_is_refused_by_sevshim_naming_the_field(string handler, string type)
    {
        CriHandler.Ensure(handler);
        var c = await fixture.GetAsync();
        var name = $"host{type}-{handler}";
        var config = CriPodSpec.Pod(c, name, name);
        var ns = config.Linux.SecurityContext.NamespaceOptions;
        switch (type)
        {
            case "network":
                // kubelet sends no hostname for a hostNetwork pod: it has the node's UTS.
                ns.Network = NamespaceMode.Node;
                config.Hostname = string.Empty;
                break;
            case "pid": ns.Pid = NamespaceMode.Node; break;
            default: ns.Ipc = NamespaceMode.Node; break;
        }

        var field = type switch { "network" => "hostNetwork", "pid" => "hostPID", _ => "hostIPC" };
        if (handler == CriHandler.Runc)
        {
            var pod = await CriPod.RunAsync(c, handler, config, default);
            await CriDiagnostics.RunAsync(pod, () => RemoveAndCheckAsync(pod));
            return;
        }

        var before = await Footprint.OfAsync(c);
        var e = await Assert.ThrowsAsync<RpcException>(() => c.RunPodSandboxAsync(config, handler, default));
        Assert.Contains(field, e.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("runc", e.Status.Detail, StringComparison.Ordinal);
        var left = new List<string>();
        await CtrWait.UntilAsync(async () => (left = (await Footprint.OfAsync(c)).Except(before).ToList()).Count == 0, Settle);
        Assert.True(left.Count == 0, $"after the refused {field} pod these remain:\n" + string.Join('\n', left));
        var listed = await c.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest { Filter = new PodSandboxFilter { LabelSelector = { ["io.kubernetes.pod.name"] = name } } });
        Assert.All(listed.Items, p => Assert.NotEqual(PodSandboxState.SandboxReady, p.State));
    }

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task A_host_device_is_refused_by_sevshim_naming_it_and_the_kernels_virtual_ones_pass(string handler)
    {
        CriHandler.Ensure(handler);
        var c = await fixture.GetAsync();
        var pod = await CriPod.RunAsync(c, handler, CriPodSpec.Pod(c, "devices-" + handler, "cri-devices"), default);
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            // /dev/fuse is the same device in every kernel: the guest's own serves it.
            var fuse = CriPodSpec.Shell("fuse", "test -c /dev/fuse && echo fuse-ok; exec sleep 2147483647");
            fuse.Devices.Add(new Device { ContainerPath = "/dev/fuse", HostPath = "/dev/fuse", Permissions = "rwm" });
            await pod.StartContainerAsync(fuse, default);
            await pod.WaitForLogAsync("fuse", " stdout F fuse-ok", TimeSpan.FromSeconds(30));

            // /dev/kmsg (c 1:11) is the host kernel's log: in the VM 1:11 would be the guest's.
            var kmsg = CriPodSpec.Shell("kmsg", "test -c /dev/host-kmsg && echo kmsg-ok; exec sleep 2147483647");
            kmsg.Devices.Add(new Device { ContainerPath = "/dev/host-kmsg", HostPath = "/dev/kmsg", Permissions = "r" });
            if (handler == CriHandler.Runc)
            {
                await pod.StartContainerAsync(kmsg, default);
                await pod.WaitForLogAsync("kmsg", " stdout F kmsg-ok", TimeSpan.FromSeconds(30));
            }
            else
            {
                var e = await Assert.ThrowsAsync<RpcException>(() => pod.StartContainerAsync(kmsg, default));
                Assert.Contains("/dev/host-kmsg", e.Status.Detail, StringComparison.Ordinal);
                Assert.Contains("c 1:11", e.Status.Detail, StringComparison.Ordinal);
            }

            await RemoveAndCheckAsync(pod);
        });
    }

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task A_hostPath_socket_is_refused_by_sevshim_naming_the_volume(string handler)
    {
        CriHandler.Ensure(handler);
        var c = await fixture.GetAsync();
        var pod = await CriPod.RunAsync(c, handler, CriPodSpec.Pod(c, "socket-" + handler, "cri-socket"), default);
        var socketPath = Path.Combine(c.Dir, $"volume-{handler}.sock");
        File.Delete(socketPath);
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
        try
        {
            await CriDiagnostics.RunAsync(pod, async () =>
            {
                var app = CriPodSpec.Shell("sock", "test -S /run/app.sock && echo sock-ok; exec sleep 2147483647");
                app.Mounts.Add(new Mount { ContainerPath = "/run/app.sock", HostPath = socketPath });
                if (handler == CriHandler.Runc)
                {
                    await pod.StartContainerAsync(app, default);
                    await pod.WaitForLogAsync("sock", " stdout F sock-ok", TimeSpan.FromSeconds(30));
                }
                else
                {
                    var e = await Assert.ThrowsAsync<RpcException>(() => pod.StartContainerAsync(app, default));
                    Assert.Contains("/run/app.sock", e.Status.Detail, StringComparison.Ordinal);
                    Assert.Contains("unix socket", e.Status.Detail, StringComparison.Ordinal);
                }

                await RemoveAndCheckAsync(pod);
            });
        }
        finally
        {
            File.Delete(socketPath);
        }
    }

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task A_privileged_container_can_mount_and_sevshims_sees_no_host_device(string handler)
    {
        CriHandler.Ensure(handler);
        var c = await fixture.GetAsync();
        var config = CriPodSpec.Pod(c, "privileged-" + handler, "cri-privileged");
        config.Linux.SecurityContext.Privileged = true;
        var pod = await CriPod.RunAsync(c, handler, config, default);
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            var app = CriPodSpec.Shell("priv", "exec sleep 2147483647");
            app.Linux.SecurityContext.Privileged = true;
            var id = await pod.StartContainerAsync(app, default);
            Assert.Equal("mounted\n", await pod.ShAsync(id, "mkdir -p /mnt/t && mount -t tmpfs t /mnt/t && echo mounted", default));
            var loops = await pod.ShAsync(id, "ls /dev | grep -c '^loop[0-9]' || true", default);
            if (handler == CriHandler.Sevshim)
            {
                // privileged_without_host_devices (the shipped snippet) and the shim's own filter.
                Assert.Equal("0\n", loops);
            }
            else if (File.Exists("/dev/loop0"))
            {
                Assert.NotEqual("0\n", loops);
            }

            await RemoveAndCheckAsync(pod);
        });
    }

    private static async Task RemoveAndCheckAsync(CriPod pod)
    {
        await pod.StopAndRemoveAsync(default);
        var leaks = new List<string>();
        await CtrWait.UntilAsync(async () => (leaks = await CriLeaks.OfAsync(pod, default)).Count == 0, Settle);
        Assert.True(leaks.Count == 0, $"after RemovePodSandbox of {pod.Id} ({pod.Handler}) these remain:\n" + string.Join('\n', leaks));
    }

    /// <summary>
    /// What a pod that never ran could leave: shims, QEMUs, their state, links, netns files. A
    /// refused pod has no id to look for, so this is machine-wide, minus the pods of other
    /// containerd instances (another suite on the same machine): a shim whose -address is not
    /// this instance's, and the QEMU and /run/sevshim entry of its -id.
    /// </summary>
    private static partial class Footprint
    {
        public static async Task<HashSet<string>> OfAsync(CriContainerd c)
        {
            var shims = CtrHost.ProcessesWith("containerd-shim-sevshim");
            var foreign = shims
                .Where(p => !p.CommandLine.Contains(c.Address, StringComparison.Ordinal))
                .Select(p => ShimId().Match(p.CommandLine))
                .Where(m => m.Success)
                .Select(m => m.Groups[1].Value)
                .ToHashSet(StringComparer.Ordinal);
            bool Foreign(string text) => foreign.Any(id => text.Contains(id, StringComparison.Ordinal));

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in shims.Concat(CtrHost.ProcessesWith("qemu-system")))
            {
                if (!Foreign(p.CommandLine))
                {
                    seen.Add($"process {p.Pid} {p.CommandLine}");
                }
            }

            foreach (var dir in new[] { CtrContainerd.ShimStateRoot, Path.GetDirectoryName(c.BundleOf("x"))!, Path.Combine(c.CriStateDir, "sandboxes"), c.ShimSocketDir })
            {
                if (Directory.Exists(dir))
                {
                    seen.UnionWith(Directory.EnumerateFileSystemEntries(dir).Where(e => !Foreign(e)).Select(e => "entry " + e));
                }
            }

            seen.UnionWith((await c.Netns!.LinksAsync("veth")).Select(l => "veth " + l));
            seen.UnionWith((await c.Netns.LinksAsync("tun")).Select(l => "tap " + l));
            return seen;
        }

        [System.Text.RegularExpressions.GeneratedRegex(@" -id (\S+)")]
        private static partial System.Text.RegularExpressions.Regex ShimId();
    }
}
