using TestSupport;

namespace GuestImage.IntegrationTests;

/// <summary>
/// Boots the image with a throwaway init (the kernel's rdinit= runs busybox sh with a script from
/// the command line) to check the image's own parts without the agent: busybox, crun and its
/// shared libraries, the module list, the agent port name and the 9p share.
/// </summary>
public sealed class ImageBootTests
{
    private const string ShareTag = "smoketest";

    private static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(180);

    [E2EFact(Requirement.Qemu, Requirement.GuestImage)]
    public async Task Image_boots_loads_its_modules_runs_crun_and_writes_to_the_9p_share()
    {
        Prerequisites.Ensure(Requirement.Qemu, Requirement.GuestImage);
        var image = GuestImageFiles.Load();

        // One line of busybox sh; the kernel strips the surrounding quotes and passes it as one
        // argument after "--" to rdinit (no double quotes inside).
        const string script =
            "mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; " +
            "modprobe -a $(cat /etc/modules-load) || echo SMOKE-MODPROBE-FAILED; " +
            "grep -q ^9pnet_virtio /proc/modules && grep -q ^overlay /proc/modules && echo SMOKE-MODULES-OK; " +
            "crun --version >/dev/null && echo SMOKE-CRUN-OK; " +
            "test -x /sbin/sevagent && echo SMOKE-AGENT-PRESENT; " +
            "cat /sys/class/virtio-ports/*/name; " +
            "mount -t 9p -o trans=virtio,version=9p2000.L " + ShareTag + " /mnt && uname -r >/mnt/uname && echo SMOKE-9P-OK; " +
            "umount /mnt; echo SMOKE-DONE; poweroff -f";
        var append = $"{image.KernelCmdline} rdinit=/bin/sh -- -c \"{script}\"";

        await using var vm = QemuGuest.Start(image, append, ShareTag);
        var exited = await vm.WaitForExitAsync(BootTimeout);
        Assert.True(exited, "the smoke-test VM did not power off within 180 s" + vm.Diagnostics());

        var console = vm.ReadConsole();
        Assert.True(vm.ExitCode == 0, $"QEMU exit code {vm.ExitCode}" + vm.Diagnostics());
        Assert.True(console.Contains("SMOKE-DONE", StringComparison.Ordinal), "the script did not finish" + vm.Diagnostics());
        Assert.False(console.Contains("SMOKE-MODPROBE-FAILED", StringComparison.Ordinal), "a module failed to load" + vm.Diagnostics());
        Assert.True(console.Contains("SMOKE-MODULES-OK", StringComparison.Ordinal), "modules missing from /proc/modules" + vm.Diagnostics());
        Assert.True(console.Contains("SMOKE-CRUN-OK", StringComparison.Ordinal), "crun did not run (libraries?)" + vm.Diagnostics());
        Assert.True(console.Contains("SMOKE-AGENT-PRESENT", StringComparison.Ordinal), "/sbin/sevagent missing" + vm.Diagnostics());
        Assert.True(console.Contains("sevagent.0", StringComparison.Ordinal), "the agent port name is not visible in sysfs" + vm.Diagnostics());
        Assert.True(console.Contains("SMOKE-9P-OK", StringComparison.Ordinal), "the 9p share did not mount" + vm.Diagnostics());

        var guestKernel = (await File.ReadAllTextAsync(Path.Combine(vm.ShareDir, "uname"))).Trim();
        Assert.Equal(image.KernelVersion, guestKernel);
    }
}
