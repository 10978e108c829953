using Google.Protobuf;
using Grpc.Core;
using Proto = SevAgent.Protocol.V1;

namespace SevShim.Agent;

/// <summary>
/// WriteStdin as an <see cref="IGuestStdinStream"/>. agent.proto: the first chunk names the
/// process; <see cref="CompleteAsync"/> ends the call and sends CloseStdin, so the process reads
/// EOF. Ownership: owns the call; one writer at a time (the stdin pump).
/// </summary>
internal sealed class GrpcStdinStream(Proto.Agent.AgentClient client, GuestProcessId process, CancellationToken cancellationToken) : IGuestStdinStream
{
    private readonly AsyncClientStreamingCall<Proto.StdinChunk, Proto.WriteStdinResponse> _call = client.WriteStdin(cancellationToken: cancellationToken);
    private bool _named;

    /// <inheritdoc/>
    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken token)
    {
        var chunk = new Proto.StdinChunk { Data = ByteString.CopyFrom(data.Span) };
        await SendAsync(chunk, token).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task CompleteAsync(CancellationToken token)
    {
        try
        {
            if (!_named)
            {
                // Nothing was sent: name the process so the agent can attach the (empty) stream.
                await SendAsync(new Proto.StdinChunk(), token).ConfigureAwait(false);
            }

            await _call.RequestStream.CompleteAsync().ConfigureAwait(false);
            await _call.ResponseAsync.ConfigureAwait(false);
            await client.CloseStdinAsync(new Proto.CloseStdinRequest { ContainerId = process.ContainerId, ExecId = process.ExecId }, cancellationToken: token).ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw AgentErrors.From(ex, $"closing stdin of {process}");
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _call.Dispose();

    private async Task SendAsync(Proto.StdinChunk chunk, CancellationToken token)
    {
        if (!_named)
        {
            chunk.ContainerId = process.ContainerId;
            chunk.ExecId = process.ExecId;
            _named = true;
        }

        try
        {
            await _call.RequestStream.WriteAsync(chunk, token).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw AgentErrors.From(ex, $"writing stdin of {process}");
        }
    }
}
