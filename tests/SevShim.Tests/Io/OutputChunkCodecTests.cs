using System.Buffers;
using Google.Protobuf;
using SevShim.Io;
using Proto = SevAgent.Protocol.V1;

namespace SevShim.Tests.Io;

public sealed class OutputChunkCodecTests
{
    private readonly ChunkPool _pool = new();

    private static byte[] Serialized(byte[] data) => new Proto.OutputChunk { Data = ByteString.CopyFrom(data) }.ToByteArray();

    private PooledChunk Parse(byte[] message) => OutputChunkCodec.Parse(new ReadOnlySequence<byte>(message), _pool);

    [Theory]
    [InlineData(1)]
    [InlineData(127)]
    [InlineData(128)] // two-byte length
    [InlineData(ChunkPool.BufferSize)] // the agent's largest chunk
    [InlineData(ChunkPool.BufferSize + 1)] // larger than a pooled buffer
    public void ParsesWhatGoogleProtobufSerialized(int size)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);
        using var chunk = Parse(Serialized(data));
        Assert.Equal(data, chunk.Span.ToArray());
    }

    [Fact]
    public void AnEmptyMessageAndAnEmptyFieldAreEmptyData()
    {
        using var none = Parse([]);
        Assert.Equal(0, none.Length);
        using var empty = Parse([0x0A, 0x00]);
        Assert.Equal(0, empty.Length);
    }

    [Fact]
    public void ParsesAMessageSplitAcrossSegments()
    {
        var data = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var message = Serialized(data);
        var first = new FakeSegment(message.AsMemory(0, 2), 0);
        var last = first.Append(message.AsMemory(2));
        using var chunk = OutputChunkCodec.Parse(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length), _pool);
        Assert.Equal(data, chunk.Span.ToArray());
    }

    [Fact]
    public void SkipsUnknownFieldsOfEveryWireTypeAndKeepsTheLastDataField()
    {
        byte[] message =
        [
            0x10, 0x96, 0x01, // field 2, varint 150
            0x19, 1, 2, 3, 4, 5, 6, 7, 8, // field 3, fixed64
            0x22, 0x02, 0xAA, 0xBB, // field 4, length-delimited
            0x0A, 0x01, (byte)'x', // field 1: data "x", replaced below
            0x2B, // field 5, start group
            0x08, 0x01, // field 1 inside the group: not the data
            0x33, 0x0A, 0x01, (byte)'z', 0x34, // field 6, a nested group holding a tag-10 field
            0x2C, // end of group 5
            0x3D, 1, 2, 3, 4, // field 7, fixed32
            0x08, 0x05, // field 1 with wire type 0: unknown, as in Google.Protobuf
            0x0A, 0x02, (byte)'o', (byte)'k', // field 1: the data
            0x80, 0x01, 0x00, // field 16 (two-byte tag), varint 0
        ];
        using var chunk = Parse(message);
        Assert.Equal("ok"u8.ToArray(), chunk.Span.ToArray());
        // Google.Protobuf reads the same bytes the same way.
        Assert.Equal("ok"u8.ToArray(), Proto.OutputChunk.Parser.ParseFrom(message).Data.ToByteArray());
    }

    [Theory]
    [InlineData(new byte[] { 0x0A }, "truncated varint")] // tag without a length
    [InlineData(new byte[] { 0x0A, 0x05, 1, 2 }, "runs past the end")] // data shorter than its length
    [InlineData(new byte[] { 0x0A, 0x80 }, "truncated varint")] // length varint cut off
    [InlineData(new byte[] { 0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }, "runs past the end")] // length above int
    [InlineData(new byte[] { 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, "longer than 10 bytes")]
    [InlineData(new byte[] { 0x19, 1, 2, 3 }, "truncated fixed64")]
    [InlineData(new byte[] { 0x1D, 1, 2 }, "truncated fixed32")]
    [InlineData(new byte[] { 0x22, 0x03, 1 }, "runs past the end")] // unknown length-delimited field cut off
    [InlineData(new byte[] { 0x2B, 0x08, 0x01 }, "not closed")] // group without its end
    [InlineData(new byte[] { 0x2B, 0x34 }, "inside group 5")] // group ended by another field's end
    [InlineData(new byte[] { 0x2C }, "outside any group")]
    [InlineData(new byte[] { 0x0E }, "invalid wire type 6")]
    [InlineData(new byte[] { 0x0F }, "invalid wire type 7")]
    [InlineData(new byte[] { 0x02, 0x00 }, "field number 0")]
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, "above 2^29-1")] // tag above 32 bits
    public void RejectsMalformedInputNamingTheProblem(byte[] message, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Parse(message));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("OutputChunk", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsGroupsNestedTooDeep()
    {
        var message = Enumerable.Repeat((byte)0x2B, 101).ToArray();
        var ex = Assert.Throws<InvalidDataException>(() => Parse(message));
        Assert.Contains("nested deeper", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DisposingGivesThePooledBufferBackOnce()
    {
        var chunk = Parse(Serialized([1, 2, 3]));
        Assert.Equal(0, _pool.RetainedCount);
        chunk.Dispose();
        chunk.Dispose();
        Assert.Equal(1, _pool.RetainedCount);
        Assert.Throws<ObjectDisposedException>(() => chunk.Span.Length);
        // The next chunk reuses the buffer.
        using var next = Parse(Serialized([4]));
        Assert.Equal(0, _pool.RetainedCount);
        Assert.Equal(new byte[] { 4 }, next.Span.ToArray());
    }
}
