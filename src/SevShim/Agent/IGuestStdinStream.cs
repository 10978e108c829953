namespace SevShim.Agent;

/// <summary>
/// The stdin of a guest process, written chunk by chunk in order. <see cref="CompleteAsync"/>
/// ends the stream and has the agent close the process's stdin (it reads EOF).
/// A failure is a <see cref="Errors.ShimException"/>. Ownership: the caller disposes it.
/// </summary>
internal interface IGuestStdinStream : IDisposable
{
    /// <summary>Sends <paramref name="data"/>; completes once the link took it (HTTP/2 flow control is the back-pressure).</summary>
    Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Ends the stream and closes the process's stdin in the guest.</summary>
    Task CompleteAsync(CancellationToken cancellationToken);
}
