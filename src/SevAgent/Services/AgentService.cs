using Google.Protobuf;
using Grpc.Core;
using SevAgent.Containers;
using SevAgent.Errors;
using SevAgent.Guest;
using SevAgent.Hosting;
using SevAgent.Network;
using SevAgent.Protocol.V1;
using SevAgent.Stats;

namespace SevAgent.Services;

/// <summary>
/// The gRPC surface (proto/sevagent/v1/agent.proto): the adapter between the wire and the domain.
/// Each call maps its request with <see cref="AgentProtoMapper"/> and delegates to the container
/// lifecycle, the process table, the network or the volumes; what a call throws becomes a status
/// in <see cref="AgentCallGuard"/>, which the method provider wraps around every handler.
/// </summary>
internal sealed class AgentService : Agent.AgentBase
{
    private readonly ContainerManager _containers;
    private readonly ContainerProcesses _processes;
    private readonly OomMonitor _oom;
    private readonly CgroupLayout _cgroups;
    private readonly ShutdownCoordinator _shutdown;
    private readonly ModuleLoadGate _modules;
    private readonly VolumeCopies _copies;
    private readonly GuestNetwork _network;
    private readonly GuestListeners _listeners;
    private readonly GuestPortForward _forward;
    private readonly SnpReportReader _reports;

    public AgentService(
        ContainerManager containers,
        ContainerProcesses processes,
        OomMonitor oom,
        CgroupLayout cgroups,
        ShutdownCoordinator shutdown,
        ModuleLoadGate modules,
        VolumeCopies copies,
        GuestNetwork network,
        GuestListeners listeners,
        GuestPortForward forward,
        SnpReportReader reports)
    {
        _reports = reports;
        _listeners = listeners;
        _forward = forward;
        _network = network;
        _copies = copies;
        _modules = modules;
        _containers = containers;
        _processes = processes;
        _oom = oom;
        _cgroups = cgroups;
        _shutdown = shutdown;
    }

    public override Task<HealthResponse> Health(HealthRequest request, ServerCallContext context) =>
        Task.FromResult(new HealthResponse { Status = HealthResponse.Types.ServingStatus.Serving, AgentVersion = AgentVersion.Value });

    public override async Task<GuestInfo> GetGuestInfo(GetGuestInfoRequest request, ServerCallContext context)
    {
        // The SEV status comes through the msr module, which init loads in the background.
        await _modules.WaitForAsync(["msr"], context.CancellationToken);
        return AgentProtoMapper.ToGuestInfo(GuestInfoReader.Read(AgentVersion.Value, _cgroups));
    }

    public override async Task<AttestationReport> GetAttestationReport(GetAttestationReportRequest request, ServerCallContext context)
    {
        var (report, certificates, provider) = await _reports.ReadAsync(request.ReportData.ToByteArray(), context.CancellationToken);
        return new AttestationReport { Report = ByteString.CopyFrom(report), Certificates = ByteString.CopyFrom(certificates), Provider = provider };
    }

    public override async Task<CreateContainerResponse> CreateContainer(CreateContainerRequest request, ServerCallContext context) =>
        new() { Pid = await _containers.CreateAsync(AgentProtoMapper.ToSpec(request), context.CancellationToken) };

    public override async Task<StartContainerResponse> StartContainer(StartContainerRequest request, ServerCallContext context) =>
        new() { Pid = await _containers.StartAsync(request.ContainerId, context.CancellationToken) };

    public override async Task<ExecProcessResponse> ExecProcess(ExecProcessRequest request, ServerCallContext context) =>
        new() { Pid = await _processes.ExecAsync(AgentProtoMapper.ToSpec(request), context.CancellationToken) };

    public override async Task<SignalProcessResponse> SignalProcess(SignalProcessRequest request, ServerCallContext context)
    {
        await _processes.SignalAsync(AgentProtoMapper.ToTarget(request), context.CancellationToken);
        return new SignalProcessResponse();
    }

    public override async Task<WaitProcessResponse> WaitProcess(WaitProcessRequest request, ServerCallContext context)
    {
        var (exit, pid) = await _processes.WaitAsync(request.ContainerId, request.ExecId, context.CancellationToken);
        return AgentProtoMapper.ToResponse(exit, pid);
    }

    public override async Task<DeleteContainerResponse> DeleteContainer(DeleteContainerRequest request, ServerCallContext context)
    {
        await _containers.DeleteAsync(request.ContainerId, request.Force, context.CancellationToken);
        return new DeleteContainerResponse();
    }

    public override Task<DeleteProcessResponse> DeleteProcess(DeleteProcessRequest request, ServerCallContext context)
    {
        _processes.DeleteProcess(request.ContainerId, request.ExecId);
        return Task.FromResult(new DeleteProcessResponse());
    }

    public override async Task<PauseContainerResponse> PauseContainer(PauseContainerRequest request, ServerCallContext context)
    {
        await _containers.PauseResumeAsync(request.ContainerId, pause: true, context.CancellationToken);
        return new PauseContainerResponse();
    }

    public override async Task<ResumeContainerResponse> ResumeContainer(ResumeContainerRequest request, ServerCallContext context)
    {
        await _containers.PauseResumeAsync(request.ContainerId, pause: false, context.CancellationToken);
        return new ResumeContainerResponse();
    }

    public override async Task<UpdateContainerResponse> UpdateContainer(UpdateContainerRequest request, ServerCallContext context)
    {
        await _containers.UpdateAsync(request.ContainerId, request.ResourcesJson, context.CancellationToken);
        return new UpdateContainerResponse();
    }

    public override Task<ContainerStats> StatsContainer(StatsContainerRequest request, ServerCallContext context) =>
        Task.FromResult(AgentProtoMapper.ToStats(_containers.Stats(request.ContainerId)));

