using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Faults;

/// <summary>Steps the fault tests share.</summary>
public static class FaultScenarios
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(4);

    /// <summary>`ctr run -d` of a long sleep; returns once `ctr task ls` shows it RUNNING.</summary>
    public static async Task RunSleeperAsync(CtrContainerd c, string runtime, string id)
    {
        ArgumentNullException.ThrowIfNull(c);
        (await c.CtrAsync(Long, [.. c.RunArgs(runtime, id, ["-d"], "sleep", "100000")])).EnsureSuccess();
        Assert.Equal("RUNNING", await c.TaskStatusAsync(id));
    }

    /// <summary>Waits until the task is no longer RUNNING (STOPPED or gone) and returns the last status seen.</summary>
    public static async Task<string?> WaitNotRunningAsync(CtrContainerd c, string id)
    {
        ArgumentNullException.ThrowIfNull(c);
        string? status = "RUNNING";
        await CtrWait.UntilAsync(async () => (status = await c.TaskStatusAsync(id)) != "RUNNING", TimeSpan.FromMinutes(2));
        return status;
    }

    /// <summary>`ctr task exec` of echo; after a restart this proves containerd talks to the shim again.</summary>
    public static async Task<CtrResult> ExecEchoAsync(CtrContainerd c, string id, string execId)
    {
        ArgumentNullException.ThrowIfNull(c);
        return await c.CtrAsync(TimeSpan.FromMinutes(2), "task", "exec", "--fifo-dir", c.FifoDir, "--exec-id", execId, id, "echo", "alive");
    }

    /// <summary>Restarts containerd under a running task; then it must list the task RUNNING and exec in it.</summary>
    public static async Task RestartKeepsTaskAsync(CtrFixture fixture, ContainerdBuild build, string runtime, string name)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        var c = await fixture.GetAsync(build);
        var id = c.NewId(name);
        try
        {
            await CtrDiagnostics.RunAsync(c, [id], async () =>
            {
                await RunSleeperAsync(c, runtime, id);
                var before = await ExecEchoAsync(c, id, "before");
                Assert.True(before.ExitCode == 0 && before.Stdout == "alive\n", before.Describe());

                await c.RestartAsync();

                string? status = null;
                await CtrWait.UntilAsync(async () => (status = await c.TaskStatusAsync(id)) == "RUNNING", TimeSpan.FromMinutes(2));
                Assert.True(status == "RUNNING", $"after the restart ctr task ls shows {status ?? "no task"} for {id}");
                var after = await ExecEchoAsync(c, id, "after");
                Assert.True(after.ExitCode == 0 && after.Stdout == "alive\n", "exec after the containerd restart: " + after.Describe());
            });
        }
        finally
        {
            await c.RemoveContainerAsync(id);
        }
    }
}
