using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Serilog;
using SevShim.Errors;
using SevShim.Protos.Containerd.TaskV2;
using Ttrpc;

namespace SevShim.Tasks;

/// <summary>
/// Serves <see cref="TaskService"/> on a ttrpc server as containerd.task.v2.Task and, with the
/// same handlers, containerd.task.v3.Task (containerd 2.x picks the name from the bootstrap
/// version; the messages are identical, SHIM-PROTOCOL.md 2 and 4.2). It converts messages with
/// <see cref="TaskProtoMapper"/> and is the one place where <see cref="ShimErrorKind"/> becomes a
/// ttrpc status code.
/// </summary>
internal static class TaskTtrpcAdapter
{
    /// <summary>The task service name of containerd 1.6 and of 2.x with bootstrap version 2.</summary>
    public const string ServiceV2 = "containerd.task.v2.Task";

    /// <summary>The task service name of containerd 2.x with bootstrap version 3.</summary>
    public const string ServiceV3 = "containerd.task.v3.Task";

    private static readonly Empty EmptyResponse = new();

    /// <summary>Registers every task method under both service names.</summary>
    public static void Register(TtrpcServer server, TaskService service, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(logger);
        RegisterService(server, ServiceV2, service, logger);
        RegisterService(server, ServiceV3, service, logger);
    }

    /// <summary>The ttrpc status code for an error kind (gRPC codes; containerd maps them with errdefs.FromGRPC).</summary>
    public static TtrpcStatusCode ToStatusCode(ShimErrorKind kind) => kind switch
    {
        ShimErrorKind.NotFound => TtrpcStatusCode.NotFound,
        ShimErrorKind.AlreadyExists => TtrpcStatusCode.AlreadyExists,
        ShimErrorKind.FailedPrecondition => TtrpcStatusCode.FailedPrecondition,
        ShimErrorKind.InvalidArgument => TtrpcStatusCode.InvalidArgument,
        ShimErrorKind.Unavailable => TtrpcStatusCode.Unavailable,
        ShimErrorKind.DeadlineExceeded => TtrpcStatusCode.DeadlineExceeded,
        ShimErrorKind.Unimplemented => TtrpcStatusCode.Unimplemented,
        _ => TtrpcStatusCode.Internal,
    };

    private static void RegisterService(TtrpcServer server, string name, TaskService service, ILogger logger)
    {
        void Add<TRequest, TResponse>(string method, MessageParser<TRequest> parser, Func<TRequest, CancellationToken, Task<TResponse>> handler)
            where TRequest : IMessage<TRequest>
            where TResponse : IMessage<TResponse> =>
            AddMethod(server, name, method, parser, handler, logger);

        Add("State", StateRequest.Parser, (r, _) =>
            Task.FromResult(TaskProtoMapper.ToResponse(service.State(r.Id, r.ExecId))));
        Add("Create", CreateTaskRequest.Parser, async (r, ct) =>
            new CreateTaskResponse { Pid = await service.CreateAsync(TaskProtoMapper.ToCommand(r), ct).ConfigureAwait(false) });
        Add("Start", StartRequest.Parser, async (r, ct) =>
            new StartResponse { Pid = await service.StartAsync(r.Id, r.ExecId, ct).ConfigureAwait(false) });
        Add("Delete", DeleteRequest.Parser, async (r, ct) =>
            TaskProtoMapper.ToDeleteResponse(await service.DeleteAsync(r.Id, r.ExecId, ct).ConfigureAwait(false)));
        Add("Pids", PidsRequest.Parser, async (r, ct) =>
            TaskProtoMapper.ToPidsResponse(await service.PidsAsync(r.Id, ct).ConfigureAwait(false)));
        Add("Pause", PauseRequest.Parser, async (r, ct) =>
        {
            await service.PauseAsync(r.Id, ct).ConfigureAwait(false);
            return EmptyResponse;
        });
        Add("Resume", ResumeRequest.Parser, async (r, ct) =>
        {
            await service.ResumeAsync(r.Id, ct).ConfigureAwait(false);
            return EmptyResponse;
        });
        Add("Checkpoint", CheckpointTaskRequest.Parser, async (r, ct) =>
        {
            await service.CheckpointAsync(r.Id, r.Path, ct).ConfigureAwait(false);
            return EmptyResponse;
        });
        Add("Kill", KillRequest.Parser, async (r, ct) =>
        {
            await service.KillAsync(r.Id, r.ExecId, r.Signal, r.All, ct).ConfigureAwait(false);
            return EmptyResponse;
        });
        Add("Exec", ExecProcessRequest.Parser, async (r, ct) =>
        {
            await service.ExecAsync(TaskProtoMapper.ToCommand(r), ct).ConfigureAwait(false);
            return EmptyResponse;
        });
        Add("ResizePty", ResizePtyRequest.Parser, async (r, ct) =>
        {
            await service.ResizePtyAsync(r.Id, r.ExecId, r.Width, r.Height, ct).ConfigureAwait(false);
            return EmptyResponse;
        });
        Add("CloseIO", CloseIORequest.Parser, async (r, ct) =>
        {
            await service.CloseIOAsync(r.Id, r.ExecId, r.Stdin, ct).ConfigureAwait(false);
            return EmptyResponse;
        });
        Add("Update", UpdateTaskRequest.Parser, async (r, ct) =>
        {
            await service.UpdateAsync(r.Id, TaskProtoMapper.ResourcesJson(r), r.Annotations, ct).ConfigureAwait(false);
            return EmptyResponse;
        });
        Add("Wait", WaitRequest.Parser, async (r, ct) =>
            TaskProtoMapper.ToWaitResponse(await service.WaitAsync(r.Id, r.ExecId, ct).ConfigureAwait(false)));
        Add("Stats", StatsRequest.Parser, async (r, ct) =>
            TaskProtoMapper.ToStatsResponse(await service.StatsAsync(r.Id, ct).ConfigureAwait(false)));
        Add("Connect", ConnectRequest.Parser, (r, _) =>
        {
            var result = service.Connect(r.Id);
            return Task.FromResult(new ConnectResponse { ShimPid = result.ShimPid, TaskPid = result.TaskPid, Version = result.Version });
        });
        Add("Shutdown", ShutdownRequest.Parser, (r, _) =>
        {
            service.Shutdown(r.Id, r.Now);
            return Task.FromResult(EmptyResponse);
        });
    }

    // Wraps a handler so that every failure leaves as the status of its kind (ShimErrors.Classify):
    // a ShimException as it is, anything else classified, with its stack logged when unexpected.
    // A cancellation passes through: the ttrpc server answers Cancelled or DeadlineExceeded.
    private static void AddMethod<TRequest, TResponse>(
        TtrpcServer server,
        string service,
        string method,
        MessageParser<TRequest> parser,
        Func<TRequest, CancellationToken, Task<TResponse>> handler,
        ILogger logger)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        server.AddMethod<TRequest, TResponse>(service, method, parser, async (request, _, cancellationToken) =>
        {
            try
            {
                return await handler(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ShimErrors.Classify(ex, method, out var unexpected) is { } error)
            {
                if (unexpected)
                {
                    logger.Error(ex, "task {Method} failed unexpectedly", method);
                }

                throw new TtrpcException(ToStatusCode(error.Kind), error.Message, ex);
            }
        });
    }
}
