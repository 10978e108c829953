using Microsoft.Win32.SafeHandles;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;
using SevRuntime.Posix;
using SevShim.Config;

namespace SevShim.Logging;

/// <summary>
/// Builds the daemon's Serilog logger (ARCHITECTURE decision 11): rendered compact JSON lines into
/// the bundle's <c>log</c> FIFO, which containerd copies into its own log (SHIM-PROTOCOL 4.5), plus
/// stderr when containerd passed -debug. The level can change once the pod's configuration is
/// known (<see cref="LevelSwitch"/>).
/// </summary>
internal sealed class ShimLogging : IDisposable
{
    private readonly List<FdLogSink> _sinks;

    private ShimLogging(Logger logger, LoggingLevelSwitch levelSwitch, List<FdLogSink> sinks, bool fifoOpen)
    {
        Logger = logger;
        LevelSwitch = levelSwitch;
        _sinks = sinks;
        FifoOpen = fifoOpen;
    }

    public Logger Logger { get; }

    public LoggingLevelSwitch LevelSwitch { get; }

    /// <summary>False when the log FIFO could not be opened (no reader: the daemon was not started by containerd).</summary>
    public bool FifoOpen { get; }

    /// <summary>Opens <c>log</c> in <paramref name="bundleDir"/> and, with <paramref name="debug"/>, stderr.</summary>
    public static ShimLogging Create(string bundleDir, bool debug, ShimLogLevel level, string ns, string id)
    {
        var levelSwitch = new LoggingLevelSwitch(debug ? LogEventLevel.Debug : ToSerilog(level));
        var formatter = new RenderedCompactJsonFormatter();
        var sinks = new List<FdLogSink>();

        // A blocking O_WRONLY open would also succeed at once (containerd holds O_RDWR), but
        // O_NONBLOCK keeps a shim started by hand from hanging here and makes writes non-blocking.
        var fifo = Posix.OpenHandle(Path.Combine(bundleDir, "log"), Posix.O_WRONLY | Posix.O_NONBLOCK | Posix.O_CLOEXEC);
        if (!fifo.IsInvalid)
        {
            sinks.Add(new FdLogSink(fifo, formatter));
        }

        if (debug)
        {
            // The process's stderr: written to, never closed by the sink.
            sinks.Add(new FdLogSink(new SafeFileHandle(2, ownsHandle: false), formatter));
        }

        var configuration = new LoggerConfiguration()
            .MinimumLevel.ControlledBy(levelSwitch)
            .Enrich.WithProperty("namespace", ns)
            .Enrich.WithProperty("id", id)
            .Enrich.WithProperty("pid", Environment.ProcessId);
        foreach (var sink in sinks)
        {
            configuration = configuration.WriteTo.Sink(sink);
        }

        return new ShimLogging(configuration.CreateLogger(), levelSwitch, sinks, !fifo.IsInvalid);
    }

    /// <summary>Applies the configured level unless -debug asked for more.</summary>
    public void Apply(ShimLogLevel level, bool debug) =>
        LevelSwitch.MinimumLevel = debug && ToSerilog(level) > LogEventLevel.Debug ? LogEventLevel.Debug : ToSerilog(level);

    public static LogEventLevel ToSerilog(ShimLogLevel level) => level switch
    {
        ShimLogLevel.Trace => LogEventLevel.Verbose,
        ShimLogLevel.Debug => LogEventLevel.Debug,
        ShimLogLevel.Info => LogEventLevel.Information,
        ShimLogLevel.Warn => LogEventLevel.Warning,
        _ => LogEventLevel.Error,
    };

    public void Dispose()
    {
        Logger.Dispose();
        foreach (var sink in _sinks)
        {
            sink.Dispose();
        }
    }
}
