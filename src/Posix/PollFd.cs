using System.Runtime.InteropServices;

namespace SevRuntime.Posix;

/// <summary>struct pollfd (poll.h), for <see cref="Posix.poll"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short Revents;
}
