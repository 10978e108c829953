using System.Text;
using Microsoft.Win32.SafeHandles;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using SevRuntime.Posix;

namespace SevShim.Logging;

/// <summary>
/// A Serilog sink that writes each event with one write(2) to the descriptor of a handle it owns
/// (disposing it; a handle made with ownsHandle false, as for stderr, leaves the fd open). Used for
/// the bundle's log FIFO (opened O_NONBLOCK: when containerd is down or slow and the pipe is full,
/// the line is dropped rather than stalling a task RPC; containerd reopens the same FIFO after a
/// restart, so this fd keeps working) and for stderr with -debug. Thread safe: Serilog may emit
/// from several threads, and the lock keeps lines whole.
/// </summary>
internal sealed class FdLogSink : ILogEventSink, IDisposable
{
    private readonly Lock _gate = new();
    private readonly ITextFormatter _formatter;
    private readonly SafeFileHandle _handle;

    public FdLogSink(SafeFileHandle handle, ITextFormatter formatter)
    {
        ArgumentNullException.ThrowIfNull(handle);
        _handle = handle;
        _formatter = formatter;
    }

    /// <summary>Lines dropped because the pipe was full or had no reader.</summary>
    public long Dropped { get; private set; }

    public unsafe void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        using var text = new StringWriter();
        _formatter.Format(logEvent, text);
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        lock (_gate)
        {
            if (_handle.IsClosed)
            {
                return;
            }

            using var fd = FdLease.Of(_handle);
            fixed (byte* p = bytes)
            {
                var written = 0L;
                while (written < bytes.Length)
                {
                    var n = Posix.write(fd.Value, p + written, (nuint)(bytes.Length - written));
                    if (n < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Posix.EINTR)
                    {
                        continue;
                    }

                    if (n <= 0)
                    {
                        Dropped++;
                        return;
                    }

                    written += n;
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _handle.Dispose();
        }
    }
}
