namespace Netlink;

/// <summary>
/// A netlink, tun or namespace operation the kernel refused, or a reply it could not parse.
/// <see cref="Errno"/> is the kernel's errno (0 for a malformed reply); the message names the
/// operation, the object and the kernel's own explanation when it gave one (extended ack).
/// </summary>
public sealed class NetlinkException : Exception
{
    public NetlinkException()
    {
    }

    public NetlinkException(string message)
        : base(message)
    {
    }

    public NetlinkException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public NetlinkException(string message, int errno)
        : base(message) => Errno = errno;

    /// <summary>The errno, or 0 when the failure was ours (a malformed reply).</summary>
    public int Errno { get; }

    /// <summary>"File exists (EEXIST)" for errno 17.</summary>
    internal static string Describe(int errno) =>
        $"{System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)} ({Errnos.Name(errno)})";
}
