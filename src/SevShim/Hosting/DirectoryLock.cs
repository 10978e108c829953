using SevRuntime.Posix;
using SevShim.Native;

namespace SevShim.Hosting;

/// <summary>
/// An exclusive flock(2) on a directory, held while one <c>start</c> decides whether to reuse or
/// replace a socket in it. Owns the directory fd; Dispose unlocks by closing it.
/// </summary>
internal sealed class DirectoryLock : IDisposable
{
    private int _fd;

    private DirectoryLock(int fd) => _fd = fd;

    /// <summary>Blocks until the lock is held (other holders keep it only for a few syscalls).</summary>
    public static DirectoryLock Acquire(string directory)
    {
        var fd = Posix.open(directory, Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new IOException($"cannot open {directory} to lock it: {Posix.LastError()}");
        }

        while (LibC.flock(fd, LibC.LOCK_EX) != 0)
        {
            if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != Posix.EINTR)
            {
                var error = Posix.LastError();
                _ = Posix.close(fd);
                throw new IOException($"cannot lock {directory}: {error}");
            }
        }

        return new DirectoryLock(fd);
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = Posix.close(fd);
        }
    }
}
