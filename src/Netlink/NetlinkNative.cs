using System.Runtime.InteropServices;
using SevRuntime.Posix;

namespace Netlink;

/// <summary>
/// The libc calls only this library makes (glibc, x86-64), and so not in <see cref="Posix"/>,
/// which holds the socket, bind, open, ioctl and close it shares with the shim and the agent:
/// netlink's socket options, send and recv, setns for network namespaces, if_nametoindex, and the
/// constants of netlink (linux/netlink.h, linux/socket.h), network namespaces (linux/sched.h)
/// and tap devices (linux/if_tun.h). Every call sets errno.
/// </summary>
internal static unsafe partial class NetlinkNative
{
    public const int NETLINK_ROUTE = 0;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, int* value, int length);

    public const int SOL_NETLINK = 270;
    public const int NETLINK_CAP_ACK = 10;
    public const int NETLINK_EXT_ACK = 11;

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recv(int fd, byte* buffer, nint length, int flags);

    public const int MSG_PEEK = 0x02;
    public const int MSG_TRUNC = 0x20;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setns(int fd, int type);

    public const int CLONE_NEWNET = 0x40000000;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint if_nametoindex(string name);

    /// <summary>_IOW('T', 202, int) (linux/if_tun.h): makes a tun fd a tap device (struct ifreq with these flags).</summary>
    public const nuint TUNSETIFF = 0x400454ca;
    public const short IFF_TAP = 0x0002;
    public const short IFF_NO_PI = 0x1000;
    public const short IFF_VNET_HDR = 0x4000;

    public static int LastErrno() => Marshal.GetLastPInvokeError();
}
