using Serilog;

namespace SevShim.Events;

/// <summary>
/// Used when containerd gave no TTRPC_ADDRESS (a shim started by hand): events have nowhere to
/// go, so they are logged at debug level and dropped. containerd always sets the variable.
/// </summary>
internal sealed class DiscardingEventSink : ITaskEventSink
{
    private readonly ILogger _logger;

    /// <summary>Creates the sink.</summary>
    public DiscardingEventSink(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger.ForContext<DiscardingEventSink>();
    }

    /// <inheritdoc/>
    public void Publish(TaskEvent taskEvent) =>
        _logger.Debug("No TTRPC_ADDRESS: dropping task event {Kind} of {ContainerId}", taskEvent?.Kind, taskEvent?.ContainerId);
}
