using Google.Protobuf;
using Grpc.Core;
using Proto = SevAgent.Protocol.V1;

namespace SevShim.Agent;

/// <summary>
/// ForwardPort as an <see cref="IGuestPortStream"/>: a bidirectional call whose first request
/// names the guest port (agent.proto), then data both ways. Chunks read are the messages' own
/// memory (no copy). Ownership: owns the call; one writer and one reader at a time.
/// </summary>
internal sealed class GrpcPortStream : IGuestPortStream
{
    private readonly AsyncDuplexStreamingCall<Proto.ForwardChunk, Proto.ForwardChunk> _call;
    private readonly string _operation;

    private GrpcPortStream(AsyncDuplexStreamingCall<Proto.ForwardChunk, Proto.ForwardChunk> call, GuestListener target)
    {
        _call = call;
        _operation = $"forwarding to localhost:{target.Port} ({(target.Ipv6 ? "tcp6" : "tcp4")}) in the pod VM";
    }

    /// <summary>Opens the call and names the port.</summary>
    public static async Task<GrpcPortStream> OpenAsync(Proto.Agent.AgentClient client, GuestListener target, CancellationToken cancellationToken)
    {
        var stream = new GrpcPortStream(client.ForwardPort(cancellationToken: cancellationToken), target);
        try
        {
            await stream.SendAsync(new Proto.ForwardChunk { Port = target.Port, Ipv6 = target.Ipv6 }, cancellationToken).ConfigureAwait(false);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        SendAsync(new Proto.ForwardChunk { Data = ByteString.CopyFrom(data.Span) }, cancellationToken);

    /// <inheritdoc/>
    public async Task CompleteWritesAsync()
    {
        try
        {
            await _call.RequestStream.CompleteAsync().ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw AgentErrors.From(ex, _operation);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await _call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                return _call.ResponseStream.Current.Data.Memory;
            }

            // Null, not an empty chunk: the guest's side closed.
            return null;
        }
        catch (RpcException ex)
        {
            throw AgentErrors.From(ex, _operation);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _call.Dispose();

    private async Task SendAsync(Proto.ForwardChunk chunk, CancellationToken cancellationToken)
    {
        try
        {
            await _call.RequestStream.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw AgentErrors.From(ex, _operation);
        }
    }
}
