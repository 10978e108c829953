using Serilog;
using SevShim.Config;
using SevShim.IntegrationTests.Support;
using SevShim.Rootfs;
using SevShim.Sandbox;
using TestSupport;
using Xunit.Abstractions;

namespace SevShim.IntegrationTests.Vm;

/// <summary>
/// rootfs.mode = "block" with confidential.mode = "none" under TCG: the container's rootfs reaches
/// the guest as an ext4 image hot-plugged on the virtio-scsi controller, and the VM has no 9p share;
/// the container's writes land in the image, not in the host's rootfs; delete detaches and
/// removes the image, shutdown leaves nothing. Volumes are copied, never shared: a folder laid out
/// as kubelet lays out a configmap ("..data" swapped to a new timestamped folder on update) is
/// seen in the guest, and an update on the host reaches a running container.
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
        KubeletVolume.Write(data, "..2026_12_05_a", "key", "v1\n");
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
            const string Script = "grep ' / ' /proc/mounts | cut -d' ' -f1,3; cat /etc/image-file; echo written > /etc/new-file && cat /etc/new-file; cat /data/key";
            await sandbox.CreateContainerAsync(new ContainerCreateRequest("c1", bundle, GuestFixture.Spec(Script, data), [], new StdioPaths(string.Empty, stdout, stderr, false)), ct);
            Assert.Single(Directory.GetFiles(Path.Combine(stateDir, "disks"), "*.ext4"));

            // No 9p share at all: no such device on QEMU's command line, no share folder, and
            // nothing of the host's rootfs or the volume (/data) left mounted once the image is made.
            var qemuArgs = File.ReadAllText($"/proc/{sandbox.QemuPid}/cmdline").Split('\0');
            Assert.DoesNotContain(qemuArgs, a => a.Contains("9p", StringComparison.Ordinal) || a == "-fsdev");
            Assert.Contains(qemuArgs, a => a.StartsWith("virtio-scsi-pci", StringComparison.Ordinal));
            Assert.False(Directory.Exists(sandbox.Layout.ShareDirectory), $"{sandbox.Layout.ShareDirectory} exists in rootfs mode \"block\"");
            Assert.Empty(MountTable.MountPointsUnder(stateDir));
            await sandbox.StartContainerAsync("c1", ct);
            var exit = await SandboxExits.NextAsync(sandbox.Events, "c1", string.Empty, ct);

            var lines = File.ReadAllText(stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(exit.ExitStatus == 0, $"exit {exit.ExitStatus}; stdout: {File.ReadAllText(stdout)}; stderr: {File.ReadAllText(stderr)}");
            Assert.Matches("^/dev/sd[a-z]+ ext4$", lines[0]);
            Assert.Equal(["from the image", "written", "v1"], lines[1..]);
            Assert.False(File.Exists(Path.Combine(rootfs, "etc", "new-file")), "the container's write reached the host rootfs");

            await sandbox.DeleteContainerAsync("c1", ct);
            Assert.Empty(Directory.GetFiles(Path.Combine(stateDir, "disks")));
            Assert.Empty(MountTable.MountPointsUnder(stateDir));

            // A running container sees the host's update of its volume (kubelet's atomic swap).
            var watch = Path.Combine(io, "c2-stdout");
            await sandbox.CreateContainerAsync(new ContainerCreateRequest("c2", bundle, GuestFixture.Spec("while true; do cat /data/key; sleep 0.2; done", data), [], new StdioPaths(string.Empty, watch, stderr, false)), ct);
            await sandbox.StartContainerAsync("c2", ct);
            Assert.True(await CtrWait.UntilAsync(() => Task.FromResult(File.ReadAllText(watch).Contains("v1", StringComparison.Ordinal)), TimeSpan.FromMinutes(2)), "c2 never printed v1: " + File.ReadAllText(stderr));
            KubeletVolume.Write(data, "..2026_12_05_b", "key", "v2\n");
            Assert.True(await CtrWait.UntilAsync(() => Task.FromResult(File.ReadAllText(watch).Contains("v2", StringComparison.Ordinal)), TimeSpan.FromSeconds(30)), "the host's update never reached the guest copy: " + File.ReadAllText(watch));
            await sandbox.SignalAsync("c2", string.Empty, 9, all: false, ct);
            await SandboxExits.NextAsync(sandbox.Events, "c2", string.Empty, ct);
            await sandbox.DeleteContainerAsync("c2", ct);
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
