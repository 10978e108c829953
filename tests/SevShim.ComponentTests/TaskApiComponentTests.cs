using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using SevShim.Protos.Cgroups.V2;
using SevShim.Protos.Containerd.Events;
using SevShim.Protos.Containerd.TaskV2;
using SevShim.Protos.Containerd.V1Types;
using SevShim.Sandbox;
using SevShim.Tasks;
using Ttrpc;

namespace SevShim.ComponentTests;

/// <summary>
/// The task API over a real ttrpc socket, driven with containerd's messages, the way ctr run /
/// ctr task exec use it (SHIM-PROTOCOL.md 2.3), with events checked at a fake containerd.
/// </summary>
public sealed class TaskApiComponentTests
{
    private static Any ProcessSpec(string json) => new()
    {
        TypeUrl = "types.containerd.io/opencontainers/runtime-spec/1/Process",
        Value = ByteString.CopyFromUtf8(json),
    };

    [Fact]
    public async Task Create_start_exec_kill_wait_delete_shutdown_over_ttrpc()
    {
        await using var h = new ShimComponentHarness();
        var created = await h.CallAsync("Create", new CreateTaskRequest { Id = "c1", Bundle = h.Bundle("c1"), Stdout = "/fifo/c1-stdout" }, CreateTaskResponse.Parser);
        Assert.NotEqual(0u, created.Pid);
        var connect = await h.CallAsync("Connect", new ConnectRequest { Id = "c1" }, ConnectResponse.Parser);
        Assert.Equal((777u, created.Pid, "component"), (connect.ShimPid, connect.TaskPid, connect.Version));
        var started = await h.CallAsync("Start", new StartRequest { Id = "c1" }, StartResponse.Parser);
        Assert.Equal(created.Pid, started.Pid);

        await h.CallAsync("Exec", new ExecProcessRequest { Id = "c1", ExecId = "e1", Spec = ProcessSpec("{\"args\":[\"sh\"]}") }, Empty.Parser);
        var execPid = (await h.CallAsync("Start", new StartRequest { Id = "c1", ExecId = "e1" }, StartResponse.Parser)).Pid;
        var execState = await h.CallAsync("State", new StateRequest { Id = "c1", ExecId = "e1" }, StateResponse.Parser);
        Assert.Equal((Status.Running, execPid, "e1"), (execState.Status, execState.Pid, execState.ExecId));
        Assert.Contains(h.Factory.Last.Calls, c => c == "exec c1 e1 {\"args\":[\"sh\"]}");

        var execWait = h.CallAsync("Wait", new WaitRequest { Id = "c1", ExecId = "e1" }, WaitResponse.Parser);
        await h.CallAsync("Kill", new KillRequest { Id = "c1", ExecId = "e1", Signal = 9 }, Empty.Parser);
        Assert.Equal(137u, (await execWait.WaitAsync(ShimComponentHarness.Patience)).ExitStatus);
        var execDeleted = await h.CallAsync("Delete", new DeleteRequest { Id = "c1", ExecId = "e1" }, DeleteResponse.Parser);
        Assert.Equal((execPid, 137u), (execDeleted.Pid, execDeleted.ExitStatus));

        var wait = h.CallAsync("Wait", new WaitRequest { Id = "c1" }, WaitResponse.Parser);
        await h.CallAsync("Kill", new KillRequest { Id = "c1", Signal = 15, All = true }, Empty.Parser);
        var exited = await wait.WaitAsync(ShimComponentHarness.Patience);
        Assert.Equal(143u, exited.ExitStatus);
        Assert.NotNull(exited.ExitedAt);
        var state = await h.CallAsync("State", new StateRequest { Id = "c1" }, StateResponse.Parser);
        Assert.Equal((Status.Stopped, 143u, "/fifo/c1-stdout"), (state.Status, state.ExitStatus, state.Stdout));

        var deleted = await h.CallAsync("Delete", new DeleteRequest { Id = "c1" }, DeleteResponse.Parser);
        Assert.Equal((created.Pid, 143u, exited.ExitedAt), (deleted.Pid, deleted.ExitStatus, deleted.ExitedAt));
        await h.CallAsync("Shutdown", new ShutdownRequest { Id = "c1" }, Empty.Parser);
        await h.Service.ShutdownRequested.WaitAsync(ShimComponentHarness.Patience);

        var events = await h.EventsAsync(7);
        Assert.Equal(
            ["/tasks/create", "/tasks/start", "/tasks/exec-added", "/tasks/exec-started", "/tasks/exit", "/tasks/exit", "/tasks/delete"],
            events.Select(e => e.Topic));
        Assert.All(events, e => Assert.Equal("sevtest", e.Namespace));
        Assert.All(events, e => Assert.DoesNotContain("/", e.Event.TypeUrl, StringComparison.Ordinal));
        Assert.Equal("e1", TypeUrls.Unpack(events[4].Event, TaskExit.Parser).Id);
        var initExit = TypeUrls.Unpack(events[5].Event, TaskExit.Parser);
        Assert.Equal(("c1", "c1", 143u), (initExit.ContainerId, initExit.Id, initExit.ExitStatus));
        Assert.Equal(created.Pid, TypeUrls.Unpack(events[6].Event, TaskDelete.Parser).Pid);
    }

