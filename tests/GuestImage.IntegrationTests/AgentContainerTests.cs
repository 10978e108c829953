using System.Text;
using Google.Protobuf;
using SevAgent.Protocol.V1;
using TestSupport;
using Xunit.Abstractions;

namespace GuestImage.IntegrationTests;

/// <summary>
/// Container lifecycle through the real agent in a real VM (QEMU under TCG, SEV off, no
/// containerd): output streams, exit codes, stdin, terminals, exec and signals.
/// </summary>
[Collection(AgentVmCollection.Name)]
public sealed class AgentContainerTests(AgentVmFixture fixture, ITestOutputHelper output) : AgentVmTestBase(fixture, output)
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan OutputTimeout = TimeSpan.FromSeconds(120);

    [E2EFact(Requirement.Qemu, Requirement.GuestImage, Requirement.AgentBinary)]
    public async Task GuestInfo_reports_the_guest_kernel_and_the_agent_as_pid_1()
    {
        var vm = await StartAsync();
        using var cts = new CancellationTokenSource(TestTimeout);

        var info = await vm.Client.GetGuestInfoAsync(new GetGuestInfoRequest(), deadline: AgentVm.Deadline(), cancellationToken: cts.Token);

        var image = GuestImageFiles.Load();
        var hostRelease = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        Assert.Equal(image.KernelVersion, info.KernelRelease);
        Assert.NotEqual(hostRelease, info.KernelRelease);
        Assert.Equal(1, info.AgentPid);
        Assert.True(info.CgroupV2, "the guest has no cgroup v2 at /sys/fs/cgroup");
        Assert.Equal(1u, info.Cpus);
        Assert.InRange(info.MemoryTotalBytes, 256UL << 20, 512UL << 20);
        Assert.Contains("console=ttyS0", info.KernelCommandLine, StringComparison.Ordinal);
        Assert.False(info.Sev.Sev, "SEV reported active in a TCG guest");

        // The guest's SEV check is sound under TCG: the msr module is loaded, so SEV_STATUS is
        // either read as 0 (QEMU's TCG answers unknown MSRs with 0) or refused with the reason;
        // the kernel prints no memory-encryption line. Both mean "not active" to the shim.
        Assert.DoesNotContain("modprobe msr", info.Sev.Reason, StringComparison.Ordinal);
        Assert.True(
            (info.Sev.State == SevStatus.Types.State.Known && info.Sev.MsrValue == 0)
            || (info.Sev.State == SevStatus.Types.State.Unknown && info.Sev.Reason.Length > 0),
            $"unexpected SEV status {info.Sev}");
        Assert.Equal(string.Empty, info.Sev.KernelMessage);
        Output.WriteLine($"guest SEV status under TCG: {info.Sev}");
        Output.WriteLine($"time from QEMU start to agent ready: {vm.TimeToReady.TotalSeconds:F1} s; guest kernel {info.KernelRelease}, " +
            $"agent {info.AgentVersion}, memory {info.MemoryTotalBytes >> 20} MiB total, {info.MemoryAvailableBytes >> 20} MiB available");
    }

    [E2EFact(Requirement.Qemu, Requirement.GuestImage, Requirement.AgentBinary)]
    public async Task Echo_keeps_stdout_and_stderr_apart()
    {
        var vm = await StartAsync();
        using var cts = new CancellationTokenSource(TestTimeout);

        var result = await GuestContainers.RunAsync(
            vm, "echo", OciSpec.Create(["sh", "-c", "echo to-stdout; echo to-stderr >&2"]), stdin: null, cts.Token);

        Assert.Equal(0u, result.ExitStatus);
        Assert.Equal("to-stdout\n", result.StdoutText);
        Assert.Equal("to-stderr\n", result.StderrText);
    }

    [E2EFact(Requirement.Qemu, Requirement.GuestImage, Requirement.AgentBinary)]
    public async Task Exit_codes_are_kept_0_1_and_137_after_sigkill()
    {
        var vm = await StartAsync();
        using var cts = new CancellationTokenSource(TestTimeout);

        var ok = await GuestContainers.RunAsync(vm, "exit-0", OciSpec.Create(["true"]), null, cts.Token);
        var failed = await GuestContainers.RunAsync(vm, "exit-1", OciSpec.Create(["false"]), null, cts.Token);
        Assert.Equal(0u, ok.ExitStatus);
        Assert.Equal(1u, failed.ExitStatus);

        const string id = "exit-137";
        await GuestContainers.CreateAsync(vm, id, OciSpec.Create(["sleep", "1000"]), new Stdio(), cts.Token);
        try
        {
            await vm.Client.StartContainerAsync(new StartContainerRequest { ContainerId = id }, deadline: AgentVm.Deadline(), cancellationToken: cts.Token);
            await vm.Client.SignalProcessAsync(new SignalProcessRequest { ContainerId = id, Signal = 9 }, deadline: AgentVm.Deadline(), cancellationToken: cts.Token);
            var exit = await vm.Client.WaitProcessAsync(new WaitProcessRequest { ContainerId = id }, cancellationToken: cts.Token);
            Assert.Equal(137u, exit.ExitStatus);
        }
        finally
        {
            await GuestContainers.DeleteAsync(vm, id);
        }
    }

    [E2EFact(Requirement.Qemu, Requirement.GuestImage, Requirement.AgentBinary)]
    public async Task Stdin_reaches_the_process_and_eof_ends_it()
    {
        var vm = await StartAsync();
        using var cts = new CancellationTokenSource(TestTimeout);

        var input = Encoding.UTF8.GetBytes("line one\nline two\n");
        var result = await GuestContainers.RunAsync(vm, "stdin", OciSpec.Create(["sh", "-c", "cat; echo eof-seen >&2"]), input, cts.Token);

        Assert.Equal(0u, result.ExitStatus);
        Assert.Equal("line one\nline two\n", result.StdoutText);
        Assert.Equal("eof-seen\n", result.StderrText);
    }

    [E2EFact(Requirement.Qemu, Requirement.GuestImage, Requirement.AgentBinary)]
    public async Task Tty_process_runs_on_a_terminal_and_sees_resizes()
    {
        var vm = await StartAsync();
        using var cts = new CancellationTokenSource(TestTimeout);
        const string id = "tty";
        var script = "test -t 0 && test -t 1 && echo is-a-tty; echo ready; read a; stty size; read b; stty size";
        await GuestContainers.CreateAsync(vm, id, OciSpec.Create(["sh", "-c", script]), new Stdio { Stdin = true, Stdout = true, Terminal = true }, cts.Token);
        try
        {
            using var output = new OutputCollector(vm.Client.ReadStdout(new ReadStreamRequest { ContainerId = id }, cancellationToken: cts.Token), cts.Token);
            await vm.Client.StartContainerAsync(new StartContainerRequest { ContainerId = id }, deadline: AgentVm.Deadline(), cancellationToken: cts.Token);
            await output.WaitForAsync("ready", OutputTimeout, cts.Token);
            Assert.Contains("is-a-tty", output.Text, StringComparison.Ordinal);

            await vm.Client.ResizeTtyAsync(new ResizeTtyRequest { ContainerId = id, Width = 100, Height = 40 }, deadline: AgentVm.Deadline(), cancellationToken: cts.Token);
            await WriteStdinAsync(vm, id, "a\n", cts.Token);
            await output.WaitForAsync("40 100", OutputTimeout, cts.Token);

            await vm.Client.ResizeTtyAsync(new ResizeTtyRequest { ContainerId = id, Width = 132, Height = 50 }, deadline: AgentVm.Deadline(), cancellationToken: cts.Token);
            await WriteStdinAsync(vm, id, "b\n", cts.Token);
            await output.WaitForAsync("50 132", OutputTimeout, cts.Token);

            var exit = await vm.Client.WaitProcessAsync(new WaitProcessRequest { ContainerId = id }, cancellationToken: cts.Token);
            Assert.Equal(0u, exit.ExitStatus);
        }
        finally
        {
            await GuestContainers.DeleteAsync(vm, id);
        }
    }

    [E2EFact(Requirement.Qemu, Requirement.GuestImage, Requirement.AgentBinary)]
    public async Task Exec_runs_a_second_process_in_a_running_container()
    {
        var vm = await StartAsync();
        using var cts = new CancellationTokenSource(TestTimeout);
        const string id = "exec";
        await GuestContainers.CreateAsync(vm, id, OciSpec.Create(["sh", "-c", "echo init-marker > /tmp/marker; sleep 1000"]), new Stdio(), cts.Token);
        try
        {
            await vm.Client.StartContainerAsync(new StartContainerRequest { ContainerId = id }, deadline: AgentVm.Deadline(), cancellationToken: cts.Token);
            var process = OciSpec.Process(["sh", "-c", "while [ ! -f /tmp/marker ]; do sleep 0.2; done; cat /tmp/marker; echo exec-err >&2; exit 3"]);
            await vm.Client.ExecProcessAsync(
                new ExecProcessRequest { ContainerId = id, ExecId = "e1", ProcessJson = process.ToJsonString(), Stdio = new Stdio { Stdout = true, Stderr = true } },
                deadline: AgentVm.Deadline(),
                cancellationToken: cts.Token);
            var stream = new ReadStreamRequest { ContainerId = id, ExecId = "e1" };
            var stdout = GuestContainers.ReadAllAsync(vm.Client.ReadStdout(stream, cancellationToken: cts.Token), cts.Token);
            var stderr = GuestContainers.ReadAllAsync(vm.Client.ReadStderr(stream, cancellationToken: cts.Token), cts.Token);

            var execExit = await vm.Client.WaitProcessAsync(new WaitProcessRequest { ContainerId = id, ExecId = "e1" }, cancellationToken: cts.Token);
            Assert.Equal(3u, execExit.ExitStatus);
            Assert.Equal("init-marker\n", Encoding.UTF8.GetString(await stdout));
            Assert.Equal("exec-err\n", Encoding.UTF8.GetString(await stderr));
            await vm.Client.DeleteProcessAsync(new DeleteProcessRequest { ContainerId = id, ExecId = "e1" }, deadline: AgentVm.Deadline(), cancellationToken: cts.Token);

            // The container's init process is unaffected by the exec's exit.
            var pids = await vm.Client.ListProcessesAsync(new ListProcessesRequest { ContainerId = id }, deadline: AgentVm.Deadline(), cancellationToken: cts.Token);
            Assert.NotEmpty(pids.Pids);
        }
        finally
        {
            await GuestContainers.DeleteAsync(vm, id);
        }
    }

    [E2EFact(Requirement.Qemu, Requirement.GuestImage, Requirement.AgentBinary)]
    public async Task Sigterm_reaches_the_process_and_its_handler_decides_the_exit_code()
    {
        var vm = await StartAsync();
        using var cts = new CancellationTokenSource(TestTimeout);
        const string id = "signal";
        var script = "trap 'echo got-term; exit 42' TERM; echo ready; while true; do sleep 1; done";
        await GuestContainers.CreateAsync(vm, id, OciSpec.Create(["sh", "-c", script]), new Stdio { Stdout = true }, cts.Token);
        try
        {
            using var output = new OutputCollector(vm.Client.ReadStdout(new ReadStreamRequest { ContainerId = id }, cancellationToken: cts.Token), cts.Token);
            await vm.Client.StartContainerAsync(new StartContainerRequest { ContainerId = id }, deadline: AgentVm.Deadline(), cancellationToken: cts.Token);
            await output.WaitForAsync("ready", OutputTimeout, cts.Token);

            await vm.Client.SignalProcessAsync(new SignalProcessRequest { ContainerId = id, Signal = 15 }, deadline: AgentVm.Deadline(), cancellationToken: cts.Token);

            var exit = await vm.Client.WaitProcessAsync(new WaitProcessRequest { ContainerId = id }, cancellationToken: cts.Token);
            Assert.Equal(42u, exit.ExitStatus);
            Assert.Contains("got-term", await output.CompleteAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await GuestContainers.DeleteAsync(vm, id);
        }
    }

    private static async Task WriteStdinAsync(AgentVm vm, string id, string text, CancellationToken cancellationToken)
    {
        using var call = vm.Client.WriteStdin(deadline: AgentVm.Deadline(), cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new StdinChunk { ContainerId = id, Data = ByteString.CopyFromUtf8(text) }, cancellationToken);
        await call.RequestStream.CompleteAsync();
        var written = await call.ResponseAsync;
        Assert.Equal((ulong)Encoding.UTF8.GetByteCount(text), written.BytesWritten);
    }
}
