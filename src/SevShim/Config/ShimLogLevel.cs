namespace SevShim.Config;

/// <summary>Minimum level the daemon writes to the bundle's log FIFO.</summary>
internal enum ShimLogLevel
{
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}