    [Fact]
    public async Task Errors_reach_containerd_with_the_right_status_codes()
    {
        await using var h = new ShimComponentHarness();
        var notFound = await h.CallFailsAsync("State", new StateRequest { Id = "ghost" }, StateResponse.Parser);
        Assert.Equal(TtrpcStatusCode.NotFound, notFound.Code);
        Assert.Contains("ghost", notFound.Message, StringComparison.Ordinal);
        var deleteGhost = await h.CallFailsAsync("Delete", new DeleteRequest { Id = "ghost" }, DeleteResponse.Parser);
        Assert.Equal(TtrpcStatusCode.NotFound, deleteGhost.Code);

        await h.CallAsync("Create", new CreateTaskRequest { Id = "c1", Bundle = h.Bundle("c1") }, CreateTaskResponse.Parser);
        var duplicate = await h.CallFailsAsync("Create", new CreateTaskRequest { Id = "c1", Bundle = h.Bundle("c1") }, CreateTaskResponse.Parser);
        Assert.Equal(TtrpcStatusCode.AlreadyExists, duplicate.Code);
        await h.CallAsync("Start", new StartRequest { Id = "c1" }, StartResponse.Parser);

        var running = await h.CallFailsAsync("Delete", new DeleteRequest { Id = "c1" }, DeleteResponse.Parser);
        Assert.Equal(TtrpcStatusCode.FailedPrecondition, running.Code);
        Assert.Contains("running state", running.Message, StringComparison.Ordinal);

        var checkpoint = await h.CallFailsAsync("Checkpoint", new CheckpointTaskRequest { Id = "c1", Path = "/cp" }, Empty.Parser);
        Assert.Equal(TtrpcStatusCode.Unimplemented, checkpoint.Code);

        var badSpec = await h.CallFailsAsync("Exec", new ExecProcessRequest { Id = "c1", ExecId = "e1", Spec = new Any { TypeUrl = "x.Y", Value = ByteString.CopyFromUtf8("{}") } }, Empty.Parser);
        Assert.Equal(TtrpcStatusCode.InvalidArgument, badSpec.Code);

        var unknownExec = await h.CallFailsAsync("Kill", new KillRequest { Id = "c1", ExecId = "nope", Signal = 9 }, Empty.Parser);
        Assert.Equal(TtrpcStatusCode.NotFound, unknownExec.Code);

        // Connect never fails, whatever the id (containerd calls it on reconnect).
        Assert.Equal(0u, (await h.CallAsync("Connect", new ConnectRequest { Id = "ghost" }, ConnectResponse.Parser)).TaskPid);
    }

