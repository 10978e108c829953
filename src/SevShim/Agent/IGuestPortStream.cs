namespace SevShim.Agent;

/// <summary>
/// One forwarded TCP connection to a port of the guest's localhost (port-forward, ARCHITECTURE
/// decision 18): bytes both ways, each direction ended on its own (half-close).
/// A failure (the guest refused the port, the link went away) is a <see cref="Errors.ShimException"/>.
/// Ownership: the caller disposes it, which ends the call.
/// </summary>
internal interface IGuestPortStream : IDisposable
{
    /// <summary>Sends bytes to the guest's side.</summary>
    Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Half-closes: the guest's side reads EOF.</summary>
    Task CompleteWritesAsync();

    /// <summary>The next bytes the guest's side sent, or null once it closed its side.</summary>
    ValueTask<ReadOnlyMemory<byte>?> ReadAsync(CancellationToken cancellationToken);
}
