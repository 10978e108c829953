using System.Buffers;

namespace SevShim.Tests.Io;

/// <summary>One segment of a multi-segment <see cref="ReadOnlySequence{T}"/> built by a test.</summary>
internal sealed class FakeSegment : ReadOnlySequenceSegment<byte>
{
    public FakeSegment(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    /// <summary>Links a segment holding <paramref name="memory"/> after this one and returns it.</summary>
    public FakeSegment Append(ReadOnlyMemory<byte> memory)
    {
        var next = new FakeSegment(memory, RunningIndex + Memory.Length);
        Next = next;
        return next;
    }
}
