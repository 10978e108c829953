using System.Diagnostics;
using Serilog;
using SevShim.Errors;
using SevShim.Rootfs;
using SevShim.Sandbox;
using TestSupport;
using Xunit.Abstractions;

namespace SevShim.IntegrationTests.Vm;

/// <summary>
/// What the pod VM does when QEMU dies under it, and when the guest never comes up: every
/// process gets an exit (255), the guest console's tail reaches the log or the error, and
/// nothing is left on the host.
/// </summary>
public sealed class QemuSandboxFaultE2ETests(ITestOutputHelper output) : IDisposable
{
    private readonly VmScratch _dir = new("sevshim-vmfault-");

    public void Dispose() => _dir.Dispose();

    [E2EFact(Requirement.Root, Requirement.Qemu, Requirement.GuestImage)]
    public async Task QemuDeathEndsEveryProcessWith255AndQuotesTheConsole()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Qemu, Requirement.GuestImage);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        var ct = deadline.Token;
        var sink = new TestOutputSink(output);
        using var log = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(sink).CreateLogger();
        var bundle = Directory.CreateDirectory(Path.Combine(_dir.FullName, "bundle")).FullName;
        GuestFixture.BusyboxRootfs(bundle);
        var data = Directory.CreateDirectory(Path.Combine(_dir.FullName, "data")).FullName;
        var stdout = Path.Combine(_dir.FullName, "c1-stdout");
        var options = new QemuSandboxOptions { StateRoot = Path.Combine(_dir.FullName, "state") };
        var sandbox = await QemuSandbox.BootAsync("fault-" + Guid.NewGuid().ToString("N")[..8], GuestFixture.Config(), options, log, ct);
        var stateDir = sandbox.Layout.Directory;
        try
        {
            var spec = GuestFixture.Spec("echo started; exec /bin/busybox sleep 600", data);
            await sandbox.CreateContainerAsync(new ContainerCreateRequest("c1", bundle, spec, [], new StdioPaths(string.Empty, stdout, string.Empty, false)), ct);
            await sandbox.StartContainerAsync("c1", ct);
            const string Exec = """{"args":["/bin/busybox","sleep","600"],"env":["PATH=/bin"],"cwd":"/"}""";
            await sandbox.StartExecAsync(new ExecRequest("c1", "e1", Exec, StdioPaths.None), ct);

            using (var qemu = Process.GetProcessById(sandbox.QemuPid))
            {
                qemu.Kill();
            }

            var exits = new List<ProcessExited>();
            await foreach (var e in sandbox.Events.ReadAllAsync(ct))
            {
                if (e is ProcessExited exit)
                {
                    exits.Add(exit);
                    if (exits.Count == 2)
                    {
                        break;
                    }
                }
            }

            Assert.Equal(["c1/", "c1/e1"], exits.Select(x => $"{x.ContainerId}/{x.ExecId}").Order().ToList());
            Assert.All(exits, x => Assert.Equal(255u, x.ExitStatus));
            Assert.Contains(sink.Messages, m => m.Contains("QEMU exited unexpectedly", StringComparison.Ordinal) && m.Contains("guest console tail", StringComparison.Ordinal));
            await Assert.ThrowsAsync<ShimException>(() => sandbox.CreateContainerAsync(
                new ContainerCreateRequest("c2", bundle, spec, [], StdioPaths.None), ct));

            await sandbox.DeleteContainerAsync("c1", ct);
            Assert.Empty(MountTable.MountPointsUnder(stateDir));
        }
        finally
        {
            await sandbox.ShutdownAsync(ct);
            await sandbox.DisposeAsync();
        }

        Assert.False(Directory.Exists(stateDir));
        Assert.True(sandbox.Events.Completion.IsCompleted);
    }

    [E2EFact(Requirement.Root, Requirement.Qemu, Requirement.GuestImage)]
    public async Task AGuestThatNeverBootsFailsWithTheConsoleTailAndLeavesNothing()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Qemu, Requirement.GuestImage);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        using var log = new LoggerConfiguration().WriteTo.Sink(new TestOutputSink(output)).CreateLogger();
        // Not an initramfs: the kernel finds no root and panics; panic=-1 with -no-reboot ends QEMU.
        var image = Directory.CreateDirectory(Path.Combine(_dir.FullName, "image")).FullName;
        File.Copy(Path.Combine(RepoPaths.GuestImageDir, "vmlinuz"), Path.Combine(image, "vmlinuz"));
        File.Copy(Path.Combine(RepoPaths.GuestImageDir, "manifest.json"), Path.Combine(image, "manifest.json"));
        File.WriteAllText(Path.Combine(image, "initrd.img"), "this is not an initramfs\n");
        var config = GuestFixture.Config() with
        {
            KernelPath = Path.Combine(image, "vmlinuz"),
            InitrdPath = Path.Combine(image, "initrd.img"),
        };
        var options = new QemuSandboxOptions { StateRoot = Path.Combine(_dir.FullName, "state") };

        var ex = await Assert.ThrowsAsync<ShimException>(() => QemuSandbox.BootAsync("noboot", config, options, log, deadline.Token));

        Assert.Equal(ShimErrorKind.Unavailable, ex.Kind);
        Assert.Contains("guest console", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Kernel panic", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(options.StateRoot, "noboot")));
    }
}
