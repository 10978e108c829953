using System.Runtime.InteropServices;
using SevRuntime.Posix;

namespace SevAgent.Native;

/// <summary>
/// Starts programs with posix_spawn (AOT-safe, no managed fork) so that their exits reach
/// <see cref="ChildReaper"/> only. The child gets the given fds as 0/1/2, a new session, an empty
/// signal mask and default dispositions for every signal (the .NET runtime ignores SIGPIPE, and
/// an ignored disposition would otherwise be inherited through crun by the container).
/// All other agent fds are O_CLOEXEC (the .NET default), so they do not leak.
/// </summary>
internal sealed unsafe class Spawner
{
    private static readonly string[] DefaultEnvironment =
        ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"];

    private readonly ChildReaper _reaper;

    public Spawner(ChildReaper reaper)
    {
        _reaper = reaper;
    }

    /// <summary>Spawns <paramref name="path"/> with <paramref name="args"/> (argv[1..]) and returns its pid.</summary>
    public int Spawn(string path, IReadOnlyList<string> args, int stdin, int stdout, int stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        _reaper.EnsureSoleReaper();
        var argv = new List<string>(args.Count + 1) { path };
        argv.AddRange(args);
        var allocations = new List<IntPtr>();
        var fileActions = NativeMemory.AllocZeroed(Posix.SpawnStructSize);
        var attr = NativeMemory.AllocZeroed(Posix.SpawnStructSize);
        var sigset = NativeMemory.AllocZeroed(Posix.SigSetSize);
        try
        {
            var argvPtr = StringArray(argv, allocations);
            var envPtr = StringArray(DefaultEnvironment, allocations);
            var pathPtr = (byte*)Marshal.StringToCoTaskMemUTF8(path);
            allocations.Add((IntPtr)pathPtr);

            Check(Posix.posix_spawn_file_actions_init(fileActions), "posix_spawn_file_actions_init");
            Check(Posix.posix_spawn_file_actions_adddup2(fileActions, stdin, 0), "adddup2 stdin");
            Check(Posix.posix_spawn_file_actions_adddup2(fileActions, stdout, 1), "adddup2 stdout");
            Check(Posix.posix_spawn_file_actions_adddup2(fileActions, stderr, 2), "adddup2 stderr");
            Check(Posix.posix_spawnattr_init(attr), "posix_spawnattr_init");
            Check(Posix.posix_spawnattr_setflags(attr, Posix.POSIX_SPAWN_SETSIGDEF | Posix.POSIX_SPAWN_SETSIGMASK | Posix.POSIX_SPAWN_SETSID), "setflags");
            Posix.sigfillset(sigset);
            Check(Posix.posix_spawnattr_setsigdefault(attr, sigset), "setsigdefault");
            Posix.sigemptyset(sigset);
            Check(Posix.posix_spawnattr_setsigmask(attr, sigset), "setsigmask");

            var rc = Posix.posix_spawn(out var pid, pathPtr, fileActions, attr, (byte**)argvPtr, (byte**)envPtr);
            if (rc != 0)
            {
                throw new IOException($"cannot start {path}: {Posix.ErrorText(rc)}");
            }

            _reaper.NotifySpawned();
            return pid;
        }
        finally
        {
            Posix.posix_spawn_file_actions_destroy(fileActions);
            Posix.posix_spawnattr_destroy(attr);
            NativeMemory.Free(fileActions);
            NativeMemory.Free(attr);
            NativeMemory.Free(sigset);
            foreach (var p in allocations)
            {
                Marshal.FreeCoTaskMem(p);
            }
        }
    }

    private static IntPtr StringArray(IReadOnlyList<string> items, List<IntPtr> allocations)
    {
        var array = Marshal.AllocCoTaskMem(IntPtr.Size * (items.Count + 1));
        allocations.Add(array);
        for (var i = 0; i < items.Count; i++)
        {
            var s = Marshal.StringToCoTaskMemUTF8(items[i]);
            allocations.Add(s);
            Marshal.WriteIntPtr(array, i * IntPtr.Size, s);
        }

        Marshal.WriteIntPtr(array, items.Count * IntPtr.Size, IntPtr.Zero);
        return array;
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0)
        {
            throw new IOException($"{what} failed: {Posix.ErrorText(rc)}");
        }
    }
}
