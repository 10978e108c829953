using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using SevShim.Protos.Containerd.Events;
using SevShim.Protos.Containerd.EventsTtrpc;
using TestSupport;
using Ttrpc;

namespace SevShim.IntegrationTests;

/// <summary>
/// Interop with the real containerd 1.6 (Debian), one private instance per test.
/// </summary>
public sealed class ContainerdInteropTests
{
    private const string Image = "docker.io/sevshim/busybox:test";
    private static readonly TimeSpan Settle = TimeSpan.FromMinutes(2);

    [E2EFact(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.ShimBinary)]
    public async Task ForwardedTaskOomArrivesOnContainerdsEventStreamWithItsBareTypeUrl()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.ShimBinary);
        await using var containerd = await ContainerdInstance.StartAsync();
        using var events = StartCtrEvents(containerd);
        try
        {
            // ctr events subscribes asynchronously: forward until a line shows up (idempotent event).
            var seen = await RepeatUntilAsync(
                async () =>
                {
                    await using var client = await TtrpcClient.ConnectAsync(containerd.TtrpcAddress, CancellationToken.None);
                    var envelope = new Envelope
                    {
                        Timestamp = Timestamp.FromDateTime(DateTime.UtcNow),
                        Namespace = ContainerdInstance.Namespace,
                        Topic = "/tasks/oom",
                        Event = TypeUrls.Pack(new TaskOOM { ContainerId = "oom-probe" }),
                    };
                    await client.CallAsync("containerd.services.events.ttrpc.v1.Events", "Forward", new ForwardRequest { Envelope = envelope }, Empty.Parser, TimeSpan.FromSeconds(30), CancellationToken.None);
                },
                () => events.Lines.FirstOrDefault(l => l.Contains("/tasks/oom", StringComparison.Ordinal)));
            Assert.Contains("oom-probe", seen);
            Assert.DoesNotContain(events.Lines, l => l.Contains("not found", StringComparison.Ordinal));
        }
        finally
        {
            events.Stop();
        }
    }

    [E2EFact(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.ShimBinary)]
    public async Task CtrRunReachesTheShimFailsCreateCleanlyAndLeavesNothingBehind()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.ShimBinary);
        await using var containerd = await ContainerdInstance.StartAsync();
        var tar = Path.Combine(containerd.Dir, "image.tar");
        OciTestImage.Write(tar, Image);
        var import = await containerd.CtrAsync("images", "import", tar);
        Assert.True(import.ExitCode == 0, $"ctr images import: {import}");

        var run = await containerd.CtrAsync("run", "--runtime", ContainerdInstance.RuntimeName, "--fifo-dir", containerd.FifoDir, Image, "c1", "true");
        var output = run.StdoutText + run.Stderr;
        Assert.True(run.ExitCode != 0, $"ctr run unexpectedly succeeded: {run}");
        Assert.Contains("failed precondition", output, StringComparison.Ordinal);
        Assert.Contains("sevshim", output, StringComparison.OrdinalIgnoreCase);

        // start ran (its line in the bundle log reached containerd's log), the daemon served Create
        // and then ended after Shutdown (its own log lines), and the delete binary ran.
        await WaitAsync(() => ShimProcesses.Find(RepoPaths.ShimBinary, containerd.Address).Count == 0, "the shim daemon to exit", containerd);
        Assert.Contains("start c1", containerd.Log, StringComparison.Ordinal);
        Assert.Contains("daemon exiting", containerd.Log, StringComparison.Ordinal);

        var rm = await containerd.CtrAsync("containers", "rm", "c1");
        Assert.True(rm.ExitCode == 0, $"ctr containers rm: {rm}");

        await WaitAsync(() => !Directory.Exists(containerd.BundleOf("c1")), "the bundle to be removed", containerd);
        Assert.Empty(ShimProcesses.Find(RepoPaths.ShimBinary, containerd.Address));
        Assert.Empty(Directory.Exists(containerd.SocketDir) ? Directory.EnumerateFileSystemEntries(containerd.SocketDir) : []);
        Assert.Empty(ContainerdInstance.MountsUnder(containerd.StateDir));
        var list = await containerd.CtrAsync("containers", "list", "-q");
        Assert.DoesNotContain("c1", list.StdoutText, StringComparison.Ordinal);
    }

    private static async Task WaitAsync(Func<bool> condition, string what, ContainerdInstance containerd)
    {
        var deadline = DateTime.UtcNow + Settle;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}; containerd log:{Environment.NewLine}{containerd.Log}");
            }

            await Task.Delay(200);
        }
    }

    private static async Task<string> RepeatUntilAsync(Func<Task> action, Func<string?> probe)
    {
        var deadline = DateTime.UtcNow + Settle;
        while (DateTime.UtcNow < deadline)
        {
            await action();
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

    private static CtrEvents StartCtrEvents(ContainerdInstance containerd)
    {
        var info = new ProcessStartInfo(Prerequisites.FindTool("ctr")!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--address", containerd.Address, "--namespace", ContainerdInstance.Namespace, "events" })
        {
            info.ArgumentList.Add(arg);
        }

        return new CtrEvents(Process.Start(info) ?? throw new InvalidOperationException("cannot start ctr events"));
    }
}
