using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Runtime.V1;
using SevShim.IntegrationTests.Support;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// A container's life as the CRI reports it, with each handler: its log file in the CRI format
/// (what `kubectl logs` reads), StopContainer's stop signal and grace period before SIGKILL, and
/// a memory-limit kill reported as OOMKilled.
/// </summary>
[Collection(CtrCollection.Name)]
public sealed partial class CriContainerTests(CriFixture fixture)
{
    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task Container_log_is_written_in_the_cri_format(string handler)
    {
        CriHandler.Ensure(handler);
        var shared = await fixture.SharedPodAsync(handler);
        var pod = shared.Pod;
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            var log = await pod.WaitForLogAsync("app", " stderr F to-stderr", TimeSpan.FromSeconds(30));
            log = await pod.WaitForLogAsync("app", " stdout F to-stdout", TimeSpan.FromSeconds(30));
            var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var parsed = new List<(string Stream, string Tag, string Text)>();
            foreach (var line in lines)
            {
                // <RFC3339Nano time> <stdout|stderr> <F|P> <text> (containerd's pkg/cri/io logger).
                var match = CriLogLine().Match(line);
                Assert.True(match.Success, $"not a CRI log line: '{line}'\nlog:\n{log}");
                var time = DateTimeOffset.Parse(Truncated(match.Groups["time"].Value), CultureInfo.InvariantCulture);
                Assert.InRange(time, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMinutes(1));
                parsed.Add((match.Groups["stream"].Value, match.Groups["tag"].Value, match.Groups["text"].Value));
            }

            Assert.Equal(
                new[] { ("stderr", "F", "to-stderr"), ("stdout", "F", CriSharedPod.InitMarker), ("stdout", "F", "to-stdout") },
                parsed.Order().ToArray());
        });
    }

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task StopContainer_sends_the_stop_signal_then_SIGKILL_after_the_grace_period(string handler)
    {
        CriHandler.Ensure(handler);
        var shared = await fixture.SharedPodAsync(handler);
        var pod = shared.Pod;
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            // sh is PID 1 of its container: without a trap it would ignore SIGTERM. `wait` lets the
            // trap run at once instead of after the current sleep.
            const string Loop = "echo ready; while :; do sleep 1 & wait $!; done";
            var graceful = await pod.StartContainerAsync(
                CriPodSpec.Shell("graceful", "trap 'echo got-term; sleep 2; echo bye; exit 42' TERM; " + Loop), default);
            var stubborn = await pod.StartContainerAsync(
                CriPodSpec.Shell("stubborn", "trap 'echo ignoring-term' TERM; " + Loop), default);
            await pod.WaitForLogAsync("graceful", " stdout F ready", TimeSpan.FromSeconds(30));
            await pod.WaitForLogAsync("stubborn", " stdout F ready", TimeSpan.FromSeconds(30));

            // Grace period 20 s: the handler needs 2 s and exits on its own with its code.
            var clock = Stopwatch.StartNew();
            await pod.Containerd.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = graceful, Timeout = 20 }, deadline: DateTime.UtcNow.AddMinutes(2));
            var tookGraceful = clock.Elapsed;
            var gracefulStatus = await pod.StatusAsync(graceful, default);
            Assert.Equal(ContainerState.ContainerExited, gracefulStatus.State);
            Assert.Equal(42, gracefulStatus.ExitCode);
            Assert.InRange(tookGraceful, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(18));
            var log = await pod.WaitForLogAsync("graceful", " stdout F bye", TimeSpan.FromSeconds(10));
            Assert.Contains(" stdout F got-term", log, StringComparison.Ordinal);

            // Grace period 2 s for a process that only logs SIGTERM: SIGKILL follows after 2 s.
            clock.Restart();
            await pod.Containerd.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = stubborn, Timeout = 2 }, deadline: DateTime.UtcNow.AddMinutes(2));
            var tookStubborn = clock.Elapsed;
            var stubbornStatus = await pod.StatusAsync(stubborn, default);
            Assert.Equal(ContainerState.ContainerExited, stubbornStatus.State);
            Assert.Equal(137, stubbornStatus.ExitCode);
            Assert.InRange(tookStubborn, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(15));
            await pod.WaitForLogAsync("stubborn", " stdout F ignoring-term", TimeSpan.FromSeconds(10));

            foreach (var id in new[] { graceful, stubborn })
            {
                await pod.Containerd.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id }, deadline: DateTime.UtcNow.AddMinutes(1));
            }
        });
    }

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task A_container_over_its_memory_limit_is_reported_OOMKilled(string handler)
    {
        CriHandler.Ensure(handler);
        var shared = await fixture.SharedPodAsync(handler);
        var pod = shared.Pod;
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            // dd's one 64 MiB buffer is filled from /dev/zero: twice the 32 MiB limit. exec, so the
            // killed process is the container's own and its exit code the container's.
            var oom = await pod.StartContainerAsync(
                CriPodSpec.Shell("oom", "exec dd if=/dev/zero of=/dev/null bs=64M count=1", CriPodSpec.Mebibytes(32)), default);
            var status = await pod.WaitExitedAsync(oom, TimeSpan.FromMinutes(1), default);
            Assert.Equal("OOMKilled", status.Reason);
            Assert.Equal(137, status.ExitCode);

            // The kill stayed inside that container's cgroup: app still answers.
            Assert.Equal("alive\n", await pod.ShAsync(shared.AppId, "echo alive", default));
            await pod.Containerd.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = oom }, deadline: DateTime.UtcNow.AddMinutes(1));
        });
    }

    /// <summary>.NET parses at most 7 fraction digits; RFC3339Nano has up to 9.</summary>
    private static string Truncated(string time) => FractionDigits().Replace(time, m => m.Value[..Math.Min(m.Value.Length, 8)]);

    [GeneratedRegex(@"^(?<time>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})) (?<stream>stdout|stderr) (?<tag>F|P) (?<text>.*)$")]
    private static partial Regex CriLogLine();

    [GeneratedRegex(@"\.\d+")]
    private static partial Regex FractionDigits();
}
