using System.Diagnostics.CodeAnalysis;
using Google.Protobuf;

namespace Ttrpc;

/// <summary>
/// Writes ttrpc frames to a byte stream. Thread-safe: concurrent calls and handlers share one
/// connection, so every frame is written whole under a single writer lock (<see cref="_writeLock"/>);
/// interleaved bytes would desynchronise the peer, ttrpc has no resynchronisation.
/// Does not own the stream.
/// </summary>
[SuppressMessage(
    "Design",
    "CA1001:Types that own disposable fields should be disposable",
    Justification = "SemaphoreSlim only needs Dispose when its AvailableWaitHandle is used, which this class never does.")]
internal sealed class FrameWriter
{
    private readonly Stream _stream;

    // The one writer lock of the connection: held for exactly one whole frame write.
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    /// <summary>Creates a writer over <paramref name="stream"/>.</summary>
    public FrameWriter(Stream stream)
    {
        _stream = stream;
    }

    /// <summary>
    /// Encodes <paramref name="message"/> as one frame and writes it. The caller has checked the
    /// size limit. <paramref name="cancellationToken"/> should be the connection's lifetime: a
    /// frame cancelled half-way would corrupt the stream, so only tearing the connection down may stop it.
    /// </summary>
    public async Task WriteAsync(uint streamId, byte type, IMessage message, CancellationToken cancellationToken)
    {
        var size = message.CalculateSize();
        var buffer = new byte[FrameHeader.Size + size];
        new FrameHeader((uint)size, streamId, type, Flags: 0).Write(buffer);
        message.WriteTo(buffer.AsSpan(FrameHeader.Size));

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await _stream.WriteAsync(buffer, cancellationToken);
            await _stream.FlushAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
