using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using SevRuntime.Posix;
using SevShim.Native;

namespace SevShim.Hosting;

/// <summary>
/// A listening unix socket made with plain syscalls. Not a .NET <see cref="System.Net.Sockets.Socket"/>
/// on purpose: a Socket that bound a unix path unlinks it when disposed, but <c>start</c> must close
/// its copy while the daemon keeps serving the path. Owns the fd (close-on-exec; the spawner dup2s
/// it to fd 3 for the daemon).
/// </summary>
internal sealed class ListeningSocket : IDisposable
{
    private ListeningSocket(SafeFileHandle handle) => Handle = handle;

    /// <summary>The descriptor, owned by this object (closed by Dispose).</summary>
    public SafeFileHandle Handle { get; }

    /// <summary>
    /// socket, bind, chmod 0600, listen; null when the path is already bound (EADDRINUSE), so the
    /// caller can probe for a live shim. chmod precedes listen so nobody connects while the socket
    /// still has the umask's mode.
    /// </summary>
    public static unsafe ListeningSocket? TryBind(string path)
    {
        var pathBytes = Encoding.UTF8.GetBytes(path);
        if (pathBytes.Length >= LibC.SunPathSize)
        {
            throw new IOException($"socket path {path} is too long for a unix socket");
        }

        var handle = Posix.Own(Posix.socket(Posix.AF_UNIX, Posix.SOCK_STREAM | Posix.SOCK_CLOEXEC, 0));
        if (handle.IsInvalid)
        {
            throw new IOException($"cannot create a unix socket: {Posix.LastError()}");
        }

        var owned = new ListeningSocket(handle);
        try
        {
            using var fd = FdLease.Of(handle);
            var address = stackalloc byte[2 + LibC.SunPathSize];
            new Span<byte>(address, 2 + LibC.SunPathSize).Clear();
            *(ushort*)address = Posix.AF_UNIX;
            pathBytes.CopyTo(new Span<byte>(address + 2, LibC.SunPathSize));
            if (Posix.bind(fd.Value, address, (uint)(2 + pathBytes.Length + 1)) != 0)
            {
                if (Marshal.GetLastPInvokeError() == Posix.EADDRINUSE)
                {
                    owned.Dispose();
                    return null;
                }

                throw new IOException($"cannot bind {path}: {Posix.LastError()}");
            }

            if (Posix.chmod(path, 0x180 /* 0600 */) != 0)
            {
                throw new IOException($"cannot chmod 0600 {path}: {Posix.LastError()}");
            }

            if (LibC.listen(fd.Value, 4096) != 0)
            {
                throw new IOException($"cannot listen on {path}: {Posix.LastError()}");
            }

            return owned;
        }
        catch
        {
            owned.Dispose();
            throw;
        }
    }

    public void Dispose() => Handle.Dispose();
}
