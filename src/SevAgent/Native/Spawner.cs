using System.Runtime.InteropServices;
using SevRuntime.Posix;

namespace SevAgent.Native;

/// <summary>
/// Starts programs with <see cref="ProcessSpawn"/> (posix_spawn, shared with the shim) so that their exits reach
/// <see cref="ChildReaper"/> only. The child gets the given fds as 0/1/2, a new session, an empty
/// signal mask and default dispositions for every signal (the .NET runtime ignores SIGPIPE, and
/// an ignored disposition would otherwise be inherited through crun by the container).
/// All other agent fds are O_CLOEXEC (the .NET default), so they do not leak.
/// </summary>
internal sealed class Spawner
{
    private static readonly string[] DefaultEnvironment =
        ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"];

    private readonly ChildReaper _reaper;

    public Spawner(ChildReaper reaper)
    {
        _reaper = reaper;
    }

    /// <summary>Spawns <paramref name="path"/> with <paramref name="args"/> (argv[1..]) and returns its pid; the caller keeps owning the three handles.</summary>
    public int Spawn(string path, IReadOnlyList<string> args, SafeHandle stdin, SafeHandle stdout, SafeHandle stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        _reaper.EnsureSoleReaper();
        var pid = ProcessSpawn.Spawn(path, [path, .. args], DefaultEnvironment, [SpawnFd.Dup(stdin, 0), SpawnFd.Dup(stdout, 1), SpawnFd.Dup(stderr, 2)], Path.GetFileName(path));
        _reaper.NotifySpawned();
        return pid;
    }
}
