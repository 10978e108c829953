using System.Text;
using Google.Protobuf;
using Grpc.Core;
using SevAgent.Protocol.V1;
using TestSupport;

namespace SevAgent.ComponentTests;

/// <summary>The agent on the host with real crun: terminals, exec, stats, pause/resume, update, OOM.</summary>
public sealed class ProcessTests(AgentProcess agent) : AgentTestBase(agent)
{
    [E2EFact(Requirement.Root, Requirement.Crun)]
    public async Task A_terminal_process_sees_a_tty_and_its_resize()
    {
        await StartAgentAsync();
        var id = NewId("tty");
        await CreateAsync(id, ["sh", "-c", "read go; stty size; test -t 0 && echo is-a-tty"], new Stdio { Stdin = true, Stdout = true, Terminal = true });
        var output = ReadStdoutAsync(id);
        await Client.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cancellationToken: Timeout);

        // The resize is applied before the shell reads "go", so stty reports it.
        await Client.ResizeTtyAsync(new ResizeTtyRequest { ContainerId = id, Width = 123, Height = 45 }, cancellationToken: Timeout);
        using (var write = Client.WriteStdin(cancellationToken: Timeout))
        {
            await write.RequestStream.WriteAsync(new StdinChunk { ContainerId = id, Data = ByteString.CopyFromUtf8("go\n") });
            await write.RequestStream.CompleteAsync();
            await write.ResponseAsync;
        }

