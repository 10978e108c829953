using System.Text;
using SevAgent.Transport;
using SevAgentProto.Stdio;

namespace SevAgent.Tests.Unit;

public sealed class FrameTrackerTests
{
    private static readonly byte[] Preface = Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

    private static byte[] Frame(int length, byte fill) =>
        [(byte)(length >> 16), (byte)(length >> 8), (byte)length, 0, 0, 0, 0, 0, 1, .. Enumerable.Repeat(fill, length)];

    [Fact]
    public void Finds_a_sync_line_at_a_frame_boundary_across_chunks()
    {
        var tracker = FrameTracker.Http2();
        // A payload full of 'S' must not be mistaken for the marker.
        var stream = Preface.Concat(Frame(20, (byte)'S')).Concat(Frame(0, 0)).ToArray();
        Assert.Equal(-1, tracker.Feed(stream.AsSpan(0, 30)));
        Assert.Equal(-1, tracker.Feed(stream.AsSpan(30)));

        var next = Frame(3, (byte)'x').Concat(Encoding.ASCII.GetBytes("SEVAGENT-SYNC 1\n")).ToArray();
        Assert.Equal(12, tracker.Feed(next));
    }

    [Fact]
    public void A_split_header_is_followed()
    {
        var tracker = FrameTracker.Http2();
        Assert.Equal(-1, tracker.Feed(Preface));
        var frame = Frame(5, (byte)'S');
        Assert.Equal(-1, tracker.Feed(frame.AsSpan(0, 4)));
        Assert.Equal(-1, tracker.Feed(frame.AsSpan(4)));
        Assert.Equal(0, tracker.Feed("SEVAGENT-SYNC 2\n"u8));
    }

    [Fact]
    public void A_new_preface_at_a_frame_boundary_is_a_new_connection()
    {
        var tracker = FrameTracker.Http2();
        Assert.Equal(-1, tracker.Feed(Preface.Concat(Frame(6, (byte)'P')).ToArray()));
        Assert.Equal(0, tracker.Feed(Preface));
    }

    [Fact]
    public void Stdio_frames_are_followed_and_a_sync_line_after_one_is_found()
    {
        var tracker = FrameTracker.Stdio();
        var header = new byte[StdioFrameHeader.Size];
        new StdioFrameHeader(StdioFrameType.Data, 7, 300).Write(header);
        // A payload of 'S' bytes (and a header split across reads) is not a marker.
        Assert.Equal(-1, tracker.Feed(header.AsSpan(0, 3)));
        Assert.Equal(-1, tracker.Feed([.. header.AsSpan(3), .. Enumerable.Repeat((byte)'S', 300)]));
        new StdioFrameHeader(StdioFrameType.Credit, 7, 4).Write(header);
        Assert.Equal(13, tracker.Feed([.. header, 0, 0, 1, 0, .. "SEVAGENT-SYNC 3\n"u8.ToArray()]));
    }
}
