using System.Runtime.InteropServices;
using SevRuntime.Posix;
using SevShim.Native;

namespace SevShim.Hosting;

/// <summary>
/// Starts the daemon from <c>start</c> the way containerd's shim package does with
/// exec.Cmd + ExtraFiles (SHIM-PROTOCOL 4.4 step 5), with posix_spawn because fork() in a
/// multi-threaded .NET process is unsafe: the child gets the listening socket as fd 3, stdio on
/// /dev/null (containerd reads start's combined output to EOF, so the daemon must not hold it:
/// SHIM-PROTOCOL 4.2), its own session (POSIX_SPAWN_SETSID, so it outlives start and containerd's
/// process group), default signal dispositions and an empty signal mask (the .NET runtime
/// ignores SIGPIPE and blocks some signals, which exec would otherwise pass on).
/// </summary>
internal static unsafe class DaemonSpawner
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
        var strings = new List<nint>();
        var fileActions = NativeMemory.AllocZeroed(Posix.SpawnStructSize);
        var attr = NativeMemory.AllocZeroed(Posix.SpawnStructSize);
        var sigset = NativeMemory.AllocZeroed(Posix.SigSetSize);
        var extraFd = -1;
        try
        {
            var fd = listener.Fd;
            if (fd <= ListenerFd)
            {
                // dup2(fd, 3) is a no-op that keeps FD_CLOEXEC when fd is already 3, and fds 0-2
                // are overwritten by /dev/null first: move the socket out of the way.
                extraFd = Posix.fcntl(fd, Posix.F_DUPFD_CLOEXEC, 10);
                Check(extraFd < 0 ? -1 : 0, "fcntl(F_DUPFD_CLOEXEC)");
                fd = extraFd;
            }

            var devNull = Utf8("/dev/null", strings);
            Check(Posix.posix_spawn_file_actions_init(fileActions), "posix_spawn_file_actions_init");
            Check(LibC.posix_spawn_file_actions_addopen(fileActions, 0, devNull, Posix.O_RDONLY, 0), "addopen stdin");
            Check(LibC.posix_spawn_file_actions_addopen(fileActions, 1, devNull, Posix.O_WRONLY, 0), "addopen stdout");
            Check(LibC.posix_spawn_file_actions_addopen(fileActions, 2, devNull, Posix.O_WRONLY, 0), "addopen stderr");
            Check(Posix.posix_spawn_file_actions_adddup2(fileActions, fd, ListenerFd), "adddup2 listener");

            Check(Posix.posix_spawnattr_init(attr), "posix_spawnattr_init");
            Check(Posix.posix_spawnattr_setflags(attr, (short)(Posix.POSIX_SPAWN_SETSID | Posix.POSIX_SPAWN_SETSIGDEF | Posix.POSIX_SPAWN_SETSIGMASK)), "setflags");
            Check(Posix.sigemptyset(sigset), "sigemptyset");
            Check(Posix.posix_spawnattr_setsigmask(attr, sigset), "setsigmask");
            Check(Posix.sigfillset(sigset), "sigfillset");
            Check(Posix.posix_spawnattr_setsigdefault(attr, sigset), "setsigdefault");

            var argvBlock = StringArray(argv, strings);
            var envBlock = StringArray(environment.Select(kv => kv.Key + "=" + kv.Value).ToArray(), strings);
            var rc = Posix.posix_spawn(out var pid, Utf8(executable, strings), fileActions, attr, (byte**)argvBlock, (byte**)envBlock);
            if (rc != 0)
            {
                throw new IOException($"cannot start the shim daemon {executable}: {Marshal.GetPInvokeErrorMessage(rc)}");
            }

            return pid;
        }
        finally
        {
            if (extraFd >= 0)
            {
                _ = Posix.close(extraFd);
            }

            _ = Posix.posix_spawn_file_actions_destroy(fileActions);
            _ = Posix.posix_spawnattr_destroy(attr);
            NativeMemory.Free(fileActions);
            NativeMemory.Free(attr);
            NativeMemory.Free(sigset);
            foreach (var p in strings)
            {
                Marshal.FreeCoTaskMem(p);
            }
        }
    }

    private static byte* Utf8(string s, List<nint> owned)
    {
        var p = Marshal.StringToCoTaskMemUTF8(s);
        owned.Add(p);
        return (byte*)p;
    }

    /// <summary>A NULL-terminated char*[] whose memory <paramref name="owned"/> frees.</summary>
    private static nint StringArray(IReadOnlyList<string> items, List<nint> owned)
    {
        var block = Marshal.AllocCoTaskMem((items.Count + 1) * sizeof(nint));
        owned.Add(block);
        var slots = (nint*)block;
        for (var i = 0; i < items.Count; i++)
        {
            slots[i] = (nint)Utf8(items[i], owned);
        }

        slots[items.Count] = 0;
        return block;
    }

    /// <summary>posix_spawn_* return the error number; the others return -1 and set errno.</summary>
    private static void Check(int rc, string what)
    {
        if (rc == 0)
        {
            return;
        }

        var errno = rc > 0 ? rc : Marshal.GetLastPInvokeError();
        throw new IOException($"cannot prepare the shim daemon ({what}): {Marshal.GetPInvokeErrorMessage(errno)}");
    }
}
