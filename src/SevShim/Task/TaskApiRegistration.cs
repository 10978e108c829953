using SevShim.Events;
using SevShim.Hosting;
using SevShim.Sandbox;
using Serilog;
using Ttrpc;

namespace SevShim.Tasks;

/// <summary>
/// Wires the task API into the daemon: the event publisher on TTRPC_ADDRESS, the
/// <see cref="TaskService"/> over a sandbox factory, the ttrpc adapter, and the link from
/// containerd's Shutdown (once no container remains) to the daemon's exit. Disposing it stops the
/// pod's sandbox first, then drains the event queue (so /tasks/exit and /tasks/delete still go
/// out), then closes the events connection.
/// </summary>
internal sealed class TaskApiRegistration : IAsyncDisposable
{
    private readonly TaskEventPublisher? _publisher;

    private TaskApiRegistration(TaskService service, TaskEventPublisher? publisher)
    {
        Service = service;
        _publisher = publisher;
    }

    /// <summary>The task service (for diagnostics and tests).</summary>
    public TaskService Service { get; }

    /// <summary>
    /// The daemon's hook (<c>Func&lt;DaemonContext, IAsyncDisposable&gt;</c>) with the sandbox
    /// available in this build: <see cref="UnavailableSandbox"/> until the QEMU backend exists.
    /// </summary>
    public static IAsyncDisposable Register(DaemonContext context) => Register(context, new UnavailableSandbox());

    /// <summary>The daemon's hook with a given sandbox factory.</summary>
    public static TaskApiRegistration Register(DaemonContext context, ISandboxFactory sandboxFactory)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Register(
            context.Server,
            context.Arguments.Namespace,
            context.Environment.Get("TTRPC_ADDRESS"),
            sandboxFactory,
            context.Log,
            context.Lifetime.RequestExit);
    }

    /// <summary>
    /// Wires everything onto <paramref name="server"/>. <paramref name="namespace"/>: the -namespace
    /// flag; <paramref name="ttrpcAddress"/>: TTRPC_ADDRESS (events are discarded, with a warning,
    /// when it is empty); <paramref name="requestExit"/>: called once containerd's Shutdown arrives
    /// with no container left.
    /// </summary>
    public static TaskApiRegistration Register(
        TtrpcServer server,
        string @namespace,
        string? ttrpcAddress,
        ISandboxFactory sandboxFactory,
        ILogger logger,
        Action<string> requestExit)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(sandboxFactory);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(requestExit);

        TaskEventPublisher? publisher = null;
        ITaskEventSink sink;
        if (string.IsNullOrEmpty(ttrpcAddress))
        {
            logger.Warning("TTRPC_ADDRESS is not set: task events will not reach containerd (run the shim from containerd)");
            sink = new DiscardingEventSink(logger);
        }
        else
        {
            publisher = new TaskEventPublisher(@namespace, new TtrpcEventForwarder(ttrpcAddress), logger);
            sink = publisher;
        }

        var version = typeof(TaskApiRegistration).Assembly.GetName().Version?.ToString() ?? "0";
        var service = new TaskService(sandboxFactory, sink, logger, new TaskServiceOptions { Version = $"sevshim {version}" });
        TaskTtrpcAdapter.Register(server, service, logger);
        service.ShutdownRequested.ContinueWith(
            _ => requestExit("Shutdown with no containers"),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return new TaskApiRegistration(service, publisher);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync().ConfigureAwait(false);
        if (_publisher is not null)
        {
            await _publisher.DisposeAsync().ConfigureAwait(false);
        }
    }
}
