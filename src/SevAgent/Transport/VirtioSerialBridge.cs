using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using SevAgent.Native;
using SevAgentProto;
using SevRuntime.Posix;

namespace SevAgent.Transport;

/// <summary>
/// Serves the shim over the virtio-serial port named e.g. "sevagent.0" (ARCHITECTURE.md
/// decision 3 and "Facts measured"). The port is opened once and kept open for the agent's life,
/// because data the host sends while no guest process holds it is discarded. Each time the host
/// connects, a fresh connection to Kestrel is opened and bridged; when the host disconnects
/// (POLLHUP) that connection is dropped. While disconnected the driver reports POLLHUP at once,
/// so the bridge does not poll then: it sleeps until SIGIO, which the driver sends to the fd's
/// owner when the host opens or closes its end (O_ASYNC), with a slow re-check as a safety net.
/// A quick reconnect can escape the hang-up check, so each host connection announces itself
/// (<see cref="LinkHandshake"/>); bytes before that announcement are dropped.
/// </summary>
internal sealed class VirtioSerialBridge : IDisposable
{
    private const int SigIo = 29;

    private readonly string _device;
    private readonly InternalEndpoint _inner;
    private readonly Func<FrameTracker> _newTracker;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _wake = new(0);
    private PosixSignalRegistration? _sigio;

    /// <param name="device">The port's /dev/vportNpM.</param>
    /// <param name="inner">Where each host connection is bridged to (Kestrel's, or the stdio server's, internal socket).</param>
    /// <param name="newTracker">Follows the link's frames for a resync (<see cref="FrameTracker.Http2"/> or <see cref="FrameTracker.Stdio"/>).</param>
    /// <param name="log">The agent's log.</param>
    public VirtioSerialBridge(string device, InternalEndpoint inner, Func<FrameTracker> newTracker, ILogger log)
    {
        _device = device;
        _inner = inner;
        _newTracker = newTracker;
        _log = log;
    }

    /// <summary>/dev/vportNpM of the port named <paramref name="name"/>, or null (no udev in the guest: read sysfs).</summary>
    public static string? FindPort(string name, string sysClassDir = "/sys/class/virtio-ports")
    {
        if (!Directory.Exists(sysClassDir))
        {
            return null;
        }

        foreach (var dir in Directory.EnumerateDirectories(sysClassDir))
        {
            var nameFile = Path.Combine(dir, "name");
            if (File.Exists(nameFile) && File.ReadAllText(nameFile).Trim() == name)
            {
                return "/dev/" + Path.GetFileName(dir);
            }
        }

        return null;
    }

    /// <summary>Opens the port and starts the bridging thread.</summary>
    public void Start()
    {
        // Owned by the bridging thread for the agent's life (the port is never closed: a close
        // would hang up the host's side).
        var handle = Posix.OpenHandle(_device, Posix.O_RDWR | Posix.O_NONBLOCK | Posix.O_CLOEXEC);
        if (handle.IsInvalid)
        {
            throw new IOException($"opening {_device} failed: {Posix.LastError()}");
        }

        using var lease = FdLease.Of(handle);
        var fd = lease.Value;

        // The handler must exist before O_ASYNC: SIGIO's default action terminates the process.
        _sigio = PosixSignalRegistration.Create((PosixSignal)SigIo, context =>
        {
            context.Cancel = true;
            _wake.Release();
        });
        if (Posix.fcntl(fd, Posix.F_SETOWN, Environment.ProcessId) < 0 ||
            Posix.fcntl(fd, Posix.F_SETFL, Posix.fcntl(fd, Posix.F_GETFL, 0) | Posix.O_ASYNC) < 0)
        {
            _log.LogWarning("SIGIO on {Device} unavailable ({Error}); re-checking the host connection every second", _device, Posix.LastError());
        }

        var thread = new Thread(() => Run(handle), 256 * 1024) { IsBackground = true, Name = "vport " + Path.GetFileName(_device) };
        thread.Start();
    }

    public void Dispose()
    {
        _sigio?.Dispose();
        _wake.Dispose();
    }

