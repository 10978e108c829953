using Microsoft.Extensions.Logging;
using SevAgent.Native;
using SevRuntime.Posix;

namespace SevAgent.Hosting;

/// <summary>
/// What the agent does as PID 1 of the guest (the image's init mounted proc, sys and dev and
/// exec'd it): cgroup v2 at /sys/fs/cgroup with every controller enabled for children, a tmpfs
/// on /run. Outside the guest (tests on a host) it only becomes a child subreaper, so that the
/// container processes crun leaves behind are re-parented to it and reaped by it.
/// </summary>
internal static class Pid1Setup
{
    public static void Run(ILogger log)
    {
        if (Environment.ProcessId != 1)
        {
            if (Posix.prctl(Posix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
            {
                log.LogWarning("PR_SET_CHILD_SUBREAPER failed: {Error}; container exits may be missed", Posix.LastError());
            }

            return;
        }

        var mountPoints = MountInfo.MountPoints(File.ReadAllText("/proc/self/mountinfo"));
        if (!mountPoints.Contains("/run"))
        {
            Directory.CreateDirectory("/run");
            Mount("tmpfs", "/run", "tmpfs", Posix.MS_NOSUID | Posix.MS_NODEV, "mode=0755", log);
        }

        if (!mountPoints.Contains("/sys/fs/cgroup"))
        {
            Directory.CreateDirectory("/sys/fs/cgroup");
            Mount("cgroup2", "/sys/fs/cgroup", "cgroup2", Posix.MS_NOSUID | Posix.MS_NODEV | Posix.MS_NOEXEC, null, log);
        }

        EnableControllers("/sys/fs/cgroup", log);
    }

    /// <summary>Writes "+c" for every controller of the root into its cgroup.subtree_control.</summary>
    public static void EnableControllers(string root, ILogger log)
    {
        try
        {
            var controllers = File.ReadAllText(Path.Combine(root, "cgroup.controllers")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var controller in controllers)
            {
                try
                {
                    File.WriteAllText(Path.Combine(root, "cgroup.subtree_control"), "+" + controller);
                }
                catch (IOException e)
                {
                    log.LogWarning("enabling cgroup controller {Controller} failed: {Error}", controller, e.Message);
                }
            }
        }
        catch (IOException e)
        {
            log.LogWarning("reading {Root}/cgroup.controllers failed: {Error}", root, e.Message);
        }
    }

    private static void Mount(string source, string target, string type, ulong flags, string? data, ILogger log)
    {
        if (Posix.mount(source, target, type, flags, data) < 0)
        {
            log.LogError("mounting {Type} at {Target} failed: {Error}", type, target, Posix.LastError());
        }
    }
}
