using SevShim.Errors;
using SevShim.Events;
using SevShim.Sandbox;
using SevShim.Tasks;

namespace SevShim.Hosting;

/// <summary>
/// The daemon's services, wired by the composition root: the task service (on the pod's sandbox
/// factory) registered on the ttrpc server under containerd.task.v2.Task and .v3.Task, and the
/// event publisher forwarding to containerd's TTRPC_ADDRESS in the -namespace namespace
/// (SHIM-PROTOCOL 3.3). Owns both; Dispose stops the task service first (it tears down the
/// sandbox and may still publish events) and then drains and stops the publisher.
/// </summary>
internal sealed class DaemonServices : IAsyncDisposable
{
    private readonly TaskService _tasks;
    private readonly TaskEventPublisher _events;

    private DaemonServices(TaskService tasks, TaskEventPublisher events)
    {
        _tasks = tasks;
        _events = events;
    }

    /// <summary>Builds and registers the services; a Shutdown with no container left ends the daemon.</summary>
    public static DaemonServices Register(DaemonContext context, ISandboxFactory sandboxes)
    {
        ArgumentNullException.ThrowIfNull(context);
        var events = new TaskEventPublisher(context.Arguments.Namespace, new TtrpcEventForwarder(TtrpcAddress(context)), context.Log);
        var (version, _) = AdminCommands.VersionInfo();
        var tasks = new TaskService(sandboxes, events, context.Log, new TaskServiceOptions
        {
            Version = "sevshim " + version,
            Failpoints = Failpoints.FromEnvironment(context.Environment.Get(Failpoints.EnvironmentVariable), context.Log),
        });
        TaskTtrpcAdapter.Register(context.Server, tasks, context.Log);
        _ = tasks.ShutdownRequested.ContinueWith(
            _ => context.Lifetime.RequestExit("Shutdown with no container left"),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return new DaemonServices(tasks, events);
    }

    public async ValueTask DisposeAsync()
    {
        await _tasks.DisposeAsync();
        await _events.DisposeAsync();
    }

    /// <summary>
    /// containerd sets TTRPC_ADDRESS for every shim (1.3+); without it (a daemon started by hand)
    /// use containerd's own default, the -address socket plus ".ttrpc".
    /// </summary>
    private static string TtrpcAddress(DaemonContext context) =>
        context.Environment.Get("TTRPC_ADDRESS") is { Length: > 0 } address ? address : context.Arguments.Address + ".ttrpc";
}
