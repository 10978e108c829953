using Microsoft.Win32.SafeHandles;
using SevAgent.Native;
using SevRuntime.Posix;

namespace SevAgent.Tests.Unit;

/// <summary>
/// The shared posix_spawn (src/Posix/ProcessSpawn, used by the shim's daemon start and the
/// agent's Spawner) with real children: descriptors, session, signal state, errors.
/// </summary>
public sealed class ProcessSpawnTests
{
    [Fact]
    public async Task The_child_gets_exactly_the_named_fds_a_new_session_and_a_clean_signal_state()
    {
        var (read, write) = Fd.Pipe();
        string output;
        int pid;
        using (read)
        {
            using (write)
            {
                // The pipe's write end as fd 1, /dev/null as 0 and 2; the script reports what it got.
                pid = ProcessSpawn.Spawn(
                    "/bin/sh",
                    ["/bin/sh", "-c", "echo sid=$(cut -d' ' -f6 /proc/self/stat) pid=$$; grep -E '^Sig(Blk|Ign)' /proc/self/status; ls /proc/self/fd | sort -n | tr '\\n' ' '; echo; echo env=$FOO"],
                    ["FOO=bar"],
                    [SpawnFd.Open(0, "/dev/null", Posix.O_RDONLY), SpawnFd.Dup(write, 1), SpawnFd.Open(2, "/dev/null", Posix.O_WRONLY)],
                    "a test shell");
            }

            await using var stream = new FileStream(read, FileAccess.Read);
            output = await new StreamReader(stream).ReadToEndAsync();
        }

        Assert.Equal(pid, LibC.waitpid(pid, out var status, 0));
        Assert.Equal(0, status);
        var lines = output.Split('\n');
        Assert.Matches(@"^sid=(\d+) pid=\1$", lines[0]);
        Assert.Equal("SigBlk:\t0000000000000000", lines[1]);
        // No signal 1-31 ignored (SIGPIPE above all, which .NET ignores) and no real-time one
        // beyond glibc's two internal ones (32, 33), which sigfillset leaves out by design.
        Assert.Equal(0UL, Convert.ToUInt64(lines[2].Split('\t')[1], 16) & ~0x180000000UL);
        // 0, 1, 2 and the one ls itself opens to list them (3): nothing of the test host leaked.
        Assert.Equal("0 1 2 3 ", lines[3]);
        Assert.Equal("env=bar", lines[4]);
    }

    [Fact]
    public void A_source_fd_that_an_earlier_action_would_overwrite_is_kept()
    {
        // Swap the roles: the test's own stdout (fd 1) becomes the child's stderr (fd 2) while fd 1
        // is opened first; without the copy the child's fd 2 would be /dev/null's dup.
        using var stdout = new SafeFileHandle(1, ownsHandle: false);
        var pid = ProcessSpawn.Spawn("/bin/true", ["/bin/true"], [], [SpawnFd.Open(1, "/dev/null", Posix.O_WRONLY), SpawnFd.Dup(stdout, 2)], "true");

        Assert.Equal(pid, LibC.waitpid(pid, out var status, 0));
        Assert.Equal(0, status);
    }

    [Fact]
    public void A_closed_source_handle_is_refused_before_anything_starts()
    {
        // The number of a disposed handle may already belong to another open: it must never reach
        // the child (FdLease's reason).
        var (read, write) = Fd.Pipe();
        read.Dispose();
        write.Dispose();

        Assert.Throws<ObjectDisposedException>(() => ProcessSpawn.Spawn("/bin/true", ["/bin/true"], [], [SpawnFd.Dup(write, 1)], "true"));
    }

    [Fact]
    public void A_missing_program_names_the_child_and_the_error()
    {
        var e = Assert.Throws<IOException>(() => ProcessSpawn.Spawn("/nonexistent/prog", ["prog"], [], [], "the prog"));

        Assert.Contains("cannot start the prog (/nonexistent/prog)", e.Message, StringComparison.Ordinal);
        Assert.Contains("No such file", e.Message, StringComparison.Ordinal);
    }
}
