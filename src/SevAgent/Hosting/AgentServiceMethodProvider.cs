using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SevAgent.Protocol.V1;
using SevAgent.Services;

namespace SevAgent.Hosting;

/// <summary>
/// Gives MapGrpcService the agent's methods (proto/sevagent/v1/agent.proto) in place of
/// Grpc.AspNetCore's default provider (issue #6: under TCG, MapGrpcService was the largest piece
/// of the agent's start-up, and it is large on a host too). The default provider finds the
/// generated BindService through an attribute and reflects over every method; going through
/// BindService at all is slow in Native AOT too, because it calls the generic virtual
/// ServiceBinderBase.AddMethod once per method and each call's generic dictionary is built at run
/// time by the type loader. Here each method is added with non-virtual generic calls, whose
/// instantiations the AOT compiler builds ahead of time, and messages use the protobuf parsers
/// directly, as the generated marshallers do. A unit test holds this list to the proto's
/// descriptor, so a new rpc that is not added here fails the build's tests. Every handler is
/// wrapped in <see cref="AgentCallGuard"/>, the one place where the agent's exceptions become
/// gRPC statuses.
/// </summary>
internal sealed class AgentServiceMethodProvider : IServiceMethodProvider<AgentService>
{
    /// <summary>The proto service's full name (package sevagent.v1, service Agent): the route prefix.</summary>
    public const string ServiceName = "sevagent.v1.Agent";

    private readonly ServiceMethodProviderContext<AgentService>? _context;
    private readonly AgentCallGuard _guard;
    private readonly List<(string Name, MethodType Type)> _added = [];

    public AgentServiceMethodProvider(ILogger<AgentServiceMethodProvider> log)
        : this(null, new AgentCallGuard(log))
    {
    }

    private AgentServiceMethodProvider(ServiceMethodProviderContext<AgentService>? context, AgentCallGuard guard)
    {
        _context = context;
        _guard = guard;
    }