        Assert.Equal(0u, (await WaitAsync(id)).ExitStatus);
        var text = await output;
        Assert.Contains("45 123", text, StringComparison.Ordinal);
        Assert.Contains("is-a-tty", text, StringComparison.Ordinal);
        // A terminal has one output stream: stderr ends at once.
        Assert.Equal(string.Empty, await ReadStderrAsync(id));
        var stderrTerminal = await Assert.ThrowsAsync<RpcException>(() => CreateAsync(NewId("tty"), ["true"], new Stdio { Stderr = true, Terminal = true }));
        Assert.Equal(StatusCode.InvalidArgument, stderrTerminal.StatusCode);
    }

    [E2EFact(Requirement.Root, Requirement.Crun)]
    public async Task Exec_runs_in_a_running_container()
    {
        await StartAgentAsync();
        var id = NewId("exec");
        var created = await CreateAsync(id, ["sleep", "1000"], new Stdio());
        await Client.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cancellationToken: Timeout);

        // The exec sees the container's hostname and pid namespace (sleep is pid 1 there).
        var exec = await Client.ExecProcessAsync(new ExecProcessRequest
        {
            ContainerId = id,
            ExecId = "e1",
            ProcessJson = Specs.Process(["sh", "-c", "hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; echo oops >&2; exit 7"]).ToJsonString(),
            Stdio = new Stdio { Stdout = true, Stderr = true },
        }, cancellationToken: Timeout);
        Assert.True(exec.Pid > 0);
        Assert.Equal("sevtest\nsleep 1000 \n", await ReadStdoutAsync(id, "e1"));
        Assert.Equal("oops\n", await ReadStderrAsync(id, "e1"));
        Assert.Equal(7u, (await WaitAsync(id, "e1")).ExitStatus);

        var again = await Assert.ThrowsAsync<RpcException>(() => Client.ExecProcessAsync(new ExecProcessRequest
        {
            ContainerId = id, ExecId = "e1", ProcessJson = Specs.Process(["true"]).ToJsonString(),
        }).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, again.StatusCode);

        // An exec with stdin, killed by a signal from outside: 128 + 9.
        await Client.ExecProcessAsync(new ExecProcessRequest
        {
            ContainerId = id, ExecId = "e2", ProcessJson = Specs.Process(["cat"]).ToJsonString(), Stdio = new Stdio { Stdin = true, Stdout = true },
        }, cancellationToken: Timeout);
        using var catOut = Client.ReadStdout(new ReadStreamRequest { ContainerId = id, ExecId = "e2" }, cancellationToken: Timeout);
        using (var write = Client.WriteStdin(cancellationToken: Timeout))
        {
            await write.RequestStream.WriteAsync(new StdinChunk { ContainerId = id, ExecId = "e2", Data = ByteString.CopyFromUtf8("x\n") });
            await write.RequestStream.CompleteAsync();
            await write.ResponseAsync;
        }

        // Ending the write stream leaves stdin open (CloseStdin closes it), so cat keeps running;
        // the kill waits for cat's echo, or it could land before cat has read its input.
        var echoed = new List<byte>();
        while (echoed.Count < 2 && await catOut.ResponseStream.MoveNext(Timeout))
        {
            echoed.AddRange(catOut.ResponseStream.Current.Data.ToByteArray());
        }

        await Client.SignalProcessAsync(new SignalProcessRequest { ContainerId = id, ExecId = "e2", Signal = 9 }, cancellationToken: Timeout);
        Assert.Equal(137u, (await WaitAsync(id, "e2")).ExitStatus);
        Assert.Equal("x\n", Encoding.UTF8.GetString(echoed.ToArray()) + await CollectAsync(catOut));

        var pids = await Client.ListProcessesAsync(new ListProcessesRequest { ContainerId = id }, cancellationToken: Timeout);
        Assert.Contains(created.Pid, pids.Pids);

        await Client.DeleteProcessAsync(new DeleteProcessRequest { ContainerId = id, ExecId = "e1" }, cancellationToken: Timeout);
        var gone = await Assert.ThrowsAsync<RpcException>(() => Client.WaitProcessAsync(new WaitProcessRequest { ContainerId = id, ExecId = "e1" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);

        var running = await Assert.ThrowsAsync<RpcException>(() => Client.DeleteContainerAsync(new DeleteContainerRequest { ContainerId = id }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, running.StatusCode);
        await Client.DeleteContainerAsync(new DeleteContainerRequest { ContainerId = id, Force = true }, cancellationToken: Timeout);
        var deleted = await Assert.ThrowsAsync<RpcException>(() => Client.StatsContainerAsync(new StatsContainerRequest { ContainerId = id }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, deleted.StatusCode);
    }

    [E2EFact(Requirement.Root, Requirement.Crun)]
    public async Task Stats_pause_resume_and_update_use_the_container_cgroup()
    {
        await StartAgentAsync();
        var id = NewId("stats");
        await CreateAsync(id, ["sh", "-c", "while :; do echo tick > /dev/null; done"], new Stdio());
        await Client.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cancellationToken: Timeout);

        var stats = await Client.StatsContainerAsync(new StatsContainerRequest { ContainerId = id }, cancellationToken: Timeout);
        Assert.EndsWith($"/{Agent.CgroupParent}/{id}", stats.CgroupPath, StringComparison.Ordinal);
        var controllers = (await Client.GetGuestInfoAsync(new GetGuestInfoRequest())).CgroupControllers;
        if (controllers.Contains("memory"))
        {
            Assert.True(stats.Memory.UsageBytes > 0);
        }

        if (controllers.Contains("pids"))
        {
            Assert.True(stats.Pids.Current >= 1);
        }

        // cpu.stat exists on every v2 cgroup; a busy loop accumulates usage.
        Assert.True(stats.Cpu.UsageUsec > 0, $"no CPU usage: {stats}");

        await Client.PauseContainerAsync(new PauseContainerRequest { ContainerId = id }, cancellationToken: Timeout);
        var paused = await Assert.ThrowsAsync<RpcException>(() => Client.PauseContainerAsync(new PauseContainerRequest { ContainerId = id }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, paused.StatusCode);
        await Client.ResumeContainerAsync(new ResumeContainerRequest { ContainerId = id }, cancellationToken: Timeout);

        var badResources = await Assert.ThrowsAsync<RpcException>(() => Client.UpdateContainerAsync(new UpdateContainerRequest { ContainerId = id, ResourcesJson = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, badResources.StatusCode);
        if (controllers.Contains("pids"))
        {
            await Client.UpdateContainerAsync(new UpdateContainerRequest { ContainerId = id, ResourcesJson = "{\"pids\": {\"limit\": 50}}" }, cancellationToken: Timeout);
            Assert.Equal(50u, (await Client.StatsContainerAsync(new StatsContainerRequest { ContainerId = id })).Pids.Limit);
        }

        await Client.SignalProcessAsync(new SignalProcessRequest { ContainerId = id, Signal = 9 }, cancellationToken: Timeout);
        Assert.Equal(137u, (await WaitAsync(id)).ExitStatus);
    }

    [E2EFact(Requirement.Root, Requirement.Crun)]
    public async Task A_container_over_its_memory_limit_is_oom_killed_and_reported()
    {
        await StartAgentAsync();
        var controllers = (await Client.GetGuestInfoAsync(new GetGuestInfoRequest())).CgroupControllers;
        var id = NewId("oom");
        if (!controllers.Contains("memory"))
        {
            // This host gives containers no memory controller (see AgentProcess.IsHybridCgroupHost):
            // a memory limit must then fail loudly, never run unlimited.
            var refused = await Assert.ThrowsAsync<RpcException>(() => CreateAsync(id, ["true"], new Stdio(), memoryLimit: 32 << 20));
            Assert.Equal(StatusCode.Internal, refused.StatusCode);
            Assert.Contains("crun create failed", refused.Status.Detail, StringComparison.Ordinal);
            return;
        }

        using var oomStream = Client.StreamOomEvents(new StreamOomEventsRequest(), cancellationToken: Timeout);
        await CreateAsync(id, ["sh", "-c", "dd if=/dev/zero of=/dev/null bs=256M count=1"], new Stdio(), memoryLimit: 32 << 20);
        await Client.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cancellationToken: Timeout);

        Assert.Equal(137u, (await WaitAsync(id)).ExitStatus);
        Assert.True(await oomStream.ResponseStream.MoveNext(Timeout));
        Assert.Equal(id, oomStream.ResponseStream.Current.ContainerId);
        Assert.True(oomStream.ResponseStream.Current.OomKillCount >= 1);
    }
}
