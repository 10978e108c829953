namespace Ttrpc;

/// <summary>
/// One received frame. <see cref="Payload"/> is null when the frame was larger than the limit:
/// its bytes were skipped, and the receiver answers it with ResourceExhausted.
/// </summary>
internal readonly record struct Frame(FrameHeader Header, byte[]? Payload)
{
    /// <summary>True when the payload exceeded the size limit and was discarded.</summary>
    public bool IsOversized => Payload is null;
}
