using Grpc.Core;
using SevShim.Io;
using Proto = SevAgent.Protocol.V1;

namespace SevShim.Agent;

/// <summary>
/// agent.proto's ReadStdout and ReadStderr as gRPC methods whose responses are
/// <see cref="PooledChunk"/>s (<see cref="OutputChunkCodec"/>) instead of generated OutputChunk
/// messages: the same calls on the wire, without a fresh array per chunk (issue #6, shim RSS).
/// The service and method names are taken from the generated client's own methods (a call made
/// through <see cref="MethodCapture"/>), so they cannot drift from agent.proto; reading them from
/// the generated descriptor instead would build the whole file descriptor in the daemon.
/// </summary>
internal static class OutputStreamMethods
{
    private static readonly Marshaller<Proto.ReadStreamRequest> RequestMarshaller = Marshallers.Create(
        (Proto.ReadStreamRequest request) => Google.Protobuf.MessageExtensions.ToByteArray(request),
        (byte[] bytes) => Proto.ReadStreamRequest.Parser.ParseFrom(bytes));

    /// <summary>Responses parsed into buffers of <see cref="ChunkPool.Shared"/>.</summary>
    private static readonly Marshaller<PooledChunk> ResponseMarshaller = Marshallers.Create(
        (PooledChunk _, SerializationContext _) => throw new NotSupportedException("sevshim: the shim never sends an OutputChunk"),
        (DeserializationContext context) => OutputChunkCodec.Parse(context.PayloadAsReadOnlySequence(), ChunkPool.Shared));

    /// <summary>Agent.ReadStdout.</summary>
    public static Method<Proto.ReadStreamRequest, PooledChunk> ReadStdout { get; } =
        Pooled(MethodCapture.Of(client => client.ReadStdout(new Proto.ReadStreamRequest())));

    /// <summary>Agent.ReadStderr.</summary>
    public static Method<Proto.ReadStreamRequest, PooledChunk> ReadStderr { get; } =
        Pooled(MethodCapture.Of(client => client.ReadStderr(new Proto.ReadStreamRequest())));

    private static Method<Proto.ReadStreamRequest, PooledChunk> Pooled(IMethod generated) =>
        generated.Type == MethodType.ServerStreaming
            ? new(MethodType.ServerStreaming, generated.ServiceName, generated.Name, RequestMarshaller, ResponseMarshaller)
            : throw new InvalidOperationException($"sevshim: {generated.FullName} is no longer a server-streaming call in agent.proto: update OutputStreamMethods");
}
