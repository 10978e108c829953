using Serilog;
using SevShim.Events;
using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests;

/// <summary>
/// Interop with the real containerd of every build of the matrix (1.6, 1.7, 2.1), one private
/// instance per test, with the shipped default sevshim configuration (only the log level raised).
/// </summary>
public sealed class ContainerdInteropTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromMinutes(2);

    [E2ETheory(Requirement.Root, Requirement.ShimBinary)]
    [ContainerdRow("1.6")]
    [ContainerdRow("1.7")]
    [ContainerdRow("2.1")]
    public async Task ForwardedTaskOomArrivesOnContainerdsEventStreamWithItsBareTypeUrl(string containerd)
    {
        var build = ContainerdRowAttribute.Ensure(containerd, Requirement.Root, Requirement.ShimBinary);
        await using var instance = await CtrContainerd.StartAsync(build, CtrContainerd.ShippedDefaultsShimConfig, importImage: false);
        await using var events = instance.StartCtr(["events"]);

        // The production path: TaskEventPublisher over TtrpcEventForwarder on TTRPC_ADDRESS.
        // ctr events subscribes asynchronously, so publish until a line shows up (TaskOOM is
        // idempotent for this check).
        await using var publisher = new TaskEventPublisher(
            CtrContainerd.Namespace, new TtrpcEventForwarder(instance.TtrpcAddress), new LoggerConfiguration().CreateLogger());
        var seen = await RepeatUntilAsync(
            () => publisher.Publish(TaskEvent.Oom("oom-probe")),
            () => Lines(events).FirstOrDefault(l => l.Contains("/tasks/oom", StringComparison.Ordinal)));
        // ctr prints an event it could decode by its type URL as JSON; one it could not, as
        // "not found". 1.6 also logs the type URL it forwarded (1.7 and 2.1 log no such line).
        Assert.Contains("{\"container_id\":\"oom-probe\"}", seen, StringComparison.Ordinal);
        if (build.Label == ContainerdBuild.Host)
        {
            Assert.Contains("containerd.events.TaskOOM", instance.ReadLog(), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(Lines(events), l => l.Contains("not found", StringComparison.Ordinal));
    }

    [E2ETheory(Requirement.Root, Requirement.ShimBinary)]
    [ContainerdRow("1.6")]
    [ContainerdRow("1.7")]
    [ContainerdRow("2.1")]
    public async Task CtrRunOfAConfidentialPodOnAHostWithoutSevFailsCreateWithTheReasonAndLeavesNothingBehind(string containerd)
    {
        var build = ContainerdRowAttribute.Ensure(containerd, Requirement.Root, Requirement.ShimBinary);
        await using var instance = await CtrContainerd.StartAsync(build, CtrContainerd.ShippedDefaultsShimConfig, importImage: true);
        var id = instance.NewId("c1");

        var run = await instance.CtrAsync([.. instance.RunArgs(CtrRuntime.Sevshim, id, [], "true")]);
        var output = run.Stdout + run.Stderr;
        Assert.True(run.ExitCode != 0, $"ctr run unexpectedly succeeded: {run.Describe()}");
        // 1.x appends the error code's name to the shim's message; 2.x's ctr prints the message alone.
        if (!build.IsV2)
        {
            Assert.True(output.Contains("failed precondition", StringComparison.Ordinal), output);
        }

        // The fixture's configuration keeps the shipped default (confidential mode "sev"); this
        // host has no SEV, so Create is refused with the check's findings: never a silent
        // unencrypted fallback (ARCHITECTURE decision 8).
        Assert.Contains("confidential.mode = \"sev\" is not available on this host", output, StringComparison.Ordinal);
        Assert.Contains("cpu.sev", output, StringComparison.Ordinal);

        // start ran (its line in the bundle log reached containerd's log), the daemon served Create
        // and then ended after Shutdown (its own log lines), and the delete binary ran.
        await WaitAsync(() => CtrPods.ShimProcesses(instance).Count == 0, "the shim daemon to exit", instance);
        Assert.Contains($"start {id}", instance.ReadLog(), StringComparison.Ordinal);
        Assert.Contains("daemon exiting", instance.ReadLog(), StringComparison.Ordinal);

        var rm = await instance.CtrAsync("containers", "rm", id);
        Assert.True(rm.ExitCode == 0, $"ctr containers rm: {rm.Describe()}");

        await WaitAsync(() => !Directory.Exists(instance.BundleOf(id)), "the bundle to be removed", instance);
        Assert.Empty(CtrPods.ShimProcesses(instance));
        Assert.Empty(Directory.EnumerateFileSystemEntries(instance.ShimSocketDir));
        Assert.Empty(CtrHost.MountsWith(instance.StateDir));
        var list = await instance.CtrAsync("containers", "list", "-q");
        Assert.DoesNotContain(id, list.Stdout, StringComparison.Ordinal);
    }

    private static string[] Lines(CtrCommand command) => (command.Stdout + command.Stderr).Split('\n');

    private static async Task WaitAsync(Func<bool> condition, string what, CtrContainerd instance)
    {
        if (!await CtrWait.UntilAsync(() => Task.FromResult(condition()), Settle))
        {
            Assert.Fail($"timed out waiting for {what}; containerd log:{Environment.NewLine}{instance.LogTail(200)}");
        }
    }

    private static async Task<string> RepeatUntilAsync(Action action, Func<string?> probe)
    {
        var deadline = DateTime.UtcNow + Settle;
        while (DateTime.UtcNow < deadline)
        {
            action();
            for (var i = 0; i < 10; i++)
            {
                if (probe() is { } found)
                {
                    return found;
                }

                await Task.Delay(200);
            }
        }

        Assert.Fail("the forwarded event never appeared on ctr events");
        return string.Empty;
    }
}