    public override async Task<ListProcessesResponse> ListProcesses(ListProcessesRequest request, ServerCallContext context)
    {
        var response = new ListProcessesResponse();
        response.Pids.AddRange(await _containers.ListProcessesAsync(request.ContainerId, context.CancellationToken));
        return response;
    }

    public override async Task<CloseStdinResponse> CloseStdin(CloseStdinRequest request, ServerCallContext context)
    {
        var process = _processes.Get(request.ContainerId, request.ExecId);
        var stdin = process.RequireStdin();
        await stdin.CloseAsync(context.CancellationToken);
        return new CloseStdinResponse();
    }

    public override Task<ResizeTtyResponse> ResizeTty(ResizeTtyRequest request, ServerCallContext context)
    {
        _processes.Get(request.ContainerId, request.ExecId).Resize(request.Width, request.Height);
        return Task.FromResult(new ResizeTtyResponse());
    }

    public override Task ReadStdout(ReadStreamRequest request, IServerStreamWriter<OutputChunk> responseStream, ServerCallContext context)
    {
        var process = _processes.Get(request.ContainerId, request.ExecId);
        var pump = process.RequireStdout();
        return pump.CopyToAsync((chunk, ct) => WriteOutputAsync(responseStream, chunk, ct), context.CancellationToken);
    }

    public override Task ReadStderr(ReadStreamRequest request, IServerStreamWriter<OutputChunk> responseStream, ServerCallContext context)
    {
        var process = _processes.Get(request.ContainerId, request.ExecId);
        if (process.Terminal)
        {
            return Task.CompletedTask;
        }

        var pump = process.RequireStderr();
        return pump.CopyToAsync((chunk, ct) => WriteOutputAsync(responseStream, chunk, ct), context.CancellationToken);
    }

    public override async Task<WriteStdinResponse> WriteStdin(IAsyncStreamReader<StdinChunk> requestStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        if (!await requestStream.MoveNext(ct))
        {
            return new WriteStdinResponse();
        }

        var first = requestStream.Current;
        if (first.ContainerId.Length == 0)
        {
            throw AgentException.InvalidArgument("the first WriteStdin message must name container_id (and exec_id)");
        }

        var process = _processes.Get(first.ContainerId, first.ExecId);
        var stdin = process.RequireStdin();
        using var claim = stdin.Claim(process.Name);
        ulong written = 0;
        var chunk = first;
        while (true)
        {
            if (chunk.Data.Length > 0)
            {
                if (!await stdin.WriteAsync(chunk.Data.ToByteArray(), ct))
                {
                    break;
                }

                written += (ulong)chunk.Data.Length;
            }

            if (!await requestStream.MoveNext(ct))
            {
                break;
            }

            chunk = requestStream.Current;
        }

        if (!stdin.Closed)
        {
            await stdin.FlushAsync(ct);
        }

        return new WriteStdinResponse { BytesWritten = written };
    }

    public override async Task StreamOomEvents(StreamOomEventsRequest request, IServerStreamWriter<OomEvent> responseStream, ServerCallContext context)
    {
        var events = _oom.Subscribe(out var subscription);
        using (subscription)
        {
            try
            {
                await foreach (var oom in events.ReadAllAsync(context.CancellationToken))
                {
                    await responseStream.WriteAsync(AgentProtoMapper.ToEvent(oom), context.CancellationToken);
                }
            }
            catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
            {
                // The shim closed the stream.
            }
        }
    }

    public override async Task<ShutdownResponse> Shutdown(ShutdownRequest request, ServerCallContext context)
    {
        // The VM is destroyed right after the reply: no per-container delete, only no more writes.
        await _containers.StopAllForPowerOffAsync(context.CancellationToken);

        // Before the reply: the shim stops the VM as soon as it has it (QemuSandbox.ShutdownAsync).
        Native.LibC.sync();
        ShutdownCoordinator.ReportMemory();
        _shutdown.Schedule();
        return new ShutdownResponse();
    }

    public override async Task<SyncVolumeResponse> SyncVolume(SyncVolumeRequest request, ServerCallContext context)
    {
        await _copies.SyncAsync(AgentProtoMapper.ToSpec(request), context.CancellationToken);
        return new SyncVolumeResponse();
    }

    public override async Task<ConfigureNetworkResponse> ConfigureNetwork(ConfigureNetworkRequest request, ServerCallContext context)
    {
        await _network.ConfigureAsync(AgentProtoMapper.ToSpec(request), context.CancellationToken);
        return new ConfigureNetworkResponse();
    }

    public override Task WatchListeners(WatchListenersRequest request, IServerStreamWriter<ListenerSet> responseStream, ServerCallContext context) =>
        _listeners.WatchAsync((set, ct) => responseStream.WriteAsync(AgentProtoMapper.ToListenerSet(set), ct), context.CancellationToken);

    public override async Task ForwardPort(IAsyncStreamReader<ForwardChunk> requestStream, IServerStreamWriter<ForwardChunk> responseStream, ServerCallContext context)
    {
        // The first message names the port; a call that sends none forwards nothing.
        if (!await requestStream.MoveNext(context.CancellationToken))
        {
            return;
        }

        var first = requestStream.Current;
        await _forward.RunAsync(
            new ForwardTarget(first.Port, first.Ipv6, first.Data.Memory), new GrpcForwardStream(requestStream, responseStream), context.CancellationToken);
    }

    // Each chunk is a buffer the pump never reuses (OutputPump.CopyToAsync): wrapped, not copied.
    private static Task WriteOutputAsync(IServerStreamWriter<OutputChunk> stream, ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken) =>
        stream.WriteAsync(new OutputChunk { Data = UnsafeByteOperations.UnsafeWrap(chunk) }, cancellationToken);
}
