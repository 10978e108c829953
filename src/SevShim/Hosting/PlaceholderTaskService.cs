using Google.Protobuf.WellKnownTypes;
using SevShim.Protos.Containerd.TaskV2;
using Ttrpc;

namespace SevShim.Hosting;

/// <summary>
/// TEMPORARY stand-in until shimtask's ttrpc adapter is on main (then this file goes): answers
/// Connect, refuses Create with FailedPrecondition (no VM backend yet), and exits on Shutdown,
/// since it never hosts a container. Everything else is Unimplemented (the server's default).
/// </summary>
internal sealed class PlaceholderTaskService : IAsyncDisposable
{
    private const string Service = "containerd.task.v2.Task";

    public static PlaceholderTaskService Register(DaemonContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var service in new[] { Service, "containerd.task.v3.Task" })
        {
            context.Server.AddMethod(service, "Connect", ConnectRequest.Parser, (_, _, _) =>
                Task.FromResult(new ConnectResponse { ShimPid = (uint)Environment.ProcessId }));
            context.Server.AddMethod<CreateTaskRequest, CreateTaskResponse>(service, "Create", CreateTaskRequest.Parser, (_, _, _) =>
                throw new TtrpcException(TtrpcStatusCode.FailedPrecondition, "sevshim: no VM backend in this build"));
            context.Server.AddMethod(service, "Shutdown", ShutdownRequest.Parser, (_, _, _) =>
            {
                context.Lifetime.RequestExit("Shutdown with no containers");
                return Task.FromResult(new Empty());
            });
        }

        return new PlaceholderTaskService();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
