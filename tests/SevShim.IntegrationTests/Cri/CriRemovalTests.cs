using System.Diagnostics;
using System.Globalization;
using Runtime.V1;
using SevShim.IntegrationTests.Support;
using Xunit.Abstractions;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// Pods removed as kubelet removes them (StopPodSandbox, RemovePodSandbox) leave nothing that
/// <see cref="CriLeaks"/> can find, once, with running containers and an exec, and for ten pods
/// in a row. The ten cycles also measure RunPodSandbox to the first container running, the
/// figure the closing note asks for per handler.
/// </summary>
[Collection(CtrCollection.Name)]
public sealed class CriRemovalTests(CriFixture fixture, ITestOutputHelper output)
{
    /// <summary>Pods created and removed in a row (issue 11).</summary>
    public const int Cycles = 10;

    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task RemovePodSandbox_leaves_no_process_mount_socket_netns_link_or_state(string handler)
    {
        CriHandler.Ensure(handler);
        var c = await fixture.GetAsync();
        var pod = await CriPod.RunAsync(c, handler, CriPodSpec.Pod(c, "removed-" + handler, "cri-removed"), default);
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            Assert.True(pod.NetnsPath.Length > 0, "PodSandboxStatus (verbose) named no network namespace");
            Assert.True(File.Exists(pod.NetnsPath), $"the pod's network namespace {pod.NetnsPath} does not exist while the pod runs");
            Assert.NotEmpty(pod.Veths);
            var first = await pod.StartContainerAsync(CriPodSpec.Shell("first", "exec sleep 2147483647"), default);
            await pod.StartContainerAsync(CriPodSpec.Shell("second", "exec sleep 2147483647"), default);
            Assert.Equal("hi\n", await pod.ShAsync(first, "echo hi", default));
            var running = await CriLeaks.OfAsync(pod, default);
            Assert.Contains(running, l => l.StartsWith("folder ", StringComparison.Ordinal)); // the check sees a live pod

            await c.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = pod.Id }, deadline: DateTime.UtcNow.AddMinutes(2));
            await c.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod.Id }, deadline: DateTime.UtcNow.AddMinutes(2));
            var leaks = await SettledLeaksAsync(pod);
            Assert.True(leaks.Count == 0, $"after RemovePodSandbox of {pod.Id} ({handler}) these remain:\n" + string.Join('\n', leaks));
        });
    }

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task Ten_pods_created_and_removed_in_a_row_leak_nothing(string handler)
    {
        CriHandler.Ensure(handler);
        var c = await fixture.GetAsync();
        var toRunning = new List<TimeSpan>();
        var runOnly = new List<TimeSpan>();
        var leaks = new List<string>();
        for (var i = 0; i < Cycles; i++)
        {
            var name = $"cycle{i.ToString(CultureInfo.InvariantCulture)}-{handler}";
            var clock = Stopwatch.StartNew();
            var pod = await CriPod.RunAsync(c, handler, CriPodSpec.Pod(c, name, name), default);
            await CriDiagnostics.RunAsync(pod, async () =>
            {
                var id = await pod.StartContainerAsync(CriPodSpec.Shell("main", "echo started; exec sleep 2147483647"), default);
                toRunning.Add(clock.Elapsed);
                runOnly.Add(pod.RunDuration);
                await pod.WaitForLogAsync("main", " stdout F started", TimeSpan.FromSeconds(30));
                Assert.Equal(ContainerState.ContainerRunning, (await pod.StatusAsync(id, default)).State);
                await c.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = pod.Id }, deadline: DateTime.UtcNow.AddMinutes(2));
                await c.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod.Id }, deadline: DateTime.UtcNow.AddMinutes(2));
                leaks.AddRange((await SettledLeaksAsync(pod)).Select(l => $"pod {i} ({pod.Id[..12]}): {l}"));
            });
        }

        output.WriteLine(CriTimings.RecordSeries(handler, "RunPodSandbox", runOnly));
        output.WriteLine(CriTimings.RecordSeries(handler, "RunPodSandbox to first container running", toRunning));
        Assert.True(leaks.Count == 0, $"after {Cycles} pods with {handler} these remain:\n" + string.Join('\n', leaks));
    }

    /// <summary>Teardown may finish just after the CRI answers: the leaks that stay for <see cref="Settle"/>.</summary>
    private static async Task<List<string>> SettledLeaksAsync(CriPod pod)
    {
        var leaks = new List<string>();
        await CtrWait.UntilAsync(async () => (leaks = await CriLeaks.OfAsync(pod, default)).Count == 0, Settle);
        return leaks;
    }
}
