using Microsoft.Win32.SafeHandles;
using SevRuntime.Posix;
using SevShim.Native;

namespace SevShim.Hosting;

/// <summary>
/// An exclusive flock(2) on a directory, held while one <c>start</c> decides whether to reuse or
/// replace a socket in it. Owns the directory fd; Dispose unlocks by closing it.
/// </summary>
internal sealed class DirectoryLock : IDisposable
{
    private readonly SafeFileHandle _handle;

    private DirectoryLock(SafeFileHandle handle) => _handle = handle;

    /// <summary>Blocks until the lock is held (other holders keep it only for a few syscalls).</summary>
    public static DirectoryLock Acquire(string directory)
    {
        var handle = Posix.OpenHandle(directory, Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_CLOEXEC);
        if (handle.IsInvalid)
        {
            throw new IOException($"cannot open {directory} to lock it: {Posix.LastError()}");
        }

        try
        {
            using var fd = FdLease.Of(handle);
            while (LibC.flock(fd.Value, LibC.LOCK_EX) != 0)
            {
                if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != Posix.EINTR)
                {
                    throw new IOException($"cannot lock {directory}: {Posix.LastError()}");
                }
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        return new DirectoryLock(handle);
    }

    public void Dispose() => _handle.Dispose();
}
