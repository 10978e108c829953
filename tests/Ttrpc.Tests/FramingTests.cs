namespace Ttrpc.Tests;

public sealed class FramingTests
{
    private const int Max = TtrpcServerOptions.DefaultMaxMessageSize;

    [Fact]
    public void Header_is_big_endian_length_stream_type_flags()
    {
        var bytes = new byte[FrameHeader.Size];
        new FrameHeader(0x01020304, 0x0A0B0C0D, 0x02, 0x05).Write(bytes);

        Assert.Equal(new byte[] { 1, 2, 3, 4, 0x0A, 0x0B, 0x0C, 0x0D, 2, 5 }, bytes);
        Assert.Equal(new FrameHeader(0x01020304, 0x0A0B0C0D, 0x02, 0x05), FrameHeader.Read(bytes));
    }

    [Fact]
    public async Task Frame_split_at_every_byte_boundary_is_read_whole()
    {
        var payload = Enumerable.Range(0, 23).Select(i => (byte)(i * 7)).ToArray();
        var wire = RawConnection.Frame(5, FrameType.Request, payload);

        for (var split = 1; split < wire.Length; split++)
        {
            var stream = new FakeChunkedStream([wire[..split], wire[split..]]);
            var reader = new FrameReader(stream, Max);

            var frame = await reader.ReadAsync(CancellationToken.None);

            Assert.NotNull(frame);
            Assert.Equal(new FrameHeader(23, 5, FrameType.Request, 0), frame.Value.Header);
            Assert.Equal(payload, frame.Value.Payload);
            Assert.Null(await reader.ReadAsync(CancellationToken.None));
        }
    }

    [Fact]
    public async Task Frame_delivered_one_byte_per_read_is_read_whole()
    {
        var wire = RawConnection.Frame(7, FrameType.Response, [1, 2, 3]);
        var reader = new FrameReader(new FakeChunkedStream(wire.Select(b => new[] { b })), Max);

        var frame = await reader.ReadAsync(CancellationToken.None);

        Assert.Equal(7u, frame!.Value.Header.StreamId);
        Assert.Equal(new byte[] { 1, 2, 3 }, frame.Value.Payload);
    }

    [Fact]
    public async Task Several_frames_in_one_read_are_read_in_order()
    {
        var wire = RawConnection.Frame(1, FrameType.Request, [9])
            .Concat(RawConnection.Frame(3, FrameType.Request, []))
            .Concat(RawConnection.Frame(5, FrameType.Data, [8, 8]))
            .ToArray();
        var reader = new FrameReader(new FakeChunkedStream([wire]), Max);

        var first = await reader.ReadAsync(CancellationToken.None);
        var second = await reader.ReadAsync(CancellationToken.None);
        var third = await reader.ReadAsync(CancellationToken.None);

        Assert.Equal(1u, first!.Value.Header.StreamId);
        Assert.Equal(new byte[] { 9 }, first.Value.Payload);
        Assert.Equal(3u, second!.Value.Header.StreamId);
        Assert.Empty(second.Value.Payload!);
        Assert.Equal((5u, FrameType.Data), (third!.Value.Header.StreamId, third.Value.Header.Type));
        Assert.Null(await reader.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Oversized_frame_is_skipped_without_buffering_and_the_next_frame_is_read()
    {
        const int limit = 16;
        var big = RawConnection.Frame(1, FrameType.Request, new byte[limit + 1]);
        var next = RawConnection.Frame(3, FrameType.Request, [42]);
        var reader = new FrameReader(new FakeChunkedStream([big, next]), limit);

        var skipped = await reader.ReadAsync(CancellationToken.None);
        var after = await reader.ReadAsync(CancellationToken.None);

        Assert.True(skipped!.Value.IsOversized);
        Assert.Equal((uint)(limit + 1), skipped.Value.Header.Length);
        Assert.Equal(new byte[] { 42 }, after!.Value.Payload);
    }

    [Fact]
    public async Task Stream_ending_inside_a_header_is_an_error()
    {
        var reader = new FrameReader(new FakeChunkedStream([new byte[] { 0, 0, 0 }]), Max);

        await Assert.ThrowsAsync<EndOfStreamException>(() => reader.ReadAsync(CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task Garbage_header_announcing_a_huge_length_then_ending_is_an_error()
    {
        var garbage = new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xDE, 0xAD, 0xBE, 0xEF, 0x99, 0x77, 1, 2, 3 };
        var reader = new FrameReader(new FakeChunkedStream([garbage]), Max);

        await Assert.ThrowsAsync<EndOfStreamException>(() => reader.ReadAsync(CancellationToken.None).AsTask());
    }
}