    [Fact]
    public async Task Stats_are_cgroups_v2_metrics_or_NotFound_and_pids_are_listed()
    {
        await using var h = new ShimComponentHarness();
        var pid = (await h.CallAsync("Create", new CreateTaskRequest { Id = "c1", Bundle = h.Bundle("c1") }, CreateTaskResponse.Parser)).Pid;
        var none = await h.CallFailsAsync("Stats", new StatsRequest { Id = "c1" }, StatsResponse.Parser);
        Assert.Equal(TtrpcStatusCode.NotFound, none.Code);

        h.Factory.Last.Stats = new ContainerStats(
            new PidsStats(2, 100),
            new CpuStats(1000, 600, 400, 0, 0, 0),
            new MemoryStats(4096, 8192, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
            new MemoryEventStats(0, 0, 0, 1, 1),
            [new IoDeviceStats(8, 0, 10, 20, 1, 2)]);
        var stats = await h.CallAsync("Stats", new StatsRequest { Id = "c1" }, StatsResponse.Parser);
        Assert.Equal("io.containerd.cgroups.v2.Metrics", stats.Stats.TypeUrl);
        var metrics = TypeUrls.Unpack(stats.Stats, Metrics.Parser);
        Assert.Equal((2ul, 100ul, 1000ul, 4096ul, 8192ul, 1ul), (metrics.Pids.Current, metrics.Pids.Limit, metrics.Cpu.UsageUsec, metrics.Memory.Usage, metrics.Memory.UsageLimit, metrics.MemoryEvents.OomKill));
        Assert.Equal(20ul, metrics.Io.Usage.Single().Wbytes);

        var pids = await h.CallAsync("Pids", new PidsRequest { Id = "c1" }, PidsResponse.Parser);
        Assert.Equal([pid], pids.Processes.Select(p => p.Pid));
    }

    [Fact]
    public async Task The_v3_service_name_serves_the_same_handlers()
    {
        await using var h = new ShimComponentHarness();
        var created = await h.CallAsync("Create", new CreateTaskRequest { Id = "c1", Bundle = h.Bundle("c1") }, CreateTaskResponse.Parser, TaskTtrpcAdapter.ServiceV3);
        var state = await h.CallAsync("State", new StateRequest { Id = "c1" }, StateResponse.Parser, TaskTtrpcAdapter.ServiceV3);
        Assert.Equal((Status.Created, created.Pid), (state.Status, state.Pid));
        var pause = await Assert.ThrowsAsync<TtrpcException>(
            () => h.CallAsync("Pause", new PauseRequest { Id = "c1" }, Empty.Parser, TaskTtrpcAdapter.ServiceV3));
        Assert.Equal(TtrpcStatusCode.FailedPrecondition, pause.Code);
        Assert.Contains("created state", pause.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_survive_a_containerd_restart_in_order()
    {
        await using var h = new ShimComponentHarness();
        await h.CallAsync("Create", new CreateTaskRequest { Id = "c1", Bundle = h.Bundle("c1") }, CreateTaskResponse.Parser);
        Assert.Equal("/tasks/create", (await h.EventsAsync(1)).Single().Topic);

        // containerd goes away (its socket too): the publisher's cached connection breaks.
        await h.Forward.DisposeAsync();
        await h.CallAsync("Start", new StartRequest { Id = "c1" }, StartResponse.Parser);
        await h.CallAsync("Pause", new PauseRequest { Id = "c1" }, Empty.Parser);

        // containerd comes back on the same path; the queued events arrive, in order.
        h.Forward = new FakeForwardServer(h.EventsSocket, h.Received);
        var events = await h.EventsAsync(2);
        Assert.Equal(["/tasks/start", "/tasks/paused"], events.Select(e => e.Topic));
    }
}
