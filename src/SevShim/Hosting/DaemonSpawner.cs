using SevRuntime.Posix;

namespace SevShim.Hosting;

/// <summary>
/// Starts the daemon from <c>start</c> the way containerd's shim package does with
/// exec.Cmd + ExtraFiles (SHIM-PROTOCOL 4.4 step 5), with posix_spawn because fork() in a
/// multi-threaded .NET process is unsafe: the child gets the listening socket as fd 3, stdio on
/// /dev/null (containerd reads start's combined output to EOF, so the daemon must not hold it:
/// SHIM-PROTOCOL 4.2), its own session (POSIX_SPAWN_SETSID, so it outlives start and containerd's
/// process group), default signal dispositions and an empty signal mask (the .NET runtime
/// ignores SIGPIPE and blocks some signals, which exec would otherwise pass on): all of it
/// <see cref="ProcessSpawn"/>'s, shared with the agent.
/// </summary>
internal static class DaemonSpawner
{
    /// <summary>The fd the daemon finds its listening socket on.</summary>
    public const int ListenerFd = 3;

    /// <summary>Spawns <paramref name="executable"/>; returns its pid. The caller keeps owning <paramref name="listener"/>.</summary>
    public static int Spawn(string executable, IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment, ListeningSocket listener)
    {
        ArgumentNullException.ThrowIfNull(executable);
        ArgumentNullException.ThrowIfNull(argv);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(listener);
        return ProcessSpawn.Spawn(
            executable,
            argv,
            environment.Select(kv => kv.Key + "=" + kv.Value).ToArray(),
            [
                SpawnFd.Open(0, "/dev/null", Posix.O_RDONLY),
                SpawnFd.Open(1, "/dev/null", Posix.O_WRONLY),
                SpawnFd.Open(2, "/dev/null", Posix.O_WRONLY),
                SpawnFd.Dup(listener.Handle, ListenerFd),
            ],
            "the shim daemon");
    }
}
