using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace SevAgent.Services;

/// <summary>
/// Wraps every handler of <see cref="AgentService"/> so that what escapes it reaches the shim as
/// the status <see cref="AgentStatusMapper"/> chooses. Applied by the method provider to each
/// method it adds, instead of a Grpc.AspNetCore <c>Interceptor</c>: an interceptor's handlers are
/// generic virtual methods, whose instantiations Native AOT builds at run time (the cost issue #6
/// measured for BindService), while these wrappers are plain generic methods compiled ahead of time.
/// </summary>
internal sealed class AgentCallGuard
{
    private readonly ILogger _log;

    public AgentCallGuard(ILogger log) => _log = log;

    public UnaryServerMethod<AgentService, TRequest, TResponse> Unary<TRequest, TResponse>(UnaryServerMethod<AgentService, TRequest, TResponse> inner)
        where TRequest : class
        where TResponse : class =>
        (service, request, context) => RunAsync(() => inner(service, request, context), context);

    public ServerStreamingServerMethod<AgentService, TRequest, TResponse> ServerStreaming<TRequest, TResponse>(
        ServerStreamingServerMethod<AgentService, TRequest, TResponse> inner)
        where TRequest : class
        where TResponse : class =>
        (service, request, writer, context) => RunAsync(() => inner(service, request, writer, context), context);

    public ClientStreamingServerMethod<AgentService, TRequest, TResponse> ClientStreaming<TRequest, TResponse>(
        ClientStreamingServerMethod<AgentService, TRequest, TResponse> inner)
        where TRequest : class
        where TResponse : class =>
        (service, reader, context) => RunAsync(() => inner(service, reader, context), context);

    public DuplexStreamingServerMethod<AgentService, TRequest, TResponse> DuplexStreaming<TRequest, TResponse>(
        DuplexStreamingServerMethod<AgentService, TRequest, TResponse> inner)
        where TRequest : class
        where TResponse : class =>
        (service, reader, writer, context) => RunAsync(() => inner(service, reader, writer, context), context);

    // The handler runs inside the try, so that a synchronous throw (before its first await) is
    // mapped as well as a faulted task.
    private async Task<TResponse> RunAsync<TResponse>(Func<Task<TResponse>> handler, ServerCallContext context)
    {
        try
        {
            return await handler().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Translate(e, context);
        }
    }

    private async Task RunAsync(Func<Task> handler, ServerCallContext context)
    {
        try
        {
            await handler().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Translate(e, context);
        }
    }

    private RpcException Translate(Exception exception, ServerCallContext context)
    {
        if (AgentStatusMapper.IsUnexpected(exception, context.CancellationToken))
        {
            // The shim gets type and message; the stack stays here, where it can be read.
            _log.LogError(exception, "{Method} failed unexpectedly", context.Method);
        }

        return AgentStatusMapper.ToRpcException(exception, context.Deadline, context.CancellationToken);
    }
}
