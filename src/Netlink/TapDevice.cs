using System.Text;
using Microsoft.Win32.SafeHandles;
using SevRuntime.Posix;

namespace Netlink;

/// <summary>
/// Creates a tap in the calling thread's network namespace (linux/if_tun.h): /dev/net/tun
/// opened close-on-exec, TUNSETIFF with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR (QEMU's virtio-net then
/// passes offloads through the virtio-net header). Not persistent: the device goes when the last
/// fd is closed. Ownership: the caller owns the returned fd.
/// </summary>
public static unsafe class TapDevice
{
    // struct ifreq: ifr_name[IFNAMSIZ] then a union whose first member here is ifr_flags; 40 bytes.
    private const int IfReqSize = 40;

    public static (SafeFileHandle Fd, int Index) Create(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        if (nameBytes.Length is 0 or >= 16)
        {
            throw new ArgumentException($"\"{name}\" is not a valid interface name (1 to 15 bytes)", nameof(name));
        }

        var fd = Posix.open("/dev/net/tun", Posix.O_RDWR | Posix.O_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = NetlinkNative.LastErrno();
            throw new NetlinkException($"opening /dev/net/tun for tap {name}: {NetlinkException.Describe(errno)} (is the tun module loaded?)", errno);
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var request = new byte[IfReqSize];
        nameBytes.CopyTo(request, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(request.AsSpan(16), NetlinkNative.IFF_TAP | NetlinkNative.IFF_NO_PI | NetlinkNative.IFF_VNET_HDR);
        fixed (byte* r = request)
        {
            if (Posix.ioctl(fd, NetlinkNative.TUNSETIFF, r) < 0)
            {
                var errno = NetlinkNative.LastErrno();
                handle.Dispose();
                throw new NetlinkException($"creating tap {name} (TUNSETIFF): {NetlinkException.Describe(errno)}", errno);
            }
        }

        var index = (int)NetlinkNative.if_nametoindex(name);
        if (index == 0)
        {
            var errno = NetlinkNative.LastErrno();
            handle.Dispose();
            throw new NetlinkException($"finding the index of the new tap {name}: {NetlinkException.Describe(errno)}", errno);
        }

        return (handle, index);
    }
}
