using SevShim.Errors;
using SevShim.Sandbox;
using SevShim.Tasks;

namespace SevShim.Tests.Tasks;

public sealed class TaskServiceTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Create_start_kill_wait_delete_publishes_events_in_containerd_order()
    {
        await using var h = new TaskServiceHarness();
        var createdPid = await h.CreateAsync("c1");
        Assert.Equal(ProcessState.Created, h.Service.State("c1", "").State);
        var pid = await h.Service.StartAsync("c1", "", None);
        Assert.Equal(createdPid, pid);
        Assert.Equal(ProcessState.Running, h.Service.State("c1", "").State);

        var wait = h.Service.WaitAsync("c1", "", None);
        Assert.False(wait.IsCompleted);
        await h.Service.KillAsync("c1", "", 9, false, None);
        var exit = await wait.WaitAsync(Generous);
        Assert.Equal(137u, exit.ExitStatus);
        Assert.NotNull(exit.ExitedAt);
        var state = h.Service.State("c1", "");
        Assert.Equal(ProcessState.Stopped, state.State);
        Assert.Equal(137u, state.ExitStatus);

        var deleted = await h.Service.DeleteAsync("c1", "", None);
        Assert.Equal((pid, 137u, exit.ExitedAt), (deleted.Pid, deleted.ExitStatus, deleted.ExitedAt));
        Assert.Equal(["Create c1", "Start c1", "Exit c1", "Delete c1"], h.Events.Summary);
        Assert.True(h.Sandbox.ShutDown, "the last delete stops the pod sandbox");
        Assert.True(h.Sandbox.Disposed);
    }

    [Fact]
    public async Task Create_with_an_existing_id_is_AlreadyExists()
    {
        await using var h = new TaskServiceHarness();
        await h.CreateAsync("c1");
        var ex = await Assert.ThrowsAsync<ShimException>(() => h.CreateAsync("c1"));
        Assert.Equal(ShimErrorKind.AlreadyExists, ex.Kind);
    }

    [Fact]
    public async Task Unknown_ids_are_NotFound()
    {
        await using var h = new TaskServiceHarness();
        await h.CreateAndStartAsync("c1");
        var calls = new Func<Task>[]
        {
            () => Task.FromResult(h.Service.State("nope", "")),
            () => Task.FromResult(h.Service.State("c1", "nope")),
            () => h.Service.StartAsync("nope", "", None),
            () => h.Service.StartAsync("c1", "nope", None),
            () => h.Service.DeleteAsync("nope", "", None),
            () => h.Service.DeleteAsync("c1", "nope", None),
            () => h.Service.KillAsync("nope", "", 9, false, None),
            () => h.Service.WaitAsync("c1", "nope", None),
            () => h.Service.StatsAsync("nope", None),
            () => h.Service.PidsAsync("nope", None),
            () => h.Service.PauseAsync("nope", None),
            () => h.Service.UpdateAsync("nope", "", new Dictionary<string, string>(), None),
        };
        foreach (var call in calls)
        {
            var ex = await Assert.ThrowsAsync<ShimException>(call);
            Assert.Equal(ShimErrorKind.NotFound, ex.Kind);
        }
    }

    [Fact]
    public async Task Delete_of_a_running_task_is_FailedPrecondition_naming_the_state()
    {
        await using var h = new TaskServiceHarness();
        await h.CreateAndStartAsync("c1");
        var ex = await Assert.ThrowsAsync<ShimException>(() => h.Service.DeleteAsync("c1", "", None));
        Assert.Equal(ShimErrorKind.FailedPrecondition, ex.Kind);
        Assert.Contains("running state", ex.Message, StringComparison.Ordinal);
        Assert.Contains("delete task c1", ex.Message, StringComparison.Ordinal);

        var again = await Assert.ThrowsAsync<ShimException>(() => h.Service.StartAsync("c1", "", None));
        Assert.Equal(ShimErrorKind.FailedPrecondition, again.Kind);
        Assert.Contains("cannot start task c1 in running state", again.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kill_of_a_stopped_task_is_NotFound()
    {
        await using var h = new TaskServiceHarness();
        await h.CreateAndStartAsync("c1");
        await h.Sandbox.ExitAsync("c1", "", 0).WaitAsync(Generous);
        var ex = await Assert.ThrowsAsync<ShimException>(() => h.Service.KillAsync("c1", "", 15, false, None));
        Assert.Equal(ShimErrorKind.NotFound, ex.Kind);
        Assert.Contains("already finished", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exit_that_races_Start_is_published_after_the_start_event()
    {
        await using var h = new TaskServiceHarness();
        h.Factory.Configure = s => s.ExitDuringStart = 3;
        await h.CreateAsync("c1");
        await h.Service.StartAsync("c1", "", None);
        var exit = await h.Service.WaitAsync("c1", "", None).WaitAsync(Generous);
        Assert.Equal(3u, exit.ExitStatus);
        Assert.Equal(["Create c1", "Start c1", "Exit c1"], h.Events.Summary);
        Assert.Equal(ProcessState.Stopped, h.Service.State("c1", "").State);
    }

    [Fact]
    public async Task A_created_task_that_is_killed_stops_without_an_exit_event()
    {
        await using var h = new TaskServiceHarness();
        await h.CreateAsync("c1");
        var wait = h.Service.WaitAsync("c1", "", None);
        await h.Service.KillAsync("c1", "", 9, false, None);
        Assert.Equal(137u, (await wait.WaitAsync(Generous)).ExitStatus);
        await h.Service.DeleteAsync("c1", "", None);
        // containerd: "if the task was never started, delete follows create directly".
        Assert.Equal(["Create c1", "Delete c1"], h.Events.Summary);
    }

    [Fact]
    public async Task Exec_lifecycle_and_unique_exec_ids()
    {
        await using var h = new TaskServiceHarness();
        await h.CreateAndStartAsync("c1");
        await h.ExecAsync("c1", "e1");
        var dup = await Assert.ThrowsAsync<ShimException>(() => h.ExecAsync("c1", "e1"));
        Assert.Equal(ShimErrorKind.AlreadyExists, dup.Kind);
        Assert.Equal(ProcessState.Created, h.Service.State("c1", "e1").State);

        var execPid = await h.Service.StartAsync("c1", "e1", None);
        Assert.Contains(h.Sandbox.Calls, c => c.StartsWith("exec c1 e1 {\"args\":[\"true\"]}", StringComparison.Ordinal));
        Assert.Equal(execPid, h.Service.State("c1", "e1").Pid);
        var busy = await Assert.ThrowsAsync<ShimException>(() => h.Service.DeleteAsync("c1", "e1", None));
        Assert.Equal(ShimErrorKind.FailedPrecondition, busy.Kind);

        await h.Sandbox.ExitAsync("c1", "e1", 5).WaitAsync(Generous);
        Assert.Equal(5u, (await h.Service.WaitAsync("c1", "e1", None)).ExitStatus);
        var deleted = await h.Service.DeleteAsync("c1", "e1", None);
        Assert.Equal((execPid, 5u), (deleted.Pid, deleted.ExitStatus));
        await Assert.ThrowsAsync<ShimException>(() => Task.FromResult(h.Service.State("c1", "e1")));

        // The sandbox is told, so the exec's stdio and the guest's record of it do not pile up.
        Assert.Contains("delete-exec c1 e1", h.Sandbox.Calls);

        // exec ids are per task: a new exec may reuse a deleted one's id.
        await h.ExecAsync("c1", "e1");
        Assert.Equal(["Create c1", "Start c1", "ExecAdded c1/e1", "ExecStarted c1/e1", "Exit c1/e1", "ExecAdded c1/e1"], h.Events.Summary);
        Assert.Equal("e1", h.Events.Events[4].ExecId);
        Assert.Equal(4242u, h.Service.Connect("c1").ShimPid);
    }

    [Fact]
    public async Task Kill_of_an_exec_whose_start_is_in_flight_waits_for_the_start_as_in_runc()
    {
        // The conformance race (issue 14): `ctr task ps` already lists the exec's process while
        // the VM's reply to its start is on the way; `ctr task kill --exec-id` then came in while
        // the exec was still created and was refused "in created state".
        await using var h = new TaskServiceHarness();
        await h.CreateAndStartAsync("c1");
        await h.ExecAsync("c1", "e1");
        h.Sandbox.ExecStartGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = h.Service.StartAsync("c1", "e1", None);
        while ((await h.Service.PidsAsync("c1", None)).Count < 2)
        {
            await Task.Delay(5);
        }

        Assert.Equal(ProcessState.Created, h.Service.State("c1", "e1").State);
        var kill = h.Service.KillAsync("c1", "e1", 15, false, None);
        await Task.Delay(50);
        Assert.False(kill.IsCompleted, "the kill must wait for the start, not fail in created state");
        Assert.DoesNotContain(h.Sandbox.Calls, c => c.StartsWith("signal", StringComparison.Ordinal));

        h.Sandbox.ExecStartGate.SetResult();
        var pid = await start.WaitAsync(Generous);
        await kill.WaitAsync(Generous);
        Assert.Contains("signal c1 'e1' 15 all=False", h.Sandbox.Calls);
        var exit = await h.Service.WaitAsync("c1", "e1", None).WaitAsync(Generous);
        Assert.Equal((pid, 143u), (exit.Pid, exit.ExitStatus));
        Assert.Equal(["Create c1", "Start c1", "ExecAdded c1/e1", "ExecStarted c1/e1", "Exit c1/e1"], h.Events.Summary);
    }

    [Fact]
    public async Task Kill_of_an_exec_that_never_started_is_FailedPrecondition_naming_the_state()
    {
        await using var h = new TaskServiceHarness();
        await h.CreateAndStartAsync("c1");
        await h.ExecAsync("c1", "e1");
        var notStarted = await Assert.ThrowsAsync<ShimException>(() => h.Service.KillAsync("c1", "e1", 9, false, None));
        Assert.Equal(ShimErrorKind.FailedPrecondition, notStarted.Kind);
        Assert.Contains("exec e1 of task c1 in created state", notStarted.Message, StringComparison.Ordinal);

        // A kill waiting on a start that then fails gets the same answer once the start ends.
        h.Sandbox.ExecStartGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Sandbox.ExecStartFailure = new ShimException(ShimErrorKind.Internal, "fake: exec failed");
        var start = h.Service.StartAsync("c1", "e1", None);
        while ((await h.Service.PidsAsync("c1", None)).Count < 2)
        {
            await Task.Delay(5);
        }

        var kill = h.Service.KillAsync("c1", "e1", 9, false, None);
        h.Sandbox.ExecStartGate.SetResult();
        await Assert.ThrowsAsync<ShimException>(() => start.WaitAsync(Generous));
        var failed = await Assert.ThrowsAsync<ShimException>(() => kill.WaitAsync(Generous));
        Assert.Equal(ShimErrorKind.FailedPrecondition, failed.Kind);
        Assert.DoesNotContain(h.Sandbox.Calls, c => c.StartsWith("signal", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Init_exit_is_published_after_the_exits_of_its_execs()
    {
        await using var h = new TaskServiceHarness();
        await h.CreateAndStartAsync("c1");
        await h.ExecAsync("c1", "e1");
        await h.Service.StartAsync("c1", "e1", None);
        await h.ExecAsync("c1", "never");
        var initWait = h.Service.WaitAsync("c1", "", None);
        var neverWait = h.Service.WaitAsync("c1", "never", None);

        // The fake reports the init exit first, then the exec's: the service must reorder.
        await h.Service.KillAsync("c1", "", 9, false, None);
        await initWait.WaitAsync(Generous);
        Assert.Equal(255u, (await neverWait.WaitAsync(Generous)).ExitStatus);
        var summary = h.Events.Summary;
        Assert.Equal("Exit c1", summary[^1]);
        Assert.True(summary.ToList().IndexOf("Exit c1/e1") < summary.Count - 1, string.Join(", ", summary));
        Assert.DoesNotContain("Exit c1/never", summary);
        Assert.Equal(ProcessState.Stopped, h.Service.State("c1", "never").State);
    }

    [Fact]
    public async Task Exec_in_a_stopped_task_is_refused()
    {
        await using var h = new TaskServiceHarness();
        await h.CreateAndStartAsync("c1");
        await h.Sandbox.ExitAsync("c1", "", 0).WaitAsync(Generous);
        var ex = await Assert.ThrowsAsync<ShimException>(() => h.ExecAsync("c1", "e1"));
        Assert.Equal(ShimErrorKind.FailedPrecondition, ex.Kind);
        Assert.Contains("stopped state", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Containers_of_one_pod_share_one_sandbox_that_ends_with_the_last()
    {
        await using var h = new TaskServiceHarness();
        await h.CreateAndStartAsync("pause", sandboxId: "pod1");
        await h.CreateAndStartAsync("app", sandboxId: "pod1");
        Assert.Single(h.Factory.Created);
        Assert.Equal("pod1", h.Sandbox.Request.SandboxId);

        var other = await Assert.ThrowsAsync<ShimException>(() => h.CreateAsync("stranger", sandboxId: "pod2"));
        Assert.Equal(ShimErrorKind.InvalidArgument, other.Kind);
        Assert.Contains("pod1", other.Message, StringComparison.Ordinal);

        await h.Service.KillAsync("app", "", 9, false, None);
        await h.Service.WaitAsync("app", "", None).WaitAsync(Generous);
        await h.Service.DeleteAsync("app", "", None);
        h.Service.Shutdown("app", now: false);
        Assert.False(h.Service.ShutdownRequested.IsCompleted, "Shutdown is ignored while a task remains");
        Assert.False(h.Sandbox.ShutDown);

        await h.Service.KillAsync("pause", "", 9, false, None);
        await h.Service.WaitAsync("pause", "", None).WaitAsync(Generous);
        await h.Service.DeleteAsync("pause", "", None);
        Assert.True(h.Sandbox.ShutDown);

        // The last task goes with the VM: it is not deleted in the guest first (work thrown away).
        Assert.Contains("delete app", h.Sandbox.Calls);
        Assert.DoesNotContain("delete pause", h.Sandbox.Calls);
        h.Service.Shutdown("pause", now: false);
        Assert.True(h.Service.ShutdownRequested.IsCompleted);
        var late = await Assert.ThrowsAsync<ShimException>(() => h.CreateAsync("late"));
        Assert.Equal(ShimErrorKind.FailedPrecondition, late.Kind);
    }

    [Fact]
    public async Task Failed_first_create_stops_the_sandbox_and_leaves_no_task()
    {
        await using var h = new TaskServiceHarness();
        h.Factory.Configure = s => s.CreateFailure = new ShimException(ShimErrorKind.FailedPrecondition, "no VM");
        var ex = await Assert.ThrowsAsync<ShimException>(() => h.CreateAsync("c1"));
        Assert.Equal("no VM", ex.Message);
        Assert.True(h.Sandbox.ShutDown && h.Sandbox.Disposed);
        Assert.Equal(0u, h.Service.Connect("c1").TaskPid);
        Assert.Empty(h.Events.Events);
        h.Service.Shutdown("c1", now: true);
        Assert.True(h.Service.ShutdownRequested.IsCompleted);
    }

    [Fact]
    public async Task Bad_bundles_and_checkpoints_are_refused_with_the_reason()
    {
        await using var h = new TaskServiceHarness();
        var missing = await Assert.ThrowsAsync<ShimException>(() => h.Service.CreateAsync(
            new CreateTaskCommand("c1", "/nonexistent/bundle", [], StdioPaths.None, "", null), None));
        Assert.Equal(ShimErrorKind.InvalidArgument, missing.Kind);
        Assert.Contains("config.json", missing.Message, StringComparison.Ordinal);

        var checkpoint = await Assert.ThrowsAsync<ShimException>(() => h.Service.CreateAsync(h.Command("c2", checkpoint: "/cp"), None));
        Assert.Equal(ShimErrorKind.Unimplemented, checkpoint.Kind);

        await h.CreateAsync("c3");
        var cp = await Assert.ThrowsAsync<ShimException>(() => h.Service.CheckpointAsync("c3", "/cp", None));
        Assert.Equal(ShimErrorKind.Unimplemented, cp.Kind);

        var badId = await Assert.ThrowsAsync<ShimException>(() => h.CreateAsync("a/b"));
        Assert.Equal(ShimErrorKind.InvalidArgument, badId.Kind);
    }

    [Fact]
    public async Task Pause_and_resume_move_through_pausing_and_publish_events()
    {
        await using var h = new TaskServiceHarness();
        await h.CreateAsync("c1");
        var early = await Assert.ThrowsAsync<ShimException>(() => h.Service.PauseAsync("c1", None));
        Assert.Contains("cannot pause task c1 in created state", early.Message, StringComparison.Ordinal);
        await h.Service.StartAsync("c1", "", None);

        await h.Service.PauseAsync("c1", None);
        Assert.Equal(ProcessState.Paused, h.Service.State("c1", "").State);
        var twice = await Assert.ThrowsAsync<ShimException>(() => h.Service.PauseAsync("c1", None));
        Assert.Equal(ShimErrorKind.FailedPrecondition, twice.Kind);
        await h.Service.ResumeAsync("c1", None);
        Assert.Equal(ProcessState.Running, h.Service.State("c1", "").State);
        var notPaused = await Assert.ThrowsAsync<ShimException>(() => h.Service.ResumeAsync("c1", None));
        Assert.Contains("running state", notPaused.Message, StringComparison.Ordinal);
        Assert.Equal(["Create c1", "Start c1", "Paused c1", "Resumed c1"], h.Events.Summary);
    }

    [Fact]
    public async Task Io_resize_update_pids_stats_and_oom_reach_the_sandbox()
    {
        await using var h = new TaskServiceHarness();
        var pid = await h.CreateAndStartAsync("c1");
        await h.Service.CloseIOAsync("c1", "", stdin: true, None);
        await h.Service.ResizePtyAsync("c1", "", 80, 24, None);
        await h.Service.UpdateAsync("c1", "{\"cpu\":{}}", new Dictionary<string, string>(), None);
        Assert.Contains("closestdin c1 ''", h.Sandbox.Calls);
        Assert.Contains("resize c1 '' 80x24", h.Sandbox.Calls);
        Assert.Contains("update c1 {\"cpu\":{}}", h.Sandbox.Calls);
        Assert.Equal([pid], await h.Service.PidsAsync("c1", None));

        var none = await Assert.ThrowsAsync<ShimException>(() => h.Service.StatsAsync("c1", None));
        Assert.Equal(ShimErrorKind.NotFound, none.Kind);
        h.Sandbox.Stats = new ContainerStats(new PidsStats(3, 0), null, null, null, []);
        Assert.Equal(3u, (await h.Service.StatsAsync("c1", None)).Pids!.Current);

        await h.Sandbox.OomAsync("c1").WaitAsync(Generous);
        Assert.Equal("Oom c1", h.Events.Summary[^1]);
        var connect = h.Service.Connect("c1");
        Assert.Equal((4242u, pid, "test"), (connect.ShimPid, connect.TaskPid, connect.Version));
    }
}
