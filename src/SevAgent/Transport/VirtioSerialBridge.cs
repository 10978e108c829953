using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using SevAgent.Native;

namespace SevAgent.Transport;

/// <summary>
/// Serves the shim over the virtio-serial port named e.g. "sevagent.0" (ARCHITECTURE.md
/// decision 3 and "Facts measured"). The port is opened once and kept open for the agent's life,
/// because data the host sends while no guest process holds it is discarded. Each time the host
/// connects, a fresh connection to Kestrel is opened and bridged; when the host disconnects
/// (POLLHUP) that connection is dropped. While disconnected the driver reports POLLHUP at once,
/// so the bridge does not poll then: it sleeps until SIGIO, which the driver sends to the fd's
/// owner when the host opens or closes its end (O_ASYNC), with a slow re-check as a safety net.
/// </summary>
internal sealed class VirtioSerialBridge : IDisposable
{
    private const int SigIo = 29;

    private readonly string _device;
    private readonly InternalEndpoint _inner;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _wake = new(0);
    private PosixSignalRegistration? _sigio;

    public VirtioSerialBridge(string device, InternalEndpoint inner, ILogger log)
    {
        _device = device;
        _inner = inner;
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
        var fd = LibC.open(_device, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new IOException($"opening {_device} failed: {LibC.LastError()}");
        }

        // The handler must exist before O_ASYNC: SIGIO's default action terminates the process.
        _sigio = PosixSignalRegistration.Create((PosixSignal)SigIo, context =>
        {
            context.Cancel = true;
            _wake.Release();
        });
        if (LibC.fcntl(fd, LibC.F_SETOWN, Environment.ProcessId) < 0 ||
            LibC.fcntl(fd, LibC.F_SETFL, LibC.fcntl(fd, LibC.F_GETFL, 0) | LibC.O_ASYNC) < 0)
        {
            _log.LogWarning("SIGIO on {Device} unavailable ({Error}); re-checking the host connection every second", _device, LibC.LastError());
        }

        var thread = new Thread(() => Run(fd), 256 * 1024) { IsBackground = true, Name = "virtio-serial" };
        thread.Start();
    }

    public void Dispose()
    {
        _sigio?.Dispose();
        _wake.Dispose();
    }

    private unsafe void Run(int port)
    {
        while (true)
        {
            if (!HostConnected(port))
            {
                // Drain wake-ups that predate the check, then sleep until the next SIGIO.
                _wake.Wait(TimeSpan.FromSeconds(1));
                continue;
            }

            _log.LogInformation("host connected on {Device}", _device);
            while (true)
            {
                using var inner = _inner.Connect();
                var end = FdBridge.Run(port, (int)inner.Handle);
                if (end == FdBridge.End.OuterClosed)
                {
                    _log.LogInformation("host disconnected from {Device}", _device);
                    break;
                }

                // Kestrel ended the HTTP/2 connection while the host stays: the host's next
                // bytes start a new connection, so wait for them before connecting again.
                _log.LogInformation("agent connection ended on {Device}; waiting for the host's next connection", _device);
                if (!WaitReadable(port))
                {
                    break;
                }
            }
        }
    }

    private static unsafe bool HostConnected(int port)
    {
        var pfd = new LibC.PollFd { Fd = port, Events = LibC.POLLIN };
        var rc = LibC.poll(&pfd, 1, 0);
        return rc >= 0 && (pfd.Revents & LibC.POLLHUP) == 0;
    }

    private static unsafe bool WaitReadable(int port)
    {
        while (true)
        {
            var pfd = new LibC.PollFd { Fd = port, Events = LibC.POLLIN };
            var rc = LibC.poll(&pfd, 1, -1);
            if (rc < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR)
            {
                continue;
            }

            return rc > 0 && (pfd.Revents & LibC.POLLIN) != 0;
        }
    }
}
