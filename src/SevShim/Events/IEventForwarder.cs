using SevShim.Protos.Containerd.EventsTtrpc;

namespace SevShim.Events;

/// <summary>
/// Delivers one envelope to containerd (containerd.services.events.ttrpc.v1.Events/Forward on
/// TTRPC_ADDRESS, SHIM-PROTOCOL.md 3.3). Called by <see cref="TaskEventPublisher"/> from one task
/// at a time. Throws <see cref="Errors.ShimException"/> of kind InvalidArgument when containerd
/// rejected the envelope itself (retrying cannot help); any other exception is treated as
/// transient (containerd down or restarting) and the publisher retries.
/// </summary>
internal interface IEventForwarder : IAsyncDisposable
{
    /// <summary>Forwards <paramref name="envelope"/>; completes when containerd accepted it.</summary>
    Task ForwardAsync(Envelope envelope, CancellationToken cancellationToken);
}
