using Grpc.Core;
using SevShim.Io;

namespace SevShim.Agent;

/// <summary>
/// ReadStdout or ReadStderr as an <see cref="IGuestOutputStream"/>: the server-streaming call of
/// <see cref="OutputStreamMethods"/>, whose chunks arrive in pooled buffers.
/// Ownership: owns the call.
/// </summary>
internal sealed class GrpcOutputStream(AsyncServerStreamingCall<PooledChunk> call, string operation) : IGuestOutputStream
{
    /// <inheritdoc/>
    public async ValueTask<PooledChunk?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false) ? call.ResponseStream.Current : null;
        }
        catch (RpcException ex)
        {
            throw AgentErrors.From(ex, operation);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => call.Dispose();
}
