using Serilog;
using SevShim.Rootfs;
using SevShim.Sandbox;
using TestSupport;
using Xunit.Abstractions;

namespace SevShim.IntegrationTests.Vm;

/// <summary>
/// Drives <see cref="QemuSandbox"/> directly (no containerd): boots the real guest image under
/// TCG, runs a busybox container from a rootfs made here with a read-only bind mount, reads its
/// output from files standing in for containerd's FIFOs, feeds its stdin through a real FIFO,
/// runs an exec, then shuts down and checks that nothing is left (QEMU, state folder, mounts).
/// </summary>
public sealed class QemuSandboxE2ETests(ITestOutputHelper output) : IDisposable
{
    private readonly VmScratch _dir = new("sevshim-vm-");

    public void Dispose() => _dir.Dispose();

    [E2EFact(Requirement.Root, Requirement.Qemu, Requirement.GuestImage)]
    public async Task ContainerAndExecRunInThePodVmAndShutdownLeavesNothing()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Qemu, Requirement.GuestImage);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        var ct = deadline.Token;
        using var log = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(new TestOutputSink(output)).CreateLogger();
        var bundle = Directory.CreateDirectory(Path.Combine(_dir.FullName, "bundle")).FullName;
        GuestFixture.BusyboxRootfs(bundle);
        var data = Directory.CreateDirectory(Path.Combine(_dir.FullName, "data")).FullName;
        File.WriteAllText(Path.Combine(data, "msg"), "from the host share\n");
        var io = Directory.CreateDirectory(Path.Combine(_dir.FullName, "io")).FullName;
        var stdin = GuestFixture.Fifo(Path.Combine(io, "c1-stdin"));
        var stdout = Path.Combine(io, "c1-stdout");
        var stderr = Path.Combine(io, "c1-stderr");
        var options = new QemuSandboxOptions { StateRoot = Path.Combine(_dir.FullName, "state") };
        var sandboxId = "e2e-" + Guid.NewGuid().ToString("N")[..8];

        var sandbox = await QemuSandbox.BootAsync(sandboxId, GuestFixture.Config(), options, log, ct);
        var stateDir = sandbox.Layout.Directory;
        var qemuPid = sandbox.QemuPid;
        try
        {
            Assert.True(Directory.Exists(stateDir));
            const string Script = "echo hello; cat /data/msg; echo oops >&2; read line; echo got $line; exit 7";
            var spec = GuestFixture.Spec(Script, data);
            var pid = await sandbox.CreateContainerAsync(
                new ContainerCreateRequest("c1", bundle, spec, [], new StdioPaths(stdin, stdout, stderr, false)), ct);
            Assert.True(pid > 0);
            Assert.NotEmpty(MountTable.MountPointsUnder(stateDir));
            await sandbox.StartContainerAsync("c1", ct);

            const string Exec = """{"args":["/bin/busybox","sh","-c","echo exec-out; exit 3"],"env":["PATH=/bin"],"cwd":"/","user":{"uid":0,"gid":0}}""";
            var execOut = Path.Combine(io, "e1-stdout");
            await sandbox.StartExecAsync(new ExecRequest("c1", "e1", Exec, new StdioPaths(string.Empty, execOut, string.Empty, false)), ct);
            var execExit = await SandboxExits.NextAsync(sandbox.Events, "c1", "e1", ct);
            Assert.Equal(3u, execExit.ExitStatus);
            // The exit is published only after the output was drained to the FIFO (here: file).
            Assert.Equal("exec-out\n", File.ReadAllText(execOut));

            // A deleted exec's id can be used again: the shim and the guest both forgot it.
            await sandbox.DeleteExecAsync("c1", "e1", ct);
            var againOut = Path.Combine(io, "e1-again-stdout");
            await sandbox.StartExecAsync(new ExecRequest("c1", "e1", Exec, new StdioPaths(string.Empty, againOut, string.Empty, false)), ct);
            Assert.Equal(3u, (await SandboxExits.NextAsync(sandbox.Events, "c1", "e1", ct)).ExitStatus);
            Assert.Equal("exec-out\n", File.ReadAllText(againOut));
            await sandbox.DeleteExecAsync("c1", "e1", ct);

            // Terminal mode: one output stream (stdout) from the guest's pty.
            const string Tty = """{"args":["/bin/busybox","sh","-c","test -t 0 && test -t 1 && echo on-a-tty"],"env":["PATH=/bin"],"cwd":"/"}""";
            var ttyOut = Path.Combine(io, "e2-stdout");
            await sandbox.StartExecAsync(new ExecRequest("c1", "e2", Tty, new StdioPaths(string.Empty, ttyOut, string.Empty, true)), ct);
            Assert.Equal(0u, (await SandboxExits.NextAsync(sandbox.Events, "c1", "e2", ct)).ExitStatus);
            Assert.Contains("on-a-tty", File.ReadAllText(ttyOut), StringComparison.Ordinal);

            await using (var writer = new FileStream(stdin, FileMode.Open, FileAccess.Write))
            {
                await writer.WriteAsync("bye\n"u8.ToArray(), ct);
            }

            await sandbox.CloseStdinAsync("c1", string.Empty, ct);
            var initExit = await SandboxExits.NextAsync(sandbox.Events, "c1", string.Empty, ct);
            Assert.Equal(7u, initExit.ExitStatus);
            Assert.Equal("hello\nfrom the host share\ngot bye\n", File.ReadAllText(stdout));
            Assert.Equal("oops\n", File.ReadAllText(stderr));

            await sandbox.DeleteContainerAsync("c1", ct);
            Assert.Empty(MountTable.MountPointsUnder(stateDir));
        }
        finally
        {
            await sandbox.ShutdownAsync(ct);
            await sandbox.DisposeAsync();
        }

        Assert.True(sandbox.QemuExited.IsCompleted);
        Assert.False(Directory.Exists($"/proc/{qemuPid}"), $"QEMU (pid {qemuPid}) still exists after shutdown");
        Assert.False(Directory.Exists(stateDir), $"{stateDir} still exists after shutdown");
        Assert.Empty(MountTable.MountPointsUnder(_dir.FullName));
        Assert.True(sandbox.Events.Completion.IsCompleted);
        Assert.Equal("from the host share\n", File.ReadAllText(Path.Combine(data, "msg")));
    }
}