    private void Run(SafeFileHandle handle)
    {
        using var lease = FdLease.Of(handle);
        var port = lease.Value;
        while (true)
        {
            if (!HostConnected(port))
            {
                // Sleep until the next SIGIO (host open/close); the timeout is only a safety net.
                _wake.Wait(TimeSpan.FromSeconds(1));
                continue;
            }

            // Host connected: wait for the start of its connection (LinkHandshake), then serve
            // it on a fresh Kestrel connection until either side ends it.
            byte[] carried = [];
            while (true)
            {
                var start = AwaitStart(port, carried);
                carried = [];
                if (start is null)
                {
                    _log.LogInformation("host disconnected from {Device}", _device);
                    break;
                }

                using var inner = _inner.Connect();
                var (kind, nonce, first) = start.Value;
                if (kind == LinkHandshake.Start.Sync && !WriteAll(port, LinkHandshake.ReadyLine(nonce)))
                {
                    break;
                }

                bool sent;
                using (var innerFd = FdLease.Of(inner.SafeHandle))
                {
                    sent = WriteAll(innerFd.Value, first);
                }

                if (!sent)
                {
                    continue;
                }

                _log.LogInformation("host connected on {Device} ({Kind})", _device, kind == LinkHandshake.Start.Sync ? "handshake" : "no handshake");
                var tracker = _newTracker();
                tracker.Feed(first);
                var end = FdBridge.Run(handle, inner.SafeHandle, tracker, out var leftover);
                if (end == FdBridge.End.OuterClosed)
                {
                    _log.LogInformation("host disconnected from {Device}", _device);
                    break;
                }

                if (end == FdBridge.End.Resync)
                {
                    _log.LogInformation("host reconnected on {Device} without a hang-up", _device);
                    carried = leftover;
                    continue;
                }

                // Kestrel ended the connection while the host stays connected: the host's next
                // connection announces itself again.
                _log.LogInformation("agent connection ended on {Device}; waiting for the host's next connection", _device);
            }
        }
    }

    /// <summary>
    /// Reads from the port until a sync line or an HTTP/2 preface; returns the kind, the nonce and
    /// the connection's first bytes, or null when the host hangs up first. Earlier bytes are
    /// stale (a previous connection's) and dropped.
    /// </summary>
    private static unsafe (LinkHandshake.Start Kind, string Nonce, byte[] First)? AwaitStart(int port, byte[] carried)
    {
        var pending = new List<byte>(carried);
        if (carried.Length > 0 && LinkHandshake.Scan(carried) is { Kind: not LinkHandshake.Start.None } early)
        {
            return (early.Kind, early.Nonce, carried[early.Offset..]);
        }

        var buffer = new byte[16 * 1024];
        while (true)
        {
            var pfd = new PollFd { Fd = port, Events = Posix.POLLIN };
            if (Posix.poll(&pfd, 1, -1) < 0)
            {
                if (Marshal.GetLastPInvokeError() == Posix.EINTR)
                {
                    continue;
                }

                return null;
            }

            if ((pfd.Revents & Posix.POLLIN) == 0)
            {
                return null;
            }

            nint n;
            fixed (byte* p = buffer)
            {
                n = Posix.read(port, p, (nuint)buffer.Length);
            }

            if (n == 0)
            {
                return null;
            }

            if (n < 0)
            {
                continue;
            }

            pending.AddRange(buffer.AsSpan(0, (int)n));
            var data = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pending);
            var (kind, nonce, offset) = LinkHandshake.Scan(data);
            if (kind != LinkHandshake.Start.None)
            {
                return (kind, nonce, data[offset..].ToArray());
            }

            pending.RemoveRange(0, offset);
        }
    }

    /// <summary>Writes all of <paramref name="data"/> to a non-blocking fd; false on hang-up or error.</summary>
    private static unsafe bool WriteAll(int fd, byte[] data)
    {
        var done = 0;
        fixed (byte* p = data)
        {
            while (done < data.Length)
            {
                var n = Posix.write(fd, p + done, (nuint)(data.Length - done));
                if (n > 0)
                {
                    done += (int)n;
                    continue;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (n < 0 && errno is not (Posix.EAGAIN or Posix.EINTR))
                {
                    return false;
                }

                var pfd = new PollFd { Fd = fd, Events = Posix.POLLOUT };
                Posix.poll(&pfd, 1, -1);
                if ((pfd.Revents & (Posix.POLLHUP | Posix.POLLERR | Posix.POLLNVAL)) != 0 && (pfd.Revents & Posix.POLLOUT) == 0)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static unsafe bool HostConnected(int port)
    {
        var pfd = new PollFd { Fd = port, Events = Posix.POLLIN };
        var rc = Posix.poll(&pfd, 1, 0);
        return rc >= 0 && (pfd.Revents & Posix.POLLHUP) == 0;
    }

}