    /// <summary>The methods this provider adds, in order (for tests).</summary>
    public static IReadOnlyList<(string Name, MethodType Type)> Describe()
    {
        var table = new AgentServiceMethodProvider(null, new AgentCallGuard(NullLogger.Instance));
        table.AddAll();
        return table._added;
    }

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<AgentService> context) =>
        new AgentServiceMethodProvider(context, _guard).AddAll();

    private void AddAll()
    {
        Unary("Health", HealthRequest.Parser, HealthResponse.Parser, static (s, r, c) => s.Health(r, c));
        Unary("GetGuestInfo", GetGuestInfoRequest.Parser, GuestInfo.Parser, static (s, r, c) => s.GetGuestInfo(r, c));
        Unary("GetAttestationReport", GetAttestationReportRequest.Parser, AttestationReport.Parser, static (s, r, c) => s.GetAttestationReport(r, c));
        Unary("CreateContainer", CreateContainerRequest.Parser, CreateContainerResponse.Parser, static (s, r, c) => s.CreateContainer(r, c));
        Unary("StartContainer", StartContainerRequest.Parser, StartContainerResponse.Parser, static (s, r, c) => s.StartContainer(r, c));
        Unary("ExecProcess", ExecProcessRequest.Parser, ExecProcessResponse.Parser, static (s, r, c) => s.ExecProcess(r, c));
        Unary("SignalProcess", SignalProcessRequest.Parser, SignalProcessResponse.Parser, static (s, r, c) => s.SignalProcess(r, c));
        Unary("WaitProcess", WaitProcessRequest.Parser, WaitProcessResponse.Parser, static (s, r, c) => s.WaitProcess(r, c));
        Unary("DeleteContainer", DeleteContainerRequest.Parser, DeleteContainerResponse.Parser, static (s, r, c) => s.DeleteContainer(r, c));
        Unary("DeleteProcess", DeleteProcessRequest.Parser, DeleteProcessResponse.Parser, static (s, r, c) => s.DeleteProcess(r, c));
        Unary("PauseContainer", PauseContainerRequest.Parser, PauseContainerResponse.Parser, static (s, r, c) => s.PauseContainer(r, c));
        Unary("ResumeContainer", ResumeContainerRequest.Parser, ResumeContainerResponse.Parser, static (s, r, c) => s.ResumeContainer(r, c));
        Unary("UpdateContainer", UpdateContainerRequest.Parser, UpdateContainerResponse.Parser, static (s, r, c) => s.UpdateContainer(r, c));
        Unary("StatsContainer", StatsContainerRequest.Parser, ContainerStats.Parser, static (s, r, c) => s.StatsContainer(r, c));
        Unary("ListProcesses", ListProcessesRequest.Parser, ListProcessesResponse.Parser, static (s, r, c) => s.ListProcesses(r, c));
        Unary("CloseStdin", CloseStdinRequest.Parser, CloseStdinResponse.Parser, static (s, r, c) => s.CloseStdin(r, c));
        Unary("ResizeTty", ResizeTtyRequest.Parser, ResizeTtyResponse.Parser, static (s, r, c) => s.ResizeTty(r, c));
        ServerStreaming("ReadStdout", ReadStreamRequest.Parser, OutputChunk.Parser, static (s, r, w, c) => s.ReadStdout(r, w, c));
        ServerStreaming("ReadStderr", ReadStreamRequest.Parser, OutputChunk.Parser, static (s, r, w, c) => s.ReadStderr(r, w, c));
        ClientStreaming("WriteStdin", StdinChunk.Parser, WriteStdinResponse.Parser, static (s, r, c) => s.WriteStdin(r, c));
        ServerStreaming("StreamOomEvents", StreamOomEventsRequest.Parser, OomEvent.Parser, static (s, r, w, c) => s.StreamOomEvents(r, w, c));
        Unary("Shutdown", ShutdownRequest.Parser, ShutdownResponse.Parser, static (s, r, c) => s.Shutdown(r, c));
        Unary("SyncVolume", SyncVolumeRequest.Parser, SyncVolumeResponse.Parser, static (s, r, c) => s.SyncVolume(r, c));
        Unary("ConfigureNetwork", ConfigureNetworkRequest.Parser, ConfigureNetworkResponse.Parser, static (s, r, c) => s.ConfigureNetwork(r, c));
        ServerStreaming("WatchListeners", WatchListenersRequest.Parser, ListenerSet.Parser, static (s, r, w, c) => s.WatchListeners(r, w, c));
        DuplexStreaming("ForwardPort", ForwardChunk.Parser, ForwardChunk.Parser, static (s, r, w, c) => s.ForwardPort(r, w, c));
    }

    private void Unary<TRequest, TResponse>(
        string name, MessageParser<TRequest> request, MessageParser<TResponse> response, UnaryServerMethod<AgentService, TRequest, TResponse> invoker)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        _added.Add((name, MethodType.Unary));
        _context?.AddUnaryMethod(Method(MethodType.Unary, name, request, response), Metadata(), _guard.Unary(invoker));
    }

    private void ServerStreaming<TRequest, TResponse>(
        string name, MessageParser<TRequest> request, MessageParser<TResponse> response, ServerStreamingServerMethod<AgentService, TRequest, TResponse> invoker)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        _added.Add((name, MethodType.ServerStreaming));
        _context?.AddServerStreamingMethod(Method(MethodType.ServerStreaming, name, request, response), Metadata(), _guard.ServerStreaming(invoker));
    }

    private void ClientStreaming<TRequest, TResponse>(
        string name, MessageParser<TRequest> request, MessageParser<TResponse> response, ClientStreamingServerMethod<AgentService, TRequest, TResponse> invoker)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        _added.Add((name, MethodType.ClientStreaming));
        _context?.AddClientStreamingMethod(Method(MethodType.ClientStreaming, name, request, response), Metadata(), _guard.ClientStreaming(invoker));
    }

    private void DuplexStreaming<TRequest, TResponse>(
        string name, MessageParser<TRequest> request, MessageParser<TResponse> response, DuplexStreamingServerMethod<AgentService, TRequest, TResponse> invoker)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        _added.Add((name, MethodType.DuplexStreaming));
        _context?.AddDuplexStreamingMethod(Method(MethodType.DuplexStreaming, name, request, response), Metadata(), _guard.DuplexStreaming(invoker));
    }

    private static Method<TRequest, TResponse> Method<TRequest, TResponse>(MethodType type, string name, MessageParser<TRequest> request, MessageParser<TResponse> response)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        new(type, ServiceName, name, Marshaller(request), Marshaller(response));

    // Protobuf's binary encoding, written straight into gRPC's buffer and parsed from its payload.
    private static Marshaller<T> Marshaller<T>(MessageParser<T> parser)
        where T : class, IMessage<T> =>
        Marshallers.Create<T>(
            static (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    // What the default provider adds after the (here absent) service and method attributes:
    // gRPC is POST only, and a CORS preflight may reach the handler, which answers 405.
    private static List<object> Metadata() => [new HttpMethodMetadata(["POST"], acceptCorsPreflight: true)];
}
