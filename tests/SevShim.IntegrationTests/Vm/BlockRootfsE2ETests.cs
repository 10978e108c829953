using Sev;
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
/// seen in the guest, and an update on the host reaches a running container; folders too large to
/// copy become disk images of their own.
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
        var config = GuestFixture.Config() with { Confidential = SevMode.None, Rootfs = RootfsMode.Block };

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

            await VolumesTooLargeToCopyAreDiskImagesAsync(sandbox, bundle, io, ct);
        }
        finally
        {
            await sandbox.ShutdownAsync(ct);
            await sandbox.DisposeAsync();
        }

        Assert.False(Directory.Exists(stateDir), $"{stateDir} still exists after shutdown");
        Assert.Empty(MountTable.MountPointsUnder(_dir.FullName));
    }

    /// <summary>
    /// Folders over the copy path's limits (decision 16) reach the guest as ext4 disk images: one
    /// of more than 4096 entries bound read-only (writes fail with EROFS, the root keeps the host
    /// folder's owner and mode) and one of more than 8 MiB bound read-write (a write stays in the
    /// image, never reaches the host), and a single file of more than 8 MiB bound read-only (its
    /// image holds the file, which the guest binds with its size, content, mode and owner; the
    /// bind mount that made the image is gone). Delete detaches and removes every image.
    /// </summary>
    private async Task VolumesTooLargeToCopyAreDiskImagesAsync(QemuSandbox sandbox, string bundle, string io, CancellationToken ct)
    {
        var many = Directory.CreateDirectory(Path.Combine(_dir.FullName, "many")).FullName;
        for (var i = 0; i <= HostVolumeReader.MaxEntries; i++)
        {
            File.WriteAllText(Path.Combine(many, "f" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)), "x");
        }

        // 0775, not mke2fs's 0755 for a root; others may read, since the container's root has no
        // CAP_DAC_OVERRIDE (the spec grants no capabilities).
        File.SetUnixFileMode(many, (UnixFileMode)0x1FD);
        using (var chown = System.Diagnostics.Process.Start("chown", ["1000:1000", many]))
        {
            await chown.WaitForExitAsync(ct);
            Assert.Equal(0, chown.ExitCode);
        }

        var big = Directory.CreateDirectory(Path.Combine(_dir.FullName, "big")).FullName;
        using (var blob = File.Create(Path.Combine(big, "blob")))
        {
            blob.SetLength(HostVolumeReader.MaxBytes + (1 << 20));
        }

        var single = Path.Combine(_dir.FullName, "single.bin");
        using (var file = File.Create(single))
        {
            file.SetLength(HostVolumeReader.MaxBytes + (2 << 20));
            file.Seek(-8, SeekOrigin.End);
            file.Write("tail-end"u8);
        }

        File.SetUnixFileMode(single, (UnixFileMode)0x1A4); // 0644
        using (var chown = System.Diagnostics.Process.Start("chown", ["1234:4321", single]))
        {
            await chown.WaitForExitAsync(ct);
            Assert.Equal(0, chown.ExitCode);
        }

        var spec = System.Text.Json.Nodes.JsonNode.Parse(GuestFixture.Spec(
            "awk '$2==\"/data\"||$2==\"/big\"||$2==\"/single.bin\"{split($4,o,\",\"); print $2, $3, o[1]}' /proc/mounts | sort; " +
            "ls /data | wc -l; stat -c '%a %u %g' /data; touch /data/f0 2>&1; echo \"ro-write:$?\"; " +
            "wc -c < /big/blob; echo written > /big/new && cat /big/new; " +
            "stat -c '%s %a %u %g' /single.bin; tail -c 8 /single.bin; echo", many))!;
        spec["mounts"]!.AsArray().Add(System.Text.Json.Nodes.JsonNode.Parse($$"""{ "destination": "/big", "type": "bind", "source": "{{big}}", "options": ["rbind", "rw"] }"""));
        spec["mounts"]!.AsArray().Add(System.Text.Json.Nodes.JsonNode.Parse($$"""{ "destination": "/single.bin", "type": "bind", "source": "{{single}}", "options": ["rbind", "ro"] }"""));
        var stdout = Path.Combine(io, "c3-stdout");
        var stderr = Path.Combine(io, "c3-stderr");
        var disks = Path.Combine(sandbox.Layout.Directory, "disks");
        await sandbox.CreateContainerAsync(new ContainerCreateRequest("c3", bundle, spec.ToJsonString(), [], new StdioPaths(string.Empty, stdout, stderr, false)), ct);
        Assert.Equal(4, Directory.GetFiles(disks, "*.ext4").Length); // the rootfs and the three volumes
        Assert.Empty(Directory.GetDirectories(disks)); // the single file's staging folder
        Assert.Empty(MountTable.MountPointsUnder(disks));
        await sandbox.StartContainerAsync("c3", ct);
        var exit = await SandboxExits.NextAsync(sandbox.Events, "c3", string.Empty, ct);

        var lines = File.ReadAllText(stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToArray();
        Assert.True(exit.ExitStatus == 0, $"exit {exit.ExitStatus}; stdout: {File.ReadAllText(stdout)}; stderr: {File.ReadAllText(stderr)}");
        Assert.Equal(
            ["/big ext4 rw", "/data ext4 ro", "/single.bin ext4 ro", (HostVolumeReader.MaxEntries + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "775 1000 1000",
                "touch: /data/f0: Read-only file system", "ro-write:1", (HostVolumeReader.MaxBytes + (1 << 20)).ToString(System.Globalization.CultureInfo.InvariantCulture), "written",
                (HostVolumeReader.MaxBytes + (2 << 20)).ToString(System.Globalization.CultureInfo.InvariantCulture) + " 644 1234 4321", "tail-end"],
            lines);
        Assert.False(File.Exists(Path.Combine(big, "new")), "the write into the volume's image reached the host folder");

        await sandbox.DeleteContainerAsync("c3", ct);
        Assert.Empty(Directory.GetFileSystemEntries(disks));
        Assert.Empty(MountTable.MountPointsUnder(sandbox.Layout.Directory));
    }
}
