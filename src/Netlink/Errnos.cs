namespace Netlink;

/// <summary>The errnos this library tests for or names (asm-generic/errno-base.h, errno.h).</summary>
internal static class Errnos
{
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int ENODEV = 19;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int EINVAL = 22;
    public const int EAGAIN = 11;

    public static string Name(int errno) => errno switch
    {
        1 => "EPERM",
        ENOENT => "ENOENT",
        EINTR => "EINTR",
        EAGAIN => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        EBUSY => "EBUSY",
        EEXIST => "EEXIST",
        ENODEV => "ENODEV",
        EINVAL => "EINVAL",
        34 => "ERANGE",
        95 => "EOPNOTSUPP",
        97 => "EAFNOSUPPORT",
        99 => "EADDRNOTAVAIL",
        101 => "ENETUNREACH",
        _ => "errno " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
