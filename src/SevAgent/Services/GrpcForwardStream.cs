using Google.Protobuf;
using Grpc.Core;
using SevAgent.Network;
using SevAgent.Protocol.V1;

namespace SevAgent.Services;

/// <summary>ForwardPort's duplex stream, after its first message, as the domain's <see cref="IForwardStream"/>.</summary>
internal sealed class GrpcForwardStream : IForwardStream
{
    private readonly IAsyncStreamReader<ForwardChunk> _requests;
    private readonly IServerStreamWriter<ForwardChunk> _responses;

    public GrpcForwardStream(IAsyncStreamReader<ForwardChunk> requests, IServerStreamWriter<ForwardChunk> responses)
    {
        _requests = requests;
        _responses = responses;
    }

    public async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(CancellationToken cancellationToken)
    {
        // Not a conditional expression: its null would convert to an empty ReadOnlyMemory (through
        // the implicit conversion from an array), and the end of the host's stream would be lost.
        if (!await _requests.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return _requests.Current.Data.Memory;
    }

    // A copy: the forwarder reuses its receive buffer as soon as the write completes.
    public Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        _responses.WriteAsync(new ForwardChunk { Data = ByteString.CopyFrom(data.Span) }, cancellationToken);
}
