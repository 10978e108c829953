using System.Runtime.InteropServices;
using SevAgent.Errors;
using SevAgent.Native;
using SevRuntime.Posix;

namespace SevAgent.Guest;

/// <summary>
/// Loads a kernel module of the guest image that init does not load at boot (guest-image/build.sh
/// "modules-demand": copied with its dependencies, loaded only when an operation needs it) with
/// the image's modprobe, which resolves the dependencies from the image's modules.dep.
/// </summary>
internal sealed class ModuleLoader(Spawner spawner, ChildReaper reaper)
{
    private static readonly string[] ModprobePaths = ["/sbin/modprobe", "/bin/modprobe", "/usr/sbin/modprobe"];

    /// <summary>Runs modprobe for <paramref name="module"/>; a failure is FAILED_PRECONDITION naming the module.</summary>
    public async Task LoadAsync(string module, CancellationToken cancellationToken)
    {
        var modprobe = ModprobePaths.FirstOrDefault(File.Exists)
            ?? throw AgentException.FailedPrecondition($"no modprobe in the guest ({string.Join(", ", ModprobePaths)}) to load {module}");
        using var devNull = Fd.DevNull();
        var pid = spawner.Spawn(modprobe, [module], devNull, devNull, devNull);
        var code = ChildReaper.ExitCode(await reaper.WatchAsync(pid).WaitAsync(cancellationToken).ConfigureAwait(false));
        if (code != 0)
        {
            throw AgentException.FailedPrecondition($"modprobe {module} failed (exit {code}): the guest image lacks the module, or it found no device to drive");
        }
    }

    /// <summary>Mounts the pseudo file system <paramref name="type"/> at <paramref name="target"/> unless something is mounted there (EBUSY).</summary>
    public static void Mount(string type, string target)
    {
        if (Posix.mount(type, target, type, Posix.MS_NOSUID | Posix.MS_NODEV | Posix.MS_NOEXEC, null) != 0
            && Marshal.GetLastPInvokeError() is var errno and not Posix.EBUSY)
        {
            throw AgentException.FailedPrecondition($"mounting {type} at {target}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }
}
