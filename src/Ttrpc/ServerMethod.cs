using Google.Protobuf;

namespace Ttrpc;

/// <summary>A registered handler with its request type erased, so the dispatcher can hold them all.</summary>
internal abstract class ServerMethod
{
    /// <summary>
    /// Decodes <paramref name="payload"/>, runs the handler and returns its response message.
    /// </summary>
    /// <exception cref="TtrpcException">InvalidArgument when the payload does not decode.</exception>
    public abstract Task<IMessage> InvokeAsync(ByteString payload, TtrpcCallContext context, CancellationToken cancellationToken);
}
