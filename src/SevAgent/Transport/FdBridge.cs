using System.Runtime.InteropServices;
using SevAgent.Native;
using SevRuntime.Posix;

namespace SevAgent.Transport;

/// <summary>
/// Copies bytes both ways between an outer fd (the virtio-serial port) and an
/// inner fd (a connection to Kestrel's internal socket) with poll(2) on the calling thread.
/// Both fds must be O_NONBLOCK. Returns which side ended; data still buffered for the inner side
/// is dropped when the outer side hangs up (it belongs to the old host connection), while data
/// buffered for the outer side is flushed when the inner side ends (e.g. Kestrel's GOAWAY).
/// </summary>
internal static unsafe class FdBridge
{
    private const int BufferSize = 64 * 1024;

    /// <summary>Which side ended the bridge.</summary>
    public enum End
    {
        OuterClosed,
        InnerClosed,

        /// <summary>The tracker saw a new connection start; its bytes are in the leftover.</summary>
        Resync,
    }

    /// <summary>Bridges until one side ends; <paramref name="tracker"/> (optional) watches the outer-to-inner stream.</summary>
    public static End Run(SafeHandle outer, SafeHandle inner, FrameTracker? tracker = null) => Run(outer, inner, tracker, out _);

    /// <summary>
    /// As <see cref="Run(SafeHandle, SafeHandle, FrameTracker?)"/>; on Resync, <paramref name="leftover"/>
    /// holds the new connection's first bytes. Both descriptors are leased for the whole bridge
    /// (FdLease), so neither number can be closed and reused under the poll loop.
    /// </summary>
    public static End Run(SafeHandle outer, SafeHandle inner, FrameTracker? tracker, out byte[] leftover)
    {
        using var outerFd = FdLease.Of(outer);
        using var innerFd = FdLease.Of(inner);
        return Run(outerFd.Value, innerFd.Value, tracker, out leftover);
    }

    private static End Run(int outer, int inner, FrameTracker? tracker, out byte[] leftover)
    {
        leftover = [];
        var toInner = new byte[BufferSize];
        var toOuter = new byte[BufferSize];
        int toInnerStart = 0, toInnerEnd = 0, toOuterStart = 0, toOuterEnd = 0;
        var innerOpen = true;
        var fds = stackalloc PollFd[2];
        fixed (byte* inBuf = toInner, outBuf = toOuter)
        {
            while (true)
            {
                if (!innerOpen && toOuterStart == toOuterEnd)
                {
                    return End.InnerClosed;
                }

                fds[0] = new PollFd
                {
                    Fd = outer,
                    Events = (short)((toInnerStart == toInnerEnd && innerOpen ? Posix.POLLIN : 0) | (toOuterStart < toOuterEnd ? Posix.POLLOUT : 0)),
                };
                fds[1] = new PollFd
                {
                    Fd = innerOpen ? inner : -1,
                    Events = (short)((toOuterStart == toOuterEnd ? Posix.POLLIN : 0) | (toInnerStart < toInnerEnd ? Posix.POLLOUT : 0)),
                };
                if (Posix.poll(fds, 2, -1) < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Posix.EINTR)
                    {
                        continue;
                    }

                    throw new IOException("poll failed: " + Posix.LastError());
                }

                var outerEvents = fds[0].Revents;
                var innerEvents = fds[1].Revents;

                // virtio-serial reports POLLHUP while the host end is not connected.
                if ((outerEvents & (Posix.POLLHUP | Posix.POLLERR | Posix.POLLNVAL)) != 0 && (outerEvents & Posix.POLLIN) == 0)
                {
                    return End.OuterClosed;
                }

                if ((outerEvents & Posix.POLLIN) != 0 && toInnerStart == toInnerEnd)
                {
                    var n = Posix.read(outer, inBuf, BufferSize);
                    if (n == 0)
                    {
                        return End.OuterClosed;
                    }

                    if (n > 0)
                    {
                        toInnerStart = 0;
                        toInnerEnd = (int)n;
                        var sync = tracker?.Feed(toInner.AsSpan(0, toInnerEnd)) ?? -1;
                        if (sync >= 0)
                        {
                            // Flush nothing more to the old connection: it is being replaced.
                            leftover = toInner.AsSpan(sync, toInnerEnd - sync).ToArray();
                            return End.Resync;
                        }
                    }
                    else if (!Retry())
                    {
                        return End.OuterClosed;
                    }
                }

                if ((outerEvents & Posix.POLLOUT) != 0 && toOuterStart < toOuterEnd)
                {
                    var n = Posix.write(outer, outBuf + toOuterStart, (nuint)(toOuterEnd - toOuterStart));
                    if (n > 0)
                    {
                        toOuterStart += (int)n;
                    }
                    else if (n < 0 && !Retry())
                    {
                        return End.OuterClosed;
                    }
                }

                if (!innerOpen)
                {
                    continue;
                }

                if ((innerEvents & (Posix.POLLIN | Posix.POLLHUP | Posix.POLLERR)) != 0 && toOuterStart == toOuterEnd)
                {
                    var n = Posix.read(inner, outBuf, BufferSize);
                    if (n > 0)
                    {
                        toOuterStart = 0;
                        toOuterEnd = (int)n;
                    }
                    else if (n == 0 || !Retry())
                    {
                        innerOpen = false;
                    }
                }

                if (innerOpen && (innerEvents & Posix.POLLOUT) != 0 && toInnerStart < toInnerEnd)
                {
                    var n = Posix.write(inner, inBuf + toInnerStart, (nuint)(toInnerEnd - toInnerStart));
                    if (n > 0)
                    {
                        toInnerStart += (int)n;
                    }
                    else if (n < 0 && !Retry())
                    {
                        innerOpen = false;
                    }
                }
            }
        }
    }

    /// <summary>Sets O_NONBLOCK on <paramref name="fd"/>.</summary>
    public static void SetNonBlocking(int fd)
    {
        var flags = Posix.fcntl(fd, Posix.F_GETFL, 0);
        if (flags < 0 || Posix.fcntl(fd, Posix.F_SETFL, flags | Posix.O_NONBLOCK) < 0)
        {
            throw new IOException("fcntl(O_NONBLOCK) failed: " + Posix.LastError());
        }
    }

    private static bool Retry()
    {
        var errno = Marshal.GetLastPInvokeError();
        return errno is Posix.EAGAIN or Posix.EINTR;
    }
}
