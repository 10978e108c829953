using Grpc.Core;
using Proto = SevAgent.Protocol.V1;

namespace SevShim.Agent;

/// <summary>
/// Finds out which gRPC method a call of the generated agent client uses, without sending
/// anything: the call is made through a call invoker that only records the method it is given.
/// Only server-streaming calls are recorded (the only kind <see cref="OutputStreamMethods"/> needs);
/// any other kind fails.
/// </summary>
internal sealed class MethodCapture : CallInvoker
{
    private IMethod? _method;

    /// <summary>The method behind <paramref name="call"/>, made on a client that sends nothing.</summary>
    public static IMethod Of(Func<Proto.Agent.AgentClient, IDisposable> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var capture = new MethodCapture();
        using (call(new Proto.Agent.AgentClient(capture)))
        {
            // Nothing to release: the returned call is inert.
        }

        return capture._method ?? throw new InvalidOperationException("sevshim: the generated client made no call");
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        _method = method;
        // No reader: Of disposes the call at once and never reads it.
        return new AsyncServerStreamingCall<TResponse>(
            null!,
            Task.FromResult(new Metadata()),
            () => Status.DefaultSuccess,
            () => [],
            () => { });
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw NotCaptured(method);

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw NotCaptured(method);

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw NotCaptured(method);

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw NotCaptured(method);

    private static NotSupportedException NotCaptured(IMethod method) =>
        new($"sevshim: MethodCapture records server-streaming calls only, not {method.FullName}");
}
