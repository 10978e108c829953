using Serilog;
using SevShim.Errors;
using SevShim.Rootfs;
using SevShim.Sandbox;
using TestSupport;
using Xunit.Abstractions;

namespace SevShim.IntegrationTests.Vm;

/// <summary>
/// Many container and exec lifecycles in one pod VM, each agent call under its own deadline, so
/// that an agent call that never answers fails here naming the call instead of hanging a suite.
/// The cycle count is SEVSHIM_STRESS_CYCLES (default 6: CI time; a hunt for rare hangs uses more).
/// </summary>
public sealed class AgentCallStressE2ETests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(90);
    private readonly VmScratch _dir = new("sevshim-stress-");

    // Exits read while waiting for another process's exit are kept for their own wait.
    private readonly List<ProcessExited> _seen = [];

    public void Dispose() => _dir.Dispose();

    [E2EFact(Requirement.Root, Requirement.Qemu, Requirement.GuestImage)]
    public async Task RepeatedCreateStartExecDeleteAnswerEveryCall()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Qemu, Requirement.GuestImage);
        var cycles = int.TryParse(Environment.GetEnvironmentVariable("SEVSHIM_STRESS_CYCLES"), out var n) && n > 0 ? n : 6;
        using var log = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(new TestOutputSink(output)).CreateLogger();
        var bundle = Directory.CreateDirectory(Path.Combine(_dir.FullName, "bundle")).FullName;
        GuestFixture.BusyboxRootfs(bundle);
        var data = Directory.CreateDirectory(Path.Combine(_dir.FullName, "data")).FullName;
        File.WriteAllText(Path.Combine(data, "msg"), "from the host share\n");
        var io = Directory.CreateDirectory(Path.Combine(_dir.FullName, "io")).FullName;
        var options = new QemuSandboxOptions { StateRoot = Path.Combine(_dir.FullName, "state") };
        using var bootDeadline = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        // The agent logs each call and each reaped pid at debug level: a failure quotes the story.
        var config = GuestFixture.Config() with { AgentLogLevel = "debug" };
        var sandbox = await QemuSandbox.BootAsync("stress-" + Guid.NewGuid().ToString("N")[..8], config, options, log, bootDeadline.Token);
        var current = string.Empty;
        try
        {
            for (var i = 0; i < cycles; i++)
            {
                var id = $"c{i}";
                current = id;
                var stdout = Path.Combine(io, id + "-stdout");
                // The init ends only once the stop exec is gone (reaped): when a pid namespace's
                // init exits, the kernel SIGKILLs what is left in it, so an init that ended as soon
                // as the marker appeared raced the stop exec's own exit (137 once in CI's runs).
                var spec = GuestFixture.Spec(
                    $"echo start; while [ ! -e /tmp/stop-{id} ]; do sleep 0.1; done; p=$(cat /tmp/stop-{id}); while [ -e /proc/$p ]; do sleep 0.1; done; echo done",
                    data);
                await Within($"cycle {i}: create", ct => sandbox.CreateContainerAsync(
                    new ContainerCreateRequest(id, bundle, spec, [], new StdioPaths(string.Empty, stdout, string.Empty, false)), ct));
                await Within($"cycle {i}: start", ct => sandbox.StartContainerAsync(id, ct));
                for (var e = 0; e < 3; e++)
                {
                    var execId = $"e{e}";
                    var execOut = Path.Combine(io, $"{id}-{execId}-stdout");
                    const string Exec = """{"args":["/bin/busybox","sh","-c","echo exec-out; exit 3"],"env":["PATH=/bin"],"cwd":"/","user":{"uid":0,"gid":0}}""";
                    await Within($"cycle {i}: exec {execId} start", ct => sandbox.StartExecAsync(new ExecRequest(id, execId, Exec, new StdioPaths(string.Empty, execOut, string.Empty, false)), ct));
                    var exit = await Within($"cycle {i}: exec {execId} exit", ct => SandboxExits.NextAsync(sandbox.Events, id, execId, ct, _seen));
                    Assert.Equal(3u, exit.ExitStatus);
                    Assert.Equal("exec-out\n", File.ReadAllText(execOut));
                }

                // The rootfs is shared by every cycle's container: each one waits for its own marker.
                // The marker holds the stop exec's pid, written whole (rename) so the init never reads it half-made.
                var stop = $$$"""{"args":["/bin/busybox","sh","-c","echo $$ > /tmp/stop-{{{id}}}.new && mv /tmp/stop-{{{id}}}.new /tmp/stop-{{{id}}}"],"env":["PATH=/bin"],"cwd":"/","user":{"uid":0,"gid":0}}""";
                await Within($"cycle {i}: stop exec start", ct => sandbox.StartExecAsync(new ExecRequest(id, "stop", stop, new StdioPaths(string.Empty, string.Empty, string.Empty, false)), ct));
                var initExit = await Within($"cycle {i}: init exit", ct => SandboxExits.NextAsync(sandbox.Events, id, string.Empty, ct, _seen));
                Assert.Equal(0u, initExit.ExitStatus);
                Assert.Equal(0u, (await Within($"cycle {i}: stop exec exit", ct => SandboxExits.NextAsync(sandbox.Events, id, "stop", ct, _seen))).ExitStatus);
                Assert.Equal("start\ndone\n", File.ReadAllText(stdout));
                await Within($"cycle {i}: delete", ct => sandbox.DeleteContainerAsync(id, ct));
                output.WriteLine($"cycle {i} done");
            }

            output.WriteLine("guest console, first lines:\n" + string.Join('\n', File.ReadLines(sandbox.Layout.ConsoleLog).Take(8)));
        }
        catch
        {
            // Is the agent still answering? Then the stuck part is the process, not the link.
            try
            {
                using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                var pids = await sandbox.ListPidsAsync(current, probe.Token);
                output.WriteLine($"agent still answers: {current} has pids {string.Join(" ", pids)}");
                var psOut = Path.Combine(io, "ps-stdout");
                const string Ps = """{"args":["/bin/busybox","sh","-c","for d in /proc/[0-9]*; do echo $(cat $d/stat); done"],"env":["PATH=/bin"],"cwd":"/","user":{"uid":0,"gid":0}}""";
                await sandbox.StartExecAsync(new ExecRequest(current, "diag-ps", Ps, new StdioPaths(string.Empty, psOut, string.Empty, false)), probe.Token);
                await Task.Delay(TimeSpan.FromSeconds(5), probe.Token);
                output.WriteLine("processes in the container (pid comm state ppid ...):\n" + File.ReadAllText(psOut));
            }
            catch (Exception e) when (e is OperationCanceledException or ShimException)
            {
                output.WriteLine("agent does not answer ListProcesses: " + e.Message);
            }

            // The guest's side of the story: the agent logs every call to the console.
            output.WriteLine("guest console:\n" + File.ReadAllText(sandbox.Layout.ConsoleLog));
            throw;
        }
        finally
        {
            using var shutdown = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await sandbox.ShutdownAsync(shutdown.Token);
            await sandbox.DisposeAsync();
        }

        Assert.True(sandbox.QemuExited.IsCompleted);
    }

    private static async Task<T> Within<T>(string what, Func<CancellationToken, Task<T>> call)
    {
        using var deadline = new CancellationTokenSource(CallDeadline);
        try
        {
            return await call(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"{what}: no answer within {CallDeadline.TotalSeconds:0} s");
        }
    }

    private static Task<bool> Within(string what, Func<CancellationToken, Task> call) =>
        Within<bool>(what, async ct =>
        {
            await call(ct);
            return true;
        });
}
