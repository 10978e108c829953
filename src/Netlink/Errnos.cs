using SevRuntime.Posix;

namespace Netlink;

/// <summary>
/// The names of the errnos this library reports (asm-generic/errno-base.h, errno.h); the values
/// it tests for are <see cref="Posix"/>'s, shared with the shim and the agent.
/// </summary>
internal static class Errnos
{
    public static string Name(int errno) => errno switch
    {
        1 => "EPERM",
        Posix.ENOENT => "ENOENT",
        Posix.EINTR => "EINTR",
        Posix.EAGAIN => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        Posix.EBUSY => "EBUSY",
        Posix.EEXIST => "EEXIST",
        Posix.ENODEV => "ENODEV",
        Posix.EINVAL => "EINVAL",
        34 => "ERANGE",
        95 => "EOPNOTSUPP",
        97 => "EAFNOSUPPORT",
        99 => "EADDRNOTAVAIL",
        101 => "ENETUNREACH",
        _ => "errno " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
