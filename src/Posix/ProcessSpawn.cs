using System.Runtime.InteropServices;

namespace SevRuntime.Posix;

/// <summary>
/// The one posix_spawn of the shim (its daemon, SHIM-PROTOCOL 4.4) and the agent (crun, modprobe):
/// posix_spawn because fork() in a multi-threaded .NET process is unsafe. Every child gets a new
/// session (POSIX_SPAWN_SETSID: it outlives its parent's process group), an empty signal mask
/// and default dispositions for every signal (the .NET runtime ignores SIGPIPE and blocks some
/// signals, and exec would pass both on, through crun even to a container), and exactly the
/// descriptors named: every other one is closed in the child (closefrom), not only the O_CLOEXEC
/// ones .NET makes.
/// A source descriptor that a dup or open could overwrite before it is read (a number at or
/// below the highest target), or that equals its target (dup2 to itself keeps FD_CLOEXEC), is
/// first copied above the targets; the copy is closed when the call returns.
/// </summary>
internal static unsafe class ProcessSpawn
{
    /// <summary>Starts <paramref name="path"/> with the whole <paramref name="argv"/> (argv[0] included); returns its pid.</summary>
    /// <param name="what">Names the child in an error, e.g. "the shim daemon".</param>
    /// <exception cref="IOException">A spawn step failed; the message names <paramref name="what"/> and the step.</exception>
    public static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> environment, IReadOnlyList<SpawnFd> fds, string what)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(argv);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(fds);
        var strings = new List<nint>();
        var copies = new List<int>();
        // Each source's handle holds a reference until the child has its copy (FdLease's reason).
        var leased = new List<SafeHandle>();
        var fileActions = NativeMemory.AllocZeroed(Posix.SpawnStructSize);
        var attr = NativeMemory.AllocZeroed(Posix.SpawnStructSize);
        var sigset = NativeMemory.AllocZeroed(Posix.SigSetSize);
        try
        {
            Check(Posix.posix_spawn_file_actions_init(fileActions), what, "posix_spawn_file_actions_init");
            var highest = fds.Count == 0 ? -1 : fds.Max(f => f.Target);
            foreach (var fd in fds)
            {
                if (fd.OpenPath is { } open)
                {
                    Check(Posix.posix_spawn_file_actions_addopen(fileActions, fd.Target, Utf8(open, strings), fd.OpenFlags, 0), what, $"open {open} as fd {fd.Target}");
                    continue;
                }

                var handle = fd.Source ?? throw new ArgumentException($"descriptor {fd.Target} for {what} has neither a source nor a path", nameof(fds));
                var added = false;
                handle.DangerousAddRef(ref added);
                leased.Add(handle);
                var original = (int)handle.DangerousGetHandle();
                var source = original;
                if (source <= highest)
                {
                    source = Posix.fcntl(source, Posix.F_DUPFD_CLOEXEC, highest + 1);
                    Check(source < 0 ? -1 : 0, what, $"fcntl(F_DUPFD_CLOEXEC) of fd {original}");
                    copies.Add(source);
                }

                Check(Posix.posix_spawn_file_actions_adddup2(fileActions, source, fd.Target), what, $"dup2 to fd {fd.Target}");
            }

            // Last: whatever the parent holds without O_CLOEXEC (a descriptor it inherited itself,
            // as a test host's are) stays behind too.
            Check(Posix.posix_spawn_file_actions_addclosefrom_np(fileActions, highest + 1), what, $"closefrom {highest + 1}");
            Check(Posix.posix_spawnattr_init(attr), what, "posix_spawnattr_init");
            Check(Posix.posix_spawnattr_setflags(attr, (short)(Posix.POSIX_SPAWN_SETSID | Posix.POSIX_SPAWN_SETSIGDEF | Posix.POSIX_SPAWN_SETSIGMASK)), what, "setflags");
            Check(Posix.sigemptyset(sigset), what, "sigemptyset");
            Check(Posix.posix_spawnattr_setsigmask(attr, sigset), what, "setsigmask");
            Check(Posix.sigfillset(sigset), what, "sigfillset");
            Check(Posix.posix_spawnattr_setsigdefault(attr, sigset), what, "setsigdefault");

            var rc = Posix.posix_spawn(out var pid, Utf8(path, strings), fileActions, attr, StringArray(argv, strings), StringArray(environment, strings));
            if (rc != 0)
            {
                throw new IOException($"cannot start {what} ({path}): {Posix.ErrorText(rc)}");
            }

            return pid;
        }
        finally
        {
            foreach (var copy in copies)
            {
                _ = Posix.close(copy);
            }

            foreach (var handle in leased)
            {
                handle.DangerousRelease();
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

    // A NULL-terminated char*[] whose memory `owned` frees.
    private static byte** StringArray(IReadOnlyList<string> items, List<nint> owned)
    {
        var block = Marshal.AllocCoTaskMem((items.Count + 1) * sizeof(nint));
        owned.Add(block);
        var slots = (nint*)block;
        for (var i = 0; i < items.Count; i++)
        {
            slots[i] = (nint)Utf8(items[i], owned);
        }

        slots[items.Count] = 0;
        return (byte**)block;
    }

    // posix_spawn_* return the error number; the others return -1 and set errno.
    private static void Check(int rc, string what, string step)
    {
        if (rc == 0)
        {
            return;
        }

        var errno = rc > 0 ? rc : Marshal.GetLastPInvokeError();
        throw new IOException($"cannot start {what} ({step}): {Posix.ErrorText(errno)}");
    }
}
