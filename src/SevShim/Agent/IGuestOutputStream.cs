using SevShim.Io;

namespace SevShim.Agent;

/// <summary>
/// One output stream of a guest process, read chunk by chunk. Each chunk is in a pooled buffer
/// the reader owns and must dispose before the next read (shim RSS, issue 6).
/// A failure is a <see cref="Errors.ShimException"/> (Unavailable when the link went away).
/// Ownership: the caller disposes the stream, which ends the call.
/// </summary>
internal interface IGuestOutputStream : IDisposable
{
    /// <summary>The next chunk, or null at the stream's end (the process closed it).</summary>
    ValueTask<PooledChunk?> ReadAsync(CancellationToken cancellationToken);
}
