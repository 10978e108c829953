using System.ComponentModel;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SevAgentProto;

/// <summary>
/// AF_VSOCK sockets through libc, because <c>new Socket((AddressFamily)40, ...)</c> is refused by
/// .NET (dotnet/runtime#58327). The fd is wrapped in a <see cref="Socket"/> afterwards, which
/// sends and receives on any stream socket.
/// </summary>
public static partial class Vsock
{
    private const int SockStream = 1;
    private const int SockCloexec = 0x80000;

    /// <summary>Connects to <paramref name="endPoint"/> (blocking) and returns the connected socket.</summary>
    public static Socket Connect(VsockEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var fd = CreateSocket();
        try
        {
            Span<byte> address = stackalloc byte[VsockEndPoint.SockaddrSize];
            endPoint.Write(address);
            int rc;
            do
            {
                rc = connect(fd, address, address.Length);
            }
            while (rc < 0 && Marshal.GetLastPInvokeError() == 4 /* EINTR */);

            if (rc < 0)
            {
                throw new SocketException(Marshal.GetLastPInvokeError(), $"vsock connect to {endPoint} failed");
            }

            return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        }
        catch
        {
            close(fd);
            throw;
        }
    }

    /// <summary>Binds <paramref name="endPoint"/> and listens; returns the listening socket's fd (owned by the caller).</summary>
    public static int Listen(VsockEndPoint endPoint, int backlog = 16)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var fd = CreateSocket();
        Span<byte> address = stackalloc byte[VsockEndPoint.SockaddrSize];
        endPoint.Write(address);
        if (bind(fd, address, address.Length) < 0 || listen(fd, backlog) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            close(fd);
            throw new SocketException(errno, $"vsock listen on {endPoint} failed: {new Win32Exception(errno).Message}");
        }

        return fd;
    }

    /// <summary>Blocks until a connection arrives on <paramref name="listenFd"/>; returns it as a Socket.</summary>
    public static Socket Accept(int listenFd)
    {
        while (true)
        {
            var fd = accept4(listenFd, IntPtr.Zero, IntPtr.Zero, SockCloexec);
            if (fd >= 0)
            {
                return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno is not (4 /* EINTR */ or 103 /* ECONNABORTED */))
            {
                throw new SocketException(errno, "vsock accept failed");
            }
        }
    }

    /// <summary>Closes a listening fd returned by <see cref="Listen"/>.</summary>
    public static void CloseListener(int fd) => close(fd);

    private static int CreateSocket()
    {
        var fd = socket(VsockEndPoint.AfVsock, SockStream | SockCloexec, 0);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SocketException(errno, $"AF_VSOCK socket failed: {new Win32Exception(errno).Message} (is the vsock module loaded?)");
        }

        return fd;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int connect(int fd, ReadOnlySpan<byte> address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int bind(int fd, ReadOnlySpan<byte> address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int listen(int fd, int backlog);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int accept4(int fd, IntPtr address, IntPtr length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
