using Serilog;
using SevShim.Events;
using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests;

/// <summary>
/// Interop with the real containerd 1.6 (Debian), one private instance per test, with the
/// shipped default sevshim configuration (only the log level raised).
/// </summary>
public sealed class ContainerdInteropTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromMinutes(2);

    [E2EFact(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.ShimBinary)]
    public async Task ForwardedTaskOomArrivesOnContainerdsEventStreamWithItsBareTypeUrl()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.ShimBinary);
        await using var containerd = await CtrContainerd.StartAsync(CtrContainerd.ShippedDefaultsShimConfig, importImage: false);
        await using var events = containerd.StartCtr(["events"]);

        // The production path: TaskEventPublisher over TtrpcEventForwarder on TTRPC_ADDRESS.
        // ctr events subscribes asynchronously, so publish until a line shows up (TaskOOM is
        // idempotent for this check).
        await using var publisher = new TaskEventPublisher(
            CtrContainerd.Namespace, new TtrpcEventForwarder(containerd.TtrpcAddress), new LoggerConfiguration().CreateLogger());
        var seen = await RepeatUntilAsync(
            () => publisher.Publish(TaskEvent.Oom("oom-probe")),
            () => Lines(events).FirstOrDefault(l => l.Contains("/tasks/oom", StringComparison.Ordinal)));
        Assert.Contains("oom-probe", seen, StringComparison.Ordinal);
        Assert.Contains("containerd.events.TaskOOM", containerd.ReadLog(), StringComparison.Ordinal);
        Assert.DoesNotContain(Lines(events), l => l.Contains("not found", StringComparison.Ordinal));
    }

    [E2EFact(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.ShimBinary)]
    public async Task CtrRunOfAConfidentialPodOnAHostWithoutSevFailsCreateWithTheReasonAndLeavesNothingBehind()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.ShimBinary);
        await using var containerd = await CtrContainerd.StartAsync(CtrContainerd.ShippedDefaultsShimConfig, importImage: true);
        var id = containerd.NewId("c1");

        var run = await containerd.CtrAsync([.. containerd.RunArgs(CtrRuntime.Sevshim, id, [], "true")]);
        var output = run.Stdout + run.Stderr;
        Assert.True(run.ExitCode != 0, $"ctr run unexpectedly succeeded: {run.Describe()}");
        Assert.Contains("failed precondition", output, StringComparison.Ordinal);
        // The fixture's configuration keeps the shipped default (confidential mode "sev"); this
        // host has no SEV, so Create is refused with the check's findings: never a silent
        // unencrypted fallback (ARCHITECTURE decision 8).
        Assert.Contains("confidential.mode = \"sev\" is not available on this host", output, StringComparison.Ordinal);
        Assert.Contains("cpu.sev", output, StringComparison.Ordinal);

        // start ran (its line in the bundle log reached containerd's log), the daemon served Create
        // and then ended after Shutdown (its own log lines), and the delete binary ran.
        await WaitAsync(() => CtrPods.ShimProcesses(containerd).Count == 0, "the shim daemon to exit", containerd);
        Assert.Contains($"start {id}", containerd.ReadLog(), StringComparison.Ordinal);
        Assert.Contains("daemon exiting", containerd.ReadLog(), StringComparison.Ordinal);

        var rm = await containerd.CtrAsync("containers", "rm", id);
        Assert.True(rm.ExitCode == 0, $"ctr containers rm: {rm.Describe()}");

        await WaitAsync(() => !Directory.Exists(containerd.BundleOf(id)), "the bundle to be removed", containerd);
        Assert.Empty(CtrPods.ShimProcesses(containerd));
        Assert.Empty(Directory.EnumerateFileSystemEntries(containerd.ShimSocketDir));
        Assert.Empty(CtrHost.MountsWith(containerd.StateDir));
        var list = await containerd.CtrAsync("containers", "list", "-q");
        Assert.DoesNotContain(id, list.Stdout, StringComparison.Ordinal);
    }

    private static string[] Lines(CtrCommand command) => (command.Stdout + command.Stderr).Split('\n');

    private static async Task WaitAsync(Func<bool> condition, string what, CtrContainerd containerd)
    {
        if (!await CtrWait.UntilAsync(() => Task.FromResult(condition()), Settle))
        {
            Assert.Fail($"timed out waiting for {what}; containerd log:{Environment.NewLine}{containerd.LogTail(200)}");
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
