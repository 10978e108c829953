using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using SevAgent.Protocol.V1;
using TestSupport;
using Xunit.Abstractions;

namespace GuestImage.IntegrationTests;

/// <summary>
/// cgroup figures, OOM kills and two measurements reported in the test output (no timing
/// assertions): the agent's resident memory in the guest and stdout throughput over virtio-serial.
/// </summary>
[Collection(AgentVmCollection.Name)]
public sealed class AgentResourceTests(AgentVmFixture fixture, ITestOutputHelper output) : AgentVmTestBase(fixture, output)
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(5);

    [E2EFact(Requirement.Qemu, Requirement.GuestImage, Requirement.AgentBinary)]
    public async Task Stats_return_the_cgroup_figures_of_a_running_container()
    {
        var vm = await StartAsync();
        using var cts = new CancellationTokenSource(TestTimeout);
        const string id = "stats";
        await GuestContainers.CreateAsync(vm, id, OciSpec.Create(["sleep", "1000"], memoryLimitBytes: 64L << 20), new Stdio(), cts.Token);
        try
        {
            await vm.Client.StartContainerAsync(new StartContainerRequest { ContainerId = id }, deadline: AgentVm.Deadline(), cancellationToken: cts.Token);

            var stats = await vm.Client.StatsContainerAsync(new StatsContainerRequest { ContainerId = id }, deadline: AgentVm.Deadline(), cancellationToken: cts.Token);

            Assert.Contains(id, stats.CgroupPath, StringComparison.Ordinal);
            Assert.True(stats.Memory.UsageBytes > 0, $"memory.current is 0; missing: {string.Join(", ", stats.Missing)}");
            Assert.Equal(64UL << 20, stats.Memory.LimitBytes);
            Assert.True(stats.Pids.Current >= 1, $"pids.current is {stats.Pids.Current}; missing: {string.Join(", ", stats.Missing)}");
            Assert.NotEmpty(stats.Memory.Stat);
            Output.WriteLine($"stats: cpu {stats.Cpu.UsageUsec} us, memory {stats.Memory.UsageBytes} B of {stats.Memory.LimitBytes}, pids {stats.Pids.Current}");
        }
        finally
        {
            await GuestContainers.DeleteAsync(vm, id);
        }
    }

    [E2EFact(Requirement.Qemu, Requirement.GuestImage, Requirement.AgentBinary)]
    public async Task A_container_over_its_memory_limit_is_oom_killed_and_the_event_arrives()
    {
        var vm = await StartAsync();
        using var cts = new CancellationTokenSource(TestTimeout);
        const string id = "oom";

        // The OOM stream must be open before the kill: events without a listener are dropped.
        using var events = vm.Client.StreamOomEvents(new StreamOomEventsRequest(), cancellationToken: cts.Token);
        var firstEvent = WaitForOomEventAsync(events, id, cts.Token);
        await vm.Client.HealthAsync(new HealthRequest(), deadline: AgentVm.Deadline(), cancellationToken: cts.Token);

        // The shell keeps 64 MiB of command output in memory, four times the 16 MiB limit.
        var spec = OciSpec.Create(["sh", "-c", "x=$(yes aaaaaaaaaaaaaaa | head -c 67108864); echo survived"], memoryLimitBytes: 16L << 20);
        var result = await GuestContainers.RunAsync(vm, id, spec, null, cts.Token);

        Assert.Equal(137u, result.ExitStatus);
        Assert.DoesNotContain("survived", result.StdoutText, StringComparison.Ordinal);
        var oom = await firstEvent.WaitAsync(TimeSpan.FromSeconds(120), cts.Token);
        Assert.Equal(id, oom.ContainerId);
        Assert.True(oom.OomKillCount >= 1, $"oom_kill_count {oom.OomKillCount}");
    }

    [E2EFact(Requirement.Qemu, Requirement.GuestImage, Requirement.AgentBinary)]
    public async Task Agent_is_pid_1_of_the_guest_and_its_resident_memory_is_reported()
    {
        var vm = await StartAsync();
        using var cts = new CancellationTokenSource(TestTimeout);

        // Without a pid namespace the container's /proc shows the guest's processes: pid 1 is the agent.
        var result = await GuestContainers.RunAsync(
            vm, "agent-rss", OciSpec.Create(["cat", "/proc/1/status"], pidNamespace: false), null, cts.Token);

        Assert.Equal(0u, result.ExitStatus);
        var fields = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1].Trim(), StringComparer.Ordinal);
        Assert.Equal("sevagent", fields["Name"]);
        var rssKiB = long.Parse(fields["VmRSS"].Split(' ')[0], CultureInfo.InvariantCulture);
        Assert.True(rssKiB > 0, "VmRSS of the agent is 0");
        Output.WriteLine($"agent RSS in the guest: {rssKiB / 1024.0:F1} MiB (VmHWM {fields.GetValueOrDefault("VmHWM")})");
    }

    [E2EFact(Requirement.Qemu, Requirement.GuestImage, Requirement.AgentBinary)]
    public async Task Stdout_of_64_MiB_arrives_complete_over_virtio_serial()
    {
        var vm = await StartAsync();
        using var cts = new CancellationTokenSource(TestTimeout);
        const string id = "throughput";
        const long size = 64L << 20;
        await GuestContainers.CreateAsync(vm, id, OciSpec.Create(["head", "-c", size.ToString(CultureInfo.InvariantCulture), "/dev/zero"]), new Stdio { Stdout = true }, cts.Token);
        try
        {
            using var stdout = vm.Client.ReadStdout(new ReadStreamRequest { ContainerId = id }, cancellationToken: cts.Token);
            await vm.Client.StartContainerAsync(new StartContainerRequest { ContainerId = id }, deadline: AgentVm.Deadline(), cancellationToken: cts.Token);
            var stopwatch = Stopwatch.StartNew();
            long received = 0;
            var nonZero = false;
            while (await stdout.ResponseStream.MoveNext(cts.Token))
            {
                var data = stdout.ResponseStream.Current.Data.Span;
                received += data.Length;
                nonZero |= data.IndexOfAnyExcept((byte)0) >= 0;
            }

            stopwatch.Stop();
            var exit = await vm.Client.WaitProcessAsync(new WaitProcessRequest { ContainerId = id }, cancellationToken: cts.Token);
            Assert.Equal(0u, exit.ExitStatus);
            Assert.Equal(size, received);
            Assert.False(nonZero, "stdout of head -c N /dev/zero carried non-zero bytes");
            Output.WriteLine($"64 MiB stdout over virtio-serial: {stopwatch.Elapsed.TotalSeconds:F1} s, {size / 1e6 / stopwatch.Elapsed.TotalSeconds:F1} MB/s");
        }
        finally
        {
            await GuestContainers.DeleteAsync(vm, id);
        }
    }

    private static async Task<OomEvent> WaitForOomEventAsync(AsyncServerStreamingCall<OomEvent> events, string id, CancellationToken cancellationToken)
    {
        while (await events.ResponseStream.MoveNext(cancellationToken))
        {
            if (events.ResponseStream.Current.ContainerId == id)
            {
                return events.ResponseStream.Current;
            }
        }

        throw new InvalidOperationException("the OOM event stream ended without an event for " + id);
    }
}
