using Serilog;
using SevShim.Config;
using SevShim.Rootfs;
using SevShim.Sandbox;
using TestSupport;
using Xunit.Abstractions;

namespace SevShim.IntegrationTests.Vm;

/// <summary>
/// rootfs.mode = "block" with confidential.mode = "none" under TCG: the container's rootfs reaches
/// the guest as an ext4 image hot-plugged on the virtio-scsi controller, not through the 9p share;
/// the container's writes land in the image, not in the host's rootfs; delete detaches and
/// removes the image, shutdown leaves nothing.
/// </summary>
public sealed class BlockRootfsE2ETests(ITestOutputHelper output) : IDisposable
{
    private readonly VmScratch _dir = new("sevshim-block-");

    public void Dispose() => _dir.Dispose();

    [E2EFact(Requirement.Root, Requirement.Qemu, Requirement.GuestImage)]
    public async Task TheRootfsIsAnExt4ScsiDiskAndWritesStayInIt()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Qemu, Requirement.GuestImage);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        var ct = deadline.Token;
        using var log = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(new TestOutputSink(output)).CreateLogger();
        var bundle = Directory.CreateDirectory(Path.Combine(_dir.FullName, "bundle")).FullName;
        var rootfs = GuestFixture.BusyboxRootfs(bundle);
        File.WriteAllText(Path.Combine(rootfs, "etc", "image-file"), "from the image\n");
        var data = Directory.CreateDirectory(Path.Combine(_dir.FullName, "data")).FullName;
        var io = Directory.CreateDirectory(Path.Combine(_dir.FullName, "io")).FullName;
        var stdout = Path.Combine(io, "c1-stdout");
        var stderr = Path.Combine(io, "c1-stderr");
        var options = new QemuSandboxOptions { StateRoot = Path.Combine(_dir.FullName, "state") };
        var config = GuestFixture.Config() with { Confidential = ConfidentialMode.None, Rootfs = RootfsMode.Block };

        var sandbox = await QemuSandbox.BootAsync("blk-" + Guid.NewGuid().ToString("N")[..8], config, options, log, ct);
        var stateDir = sandbox.Layout.Directory;
        try
        {
            // The root mount's source and type, the image's file, and a write to the rootfs.
            const string Script = "grep ' / ' /proc/mounts | cut -d' ' -f1,3; cat /etc/image-file; echo written > /etc/new-file && cat /etc/new-file";
            await sandbox.CreateContainerAsync(new ContainerCreateRequest("c1", bundle, GuestFixture.Spec(Script, data), [], new StdioPaths(string.Empty, stdout, stderr, false)), ct);
            Assert.Single(Directory.GetFiles(Path.Combine(stateDir, "disks"), "*.ext4"));

            // The host's rootfs is no longer in the 9p share; the volume (/data) still is.
            var shared = MountTable.MountPointsUnder(sandbox.Layout.ShareDirectory);
            Assert.DoesNotContain(shared, p => p.Contains("/rootfs", StringComparison.Ordinal));
            Assert.Single(shared);
            await sandbox.StartContainerAsync("c1", ct);
            var exit = await SandboxExits.NextAsync(sandbox.Events, "c1", string.Empty, ct);

            var lines = File.ReadAllText(stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(exit.ExitStatus == 0, $"exit {exit.ExitStatus}; stdout: {File.ReadAllText(stdout)}; stderr: {File.ReadAllText(stderr)}");
            Assert.Matches("^/dev/sd[a-z]+ ext4$", lines[0]);
            Assert.Equal(["from the image", "written"], lines[1..]);
            Assert.False(File.Exists(Path.Combine(rootfs, "etc", "new-file")), "the container's write reached the host rootfs");

            await sandbox.DeleteContainerAsync("c1", ct);
            Assert.Empty(Directory.GetFiles(Path.Combine(stateDir, "disks")));
            Assert.Empty(MountTable.MountPointsUnder(stateDir));
        }
        finally
        {
            await sandbox.ShutdownAsync(ct);
            await sandbox.DisposeAsync();
        }

        Assert.False(Directory.Exists(stateDir), $"{stateDir} still exists after shutdown");
        Assert.Empty(MountTable.MountPointsUnder(_dir.FullName));
    }
}
