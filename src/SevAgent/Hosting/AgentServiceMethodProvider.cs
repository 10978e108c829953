using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;
using SevAgent.Protocol.V1;
using SevAgent.Services;

namespace SevAgent.Hosting;

/// <summary>
/// Gives MapGrpcService the agent's methods straight from the generated
/// <c>Agent.BindService(ServiceBinderBase, AgentBase)</c>, in place of Grpc.AspNetCore's default
/// provider, which finds BindService through an attribute and then, for every method, looks the
/// method up, builds a delegate and reads its attributes by reflection. Under TCG that reflection
/// was the largest piece of the agent's start-up (issue #6: MapGrpcService took about 40% of
/// Main to serving). The handlers BindService hands us are bound to the one AgentService, a DI
/// singleton, which is also what Grpc.AspNetCore's activator resolves for every call: the invoker
/// therefore ignores the activated instance it is given.
/// </summary>
internal sealed class AgentServiceMethodProvider : IServiceMethodProvider<AgentService>
{
    private readonly AgentService _service;

    public AgentServiceMethodProvider(AgentService service)
    {
        _service = service;
    }

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<AgentService> context) =>
        Agent.BindService(new Binder(context), _service);

    private sealed class Binder(ServiceMethodProviderContext<AgentService> context) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var bound = handler ?? throw Unbound(method);
            context.AddUnaryMethod(method, Metadata(), (_, request, call) => bound(request, call));
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var bound = handler ?? throw Unbound(method);
            context.AddServerStreamingMethod(method, Metadata(), (_, request, writer, call) => bound(request, writer, call));
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var bound = handler ?? throw Unbound(method);
            context.AddClientStreamingMethod(method, Metadata(), (_, reader, call) => bound(reader, call));
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var bound = handler ?? throw Unbound(method);
            context.AddDuplexStreamingMethod(method, Metadata(), (_, reader, writer, call) => bound(reader, writer, call));
        }

        // What the default provider adds after the (here absent) service and method attributes:
        // gRPC is POST only, and a CORS preflight may reach the handler, which answers 405.
        private static List<object> Metadata() => [new HttpMethodMetadata(["POST"], acceptCorsPreflight: true)];

        private static InvalidOperationException Unbound(IMethod method) =>
            new($"Agent.BindService gave no handler for {method.FullName}: bind it to an AgentService instance");
    }
}
