namespace SevAgent.Network;

/// <summary>
/// The host's side of one port-forward after its first message. An interface, not the call's
/// proto stream, so that the forwarding logic knows no wire type: the gRPC adapter
/// (Services/GrpcForwardStream) implements it over ForwardPort's duplex stream.
/// </summary>
internal interface IForwardStream
{
    /// <summary>The next bytes from the host, or null when the host ended its stream.</summary>
    ValueTask<ReadOnlyMemory<byte>?> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Sends <paramref name="data"/> to the host; the buffer may be reused once the task completes.</summary>
    Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}
